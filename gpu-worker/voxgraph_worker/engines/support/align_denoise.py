"""The aligners' input step: 16 kHz mono, a blind SNR estimate, and the denoiser when it helps.

Whether it helps was measured per engine (voxgraph_eval.align_table clips, mean boundary error):
- espeak+DTW: neutral to better for every noise (white 0 dB 52 -> 34 ms, babble 0 dB 78 -> 69 ms).
- pocketsphinx: better for stationary noise (white 10 dB 36 -> 21 ms, 0 dB 106 -> 60 ms) but
  worse for babble (10 dB: 47 -> 77 ms), so it only denoises stationary noise.
Clean speech gets no denoising (it cost pocketsphinx 14 -> 20 ms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import dsp, snr
from ..base import AudioData, ReportProgress

SR = 16000
DENOISE_BELOW_DB = 25.0  # estimated SNR under which audio counts as noisy (clean speech estimates >= 30)


@dataclass
class Prepared:
    x16: np.ndarray  # what the aligner should use (denoised where that was chosen)
    raw16: np.ndarray  # the input, 16 kHz mono
    noise: snr.NoiseEstimate
    denoised: bool

    def notes(self) -> dict:
        return {"denoised": self.denoised, "snrDb": round(self.noise.snr_db, 1)}


class Denoiser:
    """Lazily built MMSE-LSA denoiser on `device`."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._engine = None

    def __call__(self, x16: np.ndarray, report: ReportProgress) -> np.ndarray:
        if self._engine is None:
            from ..denoise_mmse_lsa import MmseLsaDenoiser

            try:
                self._engine = MmseLsaDenoiser(device=self.device)
            except TypeError:  # the numpy version of the class takes no device
                self._engine = MmseLsaDenoiser()
            self._engine.load()
        return self._engine.run(AudioData(x16, SR), report).samples


def measure(audio: AudioData) -> Prepared:
    x16 = dsp.mono16k(audio.samples, audio.sample_rate)
    return Prepared(x16, x16, snr.estimate(x16, SR), False)


def denoise(p: Prepared, denoiser: Denoiser, report: ReportProgress) -> Prepared:
    return Prepared(denoiser(p.raw16, report), p.raw16, p.noise, True)


def wants_denoise(noise: snr.NoiseEstimate, stationary_only: bool) -> bool:
    if noise.snr_db >= DENOISE_BELOW_DB:
        return False
    return noise.stationary or not stationary_only


def prepare(audio: AudioData, denoiser: Optional[Denoiser], stationary_only: bool,
            report: ReportProgress) -> Prepared:
    p = measure(audio)
    if denoiser is not None and wants_denoise(p.noise, stationary_only):
        return denoise(p, denoiser, report)
    return p
