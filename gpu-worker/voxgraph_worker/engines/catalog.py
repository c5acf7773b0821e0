"""The engines this worker offers, best first within each kind.

Built-in CPU engines always load. A reference-model plug-in is any engine class here that names
its weights-folder setting (Engine.weights_setting); it joins, ahead of the built-ins so it is the
default, when that setting is set. Adding one is its module and its test (docs/adding-an-engine.md).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Mapping, Optional

from .align_auto import Aligner
from .align_espeak_dtw import DtwAligner
from .align_pocketsphinx import PocketsphinxAligner
from .base import Engine
from .denoise_mmse_lsa import MmseLsaDenoiser
from .denoise_fast import SpeexDenoiser
from .synth_espeak_ng import EspeakSynthesizer
from .synth_flite import FliteSynthesizer

# The built-in engines (constructible without arguments).
ALL: list[type[Engine]] = [MmseLsaDenoiser, SpeexDenoiser, Aligner, PocketsphinxAligner, DtwAligner,
                           FliteSynthesizer, EspeakSynthesizer]


def plugins() -> list[type[Engine]]:
    """Every engine class in this package that names a weights folder (Engine.weights_setting), in
    module order. Importing a plug-in's module is cheap: model code loads in load()."""
    found: list[type[Engine]] = []
    for m in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        module = importlib.import_module(f"{__package__}.{m.name}")
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, Engine) and obj.__module__ == module.__name__
                    and obj.weights_setting):
                found.append(obj)
    return found


def default_engines(device: str = "cpu", model_dirs: Optional[Mapping[str, str]] = None) -> dict[str, list[Engine]]:
    """Fresh (not loaded) engines per kind, best first: each plug-in whose weights folder is set
    (model_dirs: setting -> folder) ahead of the built-ins, so it is its kind's default."""
    engines: dict[str, list[Engine]] = {
        "denoise": [MmseLsaDenoiser(device=device), SpeexDenoiser()],
        "align": [Aligner(device=device), PocketsphinxAligner(), DtwAligner()],
        "synthesize": [FliteSynthesizer(), EspeakSynthesizer()],
    }
    dirs = model_dirs or {}
    for cls in plugins():
        folder = dirs.get(cls.weights_setting or "")
        if folder:
            engines[cls.info.kind].insert(0, cls(folder, device=device))  # type: ignore[call-arg]
    return engines
