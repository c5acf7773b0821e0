"""What every synthesize engine returns: audio plus the time of each word of the text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..base import AlignedWord, AudioData
from .espeak import WordTiming
from .tokens import token_times, tokenize


@dataclass
class SynthAudio(AudioData):
    """Synthesized audio plus the time of each transcript token in it."""

    words: list[AlignedWord] = field(default_factory=list)


def words_from_timings(text: str, timings: Sequence[WordTiming]) -> list[AlignedWord]:
    """One AlignedWord per transcript token (tokens.tokenize) from spans of the text with times."""
    tokens = tokenize(text)
    if not tokens or not timings:
        return []
    return [AlignedWord(t.text, s, e) for t, (s, e) in zip(tokens, token_times(tokens, timings))]


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dB relative to full scale (used to normalise voices and by the tests)."""
    return float(10 * np.log10(np.mean(np.asarray(samples, np.float64) ** 2) + 1e-12))
