"""espeak + MFCC + DTW forced aligner (the aeneas method), for every espeak language.

The transcript is synthesized with espeak, whose word events give exact word times in the
synthetic reference; DTW between the MFCCs of the reference and of the input carries those
times onto the input's time axis.
"""

from __future__ import annotations

import numpy as np

from .support import confidence, dsp, dtw, espeak
from .support.align_denoise import Denoiser, prepare
from .base import AlignedWord, AlignOutput, AudioData, Engine, EngineInfo, EngineInputError, ReportProgress
from .support.tokens import Token, token_times, tokenize

_SR = 16000
_PAD_S = 0.3  # silence around the reference absorbs leading/trailing silence of the input
_HOP = dsp.MFCC_HOP_S


def _no_report(_: float) -> None:
    pass



def checked_tokens(transcript: str, language: str) -> list[Token]:
    """The transcript's words, refusing what no espeak-based aligner can align (both "auto" and
    "espeak-dtw" ask this)."""
    tokens = tokenize(transcript)
    if not tokens:
        raise EngineInputError("EMPTY_TRANSCRIPT", "the transcript has no words")
    if language not in espeak.VOICES:
        raise EngineInputError("UNSUPPORTED_LANGUAGE", f"no espeak voice for {language!r}")
    return tokens

class DtwAligner(Engine):
    info = EngineInfo(kind="align", name="espeak-dtw", version="1.1", languages=list(espeak.LANGUAGES),
                      input_sample_rate=16000, input_mono=True)

    def __init__(self, device: str = "cpu", denoise: bool = True) -> None:
        # DTW gained from denoising for every noise measured, so it denoises all noisy input.
        self._denoiser = Denoiser(device) if denoise else None

    def load(self) -> None:
        espeak.sample_rate()  # initialises the library

    def warmup(self) -> None:
        self.run(AudioData(np.zeros(_SR, np.float32), _SR), "hello", "en", _no_report)

    def run(self, audio: AudioData, transcript: str, language: str, report: ReportProgress) -> AlignOutput:
        tokens = checked_tokens(transcript, language)
        p = prepare(audio, self._denoiser, False, lambda f: report(0.2 * f))
        start = 0.2 if p.denoised else 0.0
        words = align_tokens(p.x16, transcript, tokens, language, lambda f: report(start + (1 - start) * f))
        return AlignOutput(words=words, language=language, notes={"engine": self.info.name, **p.notes()})


def align_tokens(x16: np.ndarray, transcript: str, tokens: list[Token], language: str,
                 report: ReportProgress) -> list[AlignedWord]:
    """Word times of `tokens` (spans of `transcript`) in 16 kHz mono audio `x16`."""
    report(0.0)
    done = [0.0]  # espeak's text positions can step back (clause ends): report a running maximum

    def synth_report(f: float) -> None:
        done[0] = max(done[0], f)
        report(0.05 * done[0])

    ref = espeak.synthesize(transcript, espeak.Voice(language=language), synth_report)
    if not ref.words:  # nothing to align against: every word unplaced (the align kind spreads them)
        report(1.0)
        return [AlignedWord(text=tok.text, start=0.0, end=0.0, confidence=0.0, aligned=False) for tok in tokens]
    ref_times = np.array(token_times(tokens, ref.words)) + _PAD_S
    pad = np.zeros(int(_PAD_S * _SR), np.float32)
    ref16 = np.concatenate([pad, dsp.resample(ref.samples, ref.sample_rate, _SR), pad])
    ref16 += np.random.default_rng(0).normal(0, 1e-4, len(ref16)).astype(np.float32)  # no digital silence
    fx, fy = dsp.mfcc(x16, _SR), dsp.mfcc(ref16, _SR)
    report(0.1)
    path, cost = dtw.align(fx, fy, lambda f: report(0.1 + 0.85 * f))

    # input frame at which the path first reaches each reference frame
    cols = np.clip(np.round(ref_times / _HOP).astype(np.int64), 0, len(fy) - 1)
    first = np.searchsorted(path[:, 1], cols, side="left")
    rows = path[np.minimum(first, len(path) - 1), 0]
    duration = len(x16) / _SR
    times = np.clip(rows * _HOP, 0.0, duration)

    # match: 1 for a perfect match, 0 for frames as unlike as random pairs; confidence.dtw calibrates it
    rng = np.random.default_rng(0)
    rand = np.linalg.norm(fx[rng.integers(0, len(fx), 2000)] - fy[rng.integers(0, len(fy), 2000)], axis=1).mean()
    out: list[AlignedWord] = []
    prev_end = 0.0
    for tok, (s, e), (c0, c1) in zip(tokens, times, cols):
        s = max(float(s), prev_end)
        e = max(float(e), s)
        seg = cost[np.searchsorted(path[:, 1], c0):np.searchsorted(path[:, 1], max(c1, c0 + 1))]
        match = float(np.clip(1.0 - seg.mean() / rand, 0.0, 1.0)) if len(seg) and rand > 0 else 0.0
        conf = confidence.dtw(match)
        out.append(AlignedWord(text=tok.text, start=s, end=e, confidence=conf))
        prev_end = e
    report(1.0)
    return out
