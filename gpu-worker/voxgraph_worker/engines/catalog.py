"""The engines this worker offers, best first within each kind.

Built-in CPU engines always load. A reference-model plug-in joins (ahead of the built-ins, so it
is the default) when its weights folder is configured; plug-in modules are imported only then,
since they pull in their model code.
"""

from __future__ import annotations

from typing import Optional

from .align import Aligner
from .align_dtw import DtwAligner
from .align_pocketsphinx import PocketsphinxAligner
from .base import Engine
from .denoise_mmse import MmseLsaDenoiser
from .denoise_speex import SpeexDenoiser
from .synth_espeak import EspeakSynthesizer
from .synth_flite import FliteSynthesizer

# The built-in engines (constructible without arguments).
ALL: list[type[Engine]] = [MmseLsaDenoiser, SpeexDenoiser, Aligner, PocketsphinxAligner, DtwAligner,
                           FliteSynthesizer, EspeakSynthesizer]


def default_engines(device: str = "cpu", *, frcrn_dir: Optional[str] = None, qwen3_aligner_dir: Optional[str] = None,
                    indextts2_dir: Optional[str] = None) -> dict[str, list[Engine]]:
    """Fresh (not loaded) engines per kind, best first."""
    denoise: list[Engine] = [MmseLsaDenoiser(device=device), SpeexDenoiser()]
    align: list[Engine] = [Aligner(device=device), PocketsphinxAligner(), DtwAligner()]
    synthesize: list[Engine] = [FliteSynthesizer(), EspeakSynthesizer()]
    if frcrn_dir:
        from .denoise_frcrn import FrcrnDenoiser

        denoise.insert(0, FrcrnDenoiser(frcrn_dir, device=device))
    if qwen3_aligner_dir:
        from .align_qwen3 import Qwen3Aligner

        align.insert(0, Qwen3Aligner(qwen3_aligner_dir, device=device))
    if indextts2_dir:
        from .synth_indextts2 import IndexTts2Synthesizer

        synthesize.insert(0, IndexTts2Synthesizer(indextts2_dir, device=device))
    return {"denoise": denoise, "align": align, "synthesize": synthesize}
