"""The default aligner (`auto`): picks engine and denoising from a blind SNR estimate.

Measured on voxgraph_eval.align_table clips (mean word-boundary error):
- clean English: pocketsphinx (14 ms) beats espeak+DTW (23 ms); denoising clean speech hurts.
- estimated SNR under _DTW_BELOW_DB (white 0 dB, babble 0 dB): pocketsphinx drifts by hundreds of
  ms (babble 0 dB: 408 ms) while denoised DTW stays near 35-70 ms, so DTW aligns.
- in between: pocketsphinx, on denoised audio for stationary noise only (see align_denoise), and
  checked against a DTW pass: when they disagree by more than _DISAGREE_S on average, pocketsphinx
  has lost its way (a path through noise) and DTW's times are used.
Other languages: espeak+DTW, denoised when noisy.
"""

from __future__ import annotations

import numpy as np

from .support import espeak
from .support.align_denoise import DENOISE_BELOW_DB, Denoiser, denoise, measure, wants_denoise
from .align_espeak_dtw import DtwAligner, align_tokens, checked_tokens
from .align_pocketsphinx import PocketsphinxAligner
from .base import AlignOutput, AudioData, Engine, EngineInfo, ReportProgress

_DTW_BELOW_DB = 15.0  # estimated: white 0 dB reads 5-7 dB, babble 0 dB 10-14 dB, babble 10 dB 19-22 dB
_DISAGREE_S = 0.10


class Aligner(Engine):
    info = EngineInfo(kind="align", name="auto", version="1.1", languages=list(espeak.LANGUAGES),
                      input_sample_rate=16000, input_mono=True)

    def __init__(self, device: str = "cpu") -> None:
        self._denoiser = Denoiser(device)
        self._dtw = DtwAligner(device)
        self._sphinx = PocketsphinxAligner(device)

    def load(self) -> None:
        self._dtw.load()
        self._sphinx.load()

    def warmup(self) -> None:
        self._sphinx.warmup()

    def release(self) -> None:
        self._sphinx.release()

    def run(self, audio: AudioData, transcript: str, language: str, report: ReportProgress) -> AlignOutput:
        tokens = checked_tokens(transcript, language)
        p = measure(audio)
        use_sphinx = language == "en" and p.noise.snr_db >= _DTW_BELOW_DB
        if wants_denoise(p.noise, stationary_only=use_sphinx):
            p = denoise(p, self._denoiser, lambda f: report(0.2 * f))
        start = 0.2 if p.denoised else 0.0

        def rest(a: float, b: float):
            return lambda f: report(start + (1 - start) * (a + (b - a) * f))

        notes = {"engine": "pocketsphinx" if use_sphinx else "espeak-dtw", **p.notes()}
        if not use_sphinx:
            words = align_tokens(p.x16, transcript, tokens, language, rest(0.0, 1.0))
            return AlignOutput(words=words, language=language, notes=notes)
        noisy = p.noise.snr_db < DENOISE_BELOW_DB
        words, extra = self._sphinx.align_prepared(p.x16, transcript, tokens, rest(0.0, 0.7 if noisy else 1.0))
        notes.update(extra)
        if "fallback" not in extra and noisy:
            check = align_tokens(p.x16, transcript, tokens, language, rest(0.7, 1.0))
            gap = np.mean([(abs(a.start - b.start) + abs(a.end - b.end)) / 2 for a, b in zip(words, check)])
            if gap > _DISAGREE_S:
                words, notes["fallback"] = check, "espeak-dtw"
        if "fallback" in notes:
            notes["engine"] = "espeak-dtw"
        report(1.0)
        return AlignOutput(words=words, language=language, notes=notes)
