"""Which engines this worker runs: loading, selection by kind/name, and the description for the
worker row.

Production uses engines.default_engines(). Tests set VOXGRAPH_TEST_ENGINES=module:function to a
callable returning the same shape ({kind: Engine} or {kind: [Engine, ...]}); it exists only so the
worker-process tests can inject small engines, and is not meant for deployments.
"""

from __future__ import annotations

import importlib
from typing import Mapping, Optional, Union

from .engines.base import Engine, EngineInputError

Registry = dict[str, list[Engine]]


def load_registry(test_engines: Optional[str] = None) -> Registry:
    if test_engines:
        module, _, func = test_engines.partition(":")
        if not module or not func:
            raise ValueError(f"VOXGRAPH_TEST_ENGINES must be module:function, got {test_engines!r}")
        raw = getattr(importlib.import_module(module), func)()
    else:
        from .engines import default_engines  # lazy: engines pull in heavy libraries

        raw = default_engines()
    return normalize(raw)


def normalize(raw: Mapping[str, Union[Engine, list[Engine]]]) -> Registry:
    return {kind: (list(v) if isinstance(v, (list, tuple)) else [v]) for kind, v in raw.items()}


def prepare(registry: Registry) -> None:
    """Load once per process, before the first claim, so no job pays for it."""
    for engines in registry.values():
        for e in engines:
            e.load()
            e.warmup()


def release(registry: Registry) -> None:
    for engines in registry.values():
        for e in engines:
            try:
                e.release()
            except Exception:
                pass


def select(registry: Registry, kind: str, requested: Optional[str]) -> Engine:
    """The engine for a job: the requested one by name, else the kind's first (its default)."""
    engines = registry.get(kind) or []
    if not engines:
        raise EngineInputError("ENGINE_UNAVAILABLE", f"this worker has no {kind} engine")
    if requested:
        for e in engines:
            if e.info.name == requested:
                return e
        raise EngineInputError("ENGINE_UNAVAILABLE",
                               f"unknown {kind} engine {requested!r}; available: {', '.join(e.info.name for e in engines)}")
    return engines[0]


def describe(registry: Registry) -> list[dict]:
    return [{"kind": e.info.kind, "name": e.info.name, "version": e.info.version, "device": e.info.device,
             "languages": list(e.info.languages)} for engines in registry.values() for e in engines]


def device() -> str:
    try:
        import torch  # lazy and optional: only to report the device

        return "cuda" if torch.cuda.is_available() else "cpu"
    except Exception:
        return "cpu"
