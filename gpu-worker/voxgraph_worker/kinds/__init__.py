"""The job kinds this worker runs: one module per kind, each defining KIND (a kinds.base.Kind).

A kind says how a claimed job's payload becomes an engine Task, how an engine of the kind is
called, and how its output becomes the contract's JobResult. Everything else (claiming, batching,
heartbeats, storage, settling) is the same for every kind and lives in runner.py. The modules are
found here by name, so adding a kind is its module (docs/adding-a-job-kind.md); test_protocol.py
checks that the modules found are exactly the contract's JOB_KINDS.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from ..engines.base import EngineInputError
from .base import Kind


def _discover() -> dict[str, Kind]:
    found: dict[str, Kind] = {}
    for m in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if m.name == "base":
            continue
        kind = getattr(importlib.import_module(f"{__package__}.{m.name}"), "KIND", None)
        if isinstance(kind, Kind):
            found[kind.name] = kind
    return found


KINDS: dict[str, Kind] = _discover()


def kind_of(name: str) -> Kind:
    """The kind of that name; UNKNOWN_KIND (not retried) when this worker has no such module."""
    try:
        return KINDS[name]
    except KeyError:
        raise EngineInputError("UNKNOWN_KIND", f"unknown job kind {name!r}") from None
