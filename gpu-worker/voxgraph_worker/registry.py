"""Which engines this worker runs: loading, selection by kind/name/language, and the description
for the worker row (which the API's `engines` query reads).

Production uses engines.default_engines(). Tests set VOXGRAPH_TEST_ENGINES=module:function to a
callable returning the same shape ({kind: Engine} or {kind: [Engine, ...]}); it exists only so the
worker-process tests can inject small engines, and is not meant for deployments.

Within a kind, engines are listed best first: a job that names no engine gets the first one that
speaks its language.
"""

from __future__ import annotations

import importlib
from typing import Mapping, Optional, Union

from . import log
from .engines.base import Engine, EngineInputError

Registry = dict[str, list[Engine]]


def load_registry(cfg, device: str = "cpu") -> Registry:
    if cfg.test_engines:
        module, _, func = cfg.test_engines.partition(":")
        if not module or not func:
            raise ValueError(f"VOXGRAPH_TEST_ENGINES must be module:function, got {cfg.test_engines!r}")
        raw = getattr(importlib.import_module(module), func)()
    else:
        from .engines.catalog import default_engines  # lazy: engines pull in heavy libraries

        raw = default_engines(device, cfg.model_dirs)
    return normalize(raw)


def normalize(raw: Mapping[str, Union[Engine, list[Engine]]]) -> Registry:
    return {kind: (list(v) if isinstance(v, (list, tuple)) else [v]) for kind, v in raw.items()}


def prepare(registry: Registry) -> list[dict]:
    """Load and warm up every engine once per process, before the first claim, so no job pays for
    it. A plug-in that fails to load is dropped (logged, and listed in the returned failures) so
    the worker still serves the built-in engines; a built-in engine that fails is fatal."""
    failures = []
    for kind, engines in registry.items():
        for e in list(engines):
            try:
                e.load()
                e.warmup()
            except Exception as exc:
                if not e.info.plugin:
                    raise
                log.error("plug-in engine failed to load; serving without it", exc=exc, engine=e.info.name)
                failures.append({"kind": kind, "name": e.info.name, "error": f"{type(exc).__name__}: {exc}"[:500]})
                engines.remove(e)
                try:
                    e.release()
                except Exception:
                    pass
    return failures


def release(registry: Registry) -> None:
    for engines in registry.values():
        for e in engines:
            try:
                e.release()
            except Exception:
                pass


def _speaks(e: Engine, language: Optional[str]) -> bool:
    return language is None or not e.info.languages or language in e.info.languages


def _offers_voice(e: Engine, language: Optional[str], voice: Optional[str]) -> bool:
    return voice is None or voice in (e.info.voices or {}).get(language or "", [])


def select(registry: Registry, kind: str, requested: Optional[str], language: Optional[str] = None,
           voice: Optional[str] = None) -> Engine:
    """The engine for a job: the requested one by name, else the kind's best that speaks the
    language, preferring one that lists the requested voice (a voice is engine-specific)."""
    engines = registry.get(kind) or []
    if not engines:
        raise EngineInputError("ENGINE_UNAVAILABLE", f"this worker has no {kind} engine")
    if requested:
        for e in engines:
            if e.info.name == requested:
                if not _speaks(e, language):
                    raise EngineInputError("UNSUPPORTED_LANGUAGE",
                                           f"engine {requested!r} does not support language {language!r}")
                return e
        raise EngineInputError("ENGINE_UNAVAILABLE",
                               f"unknown {kind} engine {requested!r}; available: {', '.join(e.info.name for e in engines)}")
    speaking = [e for e in engines if _speaks(e, language)]
    for e in speaking:
        if _offers_voice(e, language, voice):
            return e
    if speaking:
        return speaking[0]  # it may still accept the voice, or it fails the job with UNKNOWN_VOICE
    raise EngineInputError("UNSUPPORTED_LANGUAGE", f"no {kind} engine on this worker supports language {language!r}")


def _is_default(engines: list[Engine], i: int) -> bool:
    """Whether select() gives engines[i] to some job that names no engine: it is the first
    engine of its kind that speaks one of its languages (the first one, if language independent)."""
    e = engines[i]
    if not e.info.languages:
        return all(x.info.languages for x in engines[:i])
    return any(not any(_speaks(x, lang) for x in engines[:i]) for lang in e.info.languages)


def describe(registry: Registry) -> list[dict]:
    return [{"kind": e.info.kind, "name": e.info.name, "version": e.info.version, "device": e.info.device,
             "languages": list(e.info.languages), "voices": {k: list(v) for k, v in (e.info.voices or {}).items()},
             "maxBatch": e.info.max_batch, "plugin": e.info.plugin, "default": _is_default(engines, i)}
            for engines in registry.values() for i, e in enumerate(engines)]
