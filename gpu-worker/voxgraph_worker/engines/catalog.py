"""The engines this worker offers, best first within each kind.

Built-in CPU engines always load. A reference-model plug-in is any engine class here that names
its weights-folder setting (Engine.weights_setting); it joins, ahead of the built-ins so it is the
default, when that setting is set. Adding one is its module and its test (docs/adding-an-engine.md).
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from pathlib import Path
from typing import Mapping, Optional

from .. import log
from ..config import ConfigError
from .align_auto import Aligner
from .align_espeak_dtw import DtwAligner
from .align_pocketsphinx import PocketsphinxAligner
from .base import Engine
from .denoise_mmse_lsa import MmseLsaDenoiser
from .denoise_fast import SpeexDenoiser
from .synth_espeak_ng import EspeakSynthesizer
from .synth_flite import FliteSynthesizer

# The built-in engines, best first within each kind (the first of a kind that speaks a job's
# language is its default). Each is constructible without arguments; one that takes `device` is
# given the worker's.
ALL: list[type[Engine]] = [MmseLsaDenoiser, SpeexDenoiser, Aligner, PocketsphinxAligner, DtwAligner,
                           FliteSynthesizer, EspeakSynthesizer]


def _built_in(cls: type[Engine], device: str) -> Engine:
    return cls(device=device) if "device" in inspect.signature(cls).parameters else cls()  # type: ignore[call-arg]


def plugins() -> list[type[Engine]]:
    """Every engine class in this package that names a weights folder (Engine.weights_setting), in
    module order. Importing a plug-in's module is cheap: model code loads in load()."""
    found: list[type[Engine]] = []
    for m in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"{__package__}.{m.name}")
        except Exception as exc:  # a broken or half-installed plug-in must not stop the built-ins
            log.error("engine module failed to import; skipped", exc=exc, module=m.name)
            continue
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, Engine) and obj.__module__ == module.__name__
                    and obj.weights_setting):
                found.append(obj)
    return found


def default_engines(device: str = "cpu", model_dirs: Optional[Mapping[str, str]] = None) -> dict[str, list[Engine]]:
    """Fresh (not loaded) engines per kind, best first: each plug-in whose weights folder is set
    (model_dirs: setting -> folder) ahead of the built-ins, so it is its kind's default."""
    engines: dict[str, list[Engine]] = {}
    for engine in (_built_in(cls, device) for cls in ALL):
        engines.setdefault(engine.info.kind, []).append(engine)
    dirs = dict(model_dirs or {})
    found = plugins()
    for cls in reversed(found):  # inserted at the front: the first found of a kind is its default
        folder = dirs.pop(cls.weights_setting or "", None)
        if folder:
            if not os.path.isdir(folder):  # a typo must not silently serve the fallback engine
                raise ConfigError(f"{cls.weights_setting}: {folder!r} is not a directory")
            engines[cls.info.kind].insert(0, cls(folder, device=device))  # type: ignore[call-arg]
    for setting in dirs:  # e.g. a misspelt name: say so rather than serve the built-ins silently
        log.warning("no plug-in has this weights setting; ignored", setting=setting,
                    plugins=[cls.weights_setting for cls in found])
    return engines
