"""Engine registry: the default engine per job kind."""

from __future__ import annotations

from .align import Aligner
from .align_dtw import DtwAligner
from .align_pocketsphinx import PocketsphinxAligner
from .base import Engine
from .denoise_mmse import MmseLsaDenoiser
from .synth_espeak import EspeakSynthesizer

ALL: list[type[Engine]] = [MmseLsaDenoiser, Aligner, PocketsphinxAligner, DtwAligner, EspeakSynthesizer]


def default_engines() -> dict[str, Engine]:
    """One fresh (not loaded) engine per kind."""
    return {"denoise": MmseLsaDenoiser(), "align": Aligner(), "synthesize": EspeakSynthesizer()}
