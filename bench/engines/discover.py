"""Find the engines that exist right now, so the bench keeps working while they are rewritten.

Each engine module is imported on its own: a module that is missing or fails to import is
skipped with a note instead of stopping the bench. Plug-ins (reference models) are built only
when their weights-folder variable is set. Modules not in KNOWN are scanned too, so a new
built-in engine shows up without editing this file.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

PACKAGE = "voxgraph_worker.engines"

# The built-in engines, in the bench's order: (module, class). Plug-ins are found by the weights
# setting they declare (Engine.weights_setting) and join when it is set.
KNOWN = [
    ("denoise_mmse_lsa", "MmseLsaDenoiser", None),
    ("denoise_fast", "SpeexDenoiser", None),
    ("align_auto", "Aligner", None),
    ("align_pocketsphinx", "PocketsphinxAligner", None),
    ("align_espeak_dtw", "DtwAligner", None),
    ("synth_espeak_ng", "EspeakSynthesizer", None),
    ("synth_flite", "FliteSynthesizer", None),
]
# Only modules named like engines are scanned for unlisted ones (helpers live in engines/support/).
_ENGINE_PREFIXES = ("denoise_", "align_", "synth_")


@dataclass
class Found:
    engines: dict[str, list] = field(default_factory=lambda: {"denoise": [], "align": [], "synthesize": []})
    skipped: list[str] = field(default_factory=list)  # human-readable reasons
    notes: list[str] = field(default_factory=list)


def import_engines_package(gpu_worker: Path) -> Optional[str]:
    """Import the engines package; if its __init__ is broken mid-edit, install a bare package
    object so that its modules still import one by one. Returns a note when that happened."""
    if str(gpu_worker) not in sys.path:
        sys.path.insert(0, str(gpu_worker))
    try:
        importlib.import_module(PACKAGE)
        return None
    except Exception as exc:  # noqa: BLE001 - any error in __init__ (another engineer's edit in flight)
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        importlib.import_module("voxgraph_worker")
        pkg = types.ModuleType(PACKAGE)
        pkg.__path__ = [str(gpu_worker / "voxgraph_worker" / "engines")]
        pkg.__package__ = PACKAGE
        sys.modules[PACKAGE] = pkg
        return f"{PACKAGE}/__init__.py did not import ({type(exc).__name__}: {exc}); engine modules loaded one by one"


def _construct(cls, model_dir: Optional[str], device: str):
    params = inspect.signature(cls.__init__).parameters
    kwargs = {"device": device} if "device" in params else {}
    return cls(model_dir, **kwargs) if model_dir is not None else cls(**kwargs)


def _engine_classes(module) -> list[type]:
    """Engine subclasses defined in `module` (info may be set per instance, in __init__)."""
    from voxgraph_worker.engines.base import Engine

    return [c for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, Engine) and c is not Engine and c.__module__ == module.__name__]


def discover(device: str = "cpu", kinds: Optional[set[str]] = None) -> Found:
    """Construct (not load) every engine available now, grouped by kind, in KNOWN order."""
    found = Found()
    pkg = importlib.import_module(PACKAGE)
    present = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
    listed = []
    for mod, cls_name, env in KNOWN:
        listed.append(mod)
        if mod not in present:
            found.skipped.append(f"{mod}.{cls_name}: module not present yet")
            continue
        model_dir = os.environ.get(env) if env else None
        if env and not model_dir:
            found.skipped.append(f"{cls_name}: plug-in, set {env} to its weights folder to include it")
            continue
        _add(found, mod, cls_name, model_dir, device, kinds)
    for mod in sorted(m for m in present - set(listed) if m.startswith(_ENGINE_PREFIXES)):  # plug-ins, new engines
        _add(found, mod, None, None, device, kinds)
    return found


def _add(found: Found, mod: str, cls_name: Optional[str], model_dir: Optional[str], device: str,
         kinds: Optional[set[str]]) -> None:
    try:
        module = importlib.import_module(f"{PACKAGE}.{mod}")
    except Exception as exc:  # noqa: BLE001
        found.skipped.append(f"{mod}: import failed ({type(exc).__name__}: {exc})")
        return
    classes = _engine_classes(module)
    if cls_name is not None:
        classes = [c for c in classes if c.__name__ == cls_name]
        if not classes:
            found.skipped.append(f"{mod}.{cls_name}: class not found")
            return
    for cls in classes:
        setting = getattr(cls, "weights_setting", None)
        if setting and model_dir is None:
            model_dir = os.environ.get(setting)
            if not model_dir:
                found.skipped.append(f"{cls.__name__}: plug-in, set {setting} to its weights folder to include it")
                continue
        try:
            eng = _construct(cls, model_dir, device)
        except Exception as exc:  # noqa: BLE001
            found.skipped.append(f"{mod}.{cls.__name__}: construction failed ({type(exc).__name__}: {exc})")
            continue
        info = getattr(eng, "info", None)
        if info is None or not getattr(info, "kind", None):
            continue  # a helper base class, not an engine
        if kinds is not None and info.kind not in kinds:
            continue
        if any(e.info.name == info.name for e in found.engines.get(info.kind, [])):
            continue
        found.engines.setdefault(info.kind, []).append(eng)


def start(eng) -> tuple[float, Optional[str]]:
    """load() + warmup(); returns (seconds, None) or (seconds, why it failed) so one broken engine
    is reported instead of stopping the bench."""
    import time

    t0 = time.perf_counter()
    try:
        eng.load()
        eng.warmup()
    except Exception as exc:  # noqa: BLE001
        return time.perf_counter() - t0, f"{eng.info.kind} {eng.info.name}: load/warmup failed ({type(exc).__name__}: {exc})"
    return time.perf_counter() - t0, None


def started(engines: list, failed: list, log) -> list[tuple[object, float]]:
    """The engines that load, with their load+warm-up seconds; the others are appended to
    `failed` and logged."""
    ok = []
    for eng in engines:
        load_s, err = start(eng)
        if err:
            failed.append(err)
            log("  " + err)
        else:
            ok.append((eng, load_s))
    return ok
