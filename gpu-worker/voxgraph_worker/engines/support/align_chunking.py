"""Cutting long audio for an aligner with a length limit, and mapping an aligner's own word
units back onto our transcript tokens.

- plan_chunks: from rough word times (our CPU aligner), chunks of at most `max_s` seconds cut in
  the middle of inter-word pauses, each with the words it holds.
- unit_times_to_tokens: an aligner that cleans and splits the text its own way (drops
  punctuation, splits Han characters, segments Japanese into words) returns times per unit; we
  match the two texts character by character (letters, digits and apostrophes, case-folded) and
  give each transcript token the span of its characters.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .tokens import Token

_REFINE_S = 0.3


@dataclass
class Chunk:
    start: float  # seconds in the whole audio
    end: float
    first: int  # token indices [first, last) whose words lie in this chunk
    last: int


def plan_chunks(words: Sequence[tuple[float, float]], duration: float, max_s: float,
                audio: Optional[np.ndarray] = None, sr: int = 16000) -> list[Chunk]:
    """Chunks of at most max_s covering [0, duration], cut in pauses between words.

    Each cut goes in the widest gap whose middle falls in the second half of the allowed span (so
    chunks are not needlessly short), else the widest before the limit; with no gap at all
    (speech running past the limit) the cut is at the limit and the straddling word goes to the
    chunk holding its middle. Every word is assigned to exactly one chunk, in order.

    With the audio given, a cut in a gap moves to the quietest moment within _REFINE_S of it
    (never past the middles of its two words): rough times from a first pass can be off by a
    few hundred milliseconds, and a cut must not clip a word.
    """
    if max_s <= 0:
        raise ValueError("max_s must be positive")
    chunks: list[Chunk] = []
    start, first = 0.0, 0
    n = len(words)
    while duration - start > max_s:
        limit = start + max_s
        # gap k lies between word k-1 and word k; its middle is the candidate cut
        gaps = [(max(0.0, words[k][0] - words[k - 1][1]), (words[k - 1][1] + words[k][0]) / 2, k)
                for k in range(max(first, 1), n) if start < (words[k - 1][1] + words[k][0]) / 2 <= limit]
        late = [g for g in gaps if g[1] >= start + max_s / 2]
        pick = max(late or gaps, key=lambda g: (g[0], g[1]), default=None)
        if pick is not None and pick[2] > first:
            cut, k = pick[1], pick[2]
            if audio is not None:
                lo = max(start, (words[k - 1][0] + words[k - 1][1]) / 2, cut - _REFINE_S)
                hi = min(limit, (words[k][0] + words[k][1]) / 2, cut + _REFINE_S)
                cut = quietest(audio, sr, cut, lo, hi)
        else:
            cut = limit
            k = first
            while k < n and (words[k][0] + words[k][1]) / 2 <= cut:
                k += 1
        chunks.append(Chunk(start, cut, first, k))
        start, first = cut, k
    chunks.append(Chunk(start, duration, first, n))
    return chunks


def quietest(audio: np.ndarray, sr: int, near: float, lo: float, hi: float) -> float:
    """The middle of the quietest 10 ms frame (energy smoothed over 50 ms) in [lo, hi], the one
    nearest `near` among equals."""
    hop = max(1, sr // 100)
    a, b = int(lo * sr) // hop, int(hi * sr) // hop
    if b - a < 1:
        return near
    x = np.asarray(audio[a * hop:(b + 1) * hop], np.float64)
    frames = len(x) // hop
    if frames < 1:
        return near
    e = (x[:frames * hop].reshape(frames, hop) ** 2).mean(axis=1)
    e = np.convolve(e, np.ones(5) / 5, mode="same")
    t = (a + np.arange(frames) + 0.5) * hop / sr
    ok = (t >= lo) & (t <= hi)
    if not ok.any():
        return near
    best = np.flatnonzero(ok & (e <= e[ok].min() * (1 + 1e-9) + 1e-20))
    return float(t[best[np.argmin(np.abs(t[best] - near))]])


def _kept(ch: str) -> bool:
    return ch == "'" or unicodedata.category(ch)[0] in "LN"


def _chars(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if _kept(c))


def unit_times_to_tokens(tokens: Sequence[Token], units: Sequence[tuple[str, float, float]]) -> list[tuple[float, float]]:
    """(start, end) per token from the aligner's (text, start, end) units.

    A unit's span is shared among its characters in equal parts; a token spans its characters.
    Characters the aligner did not return (it normalised them differently) are matched by
    difflib; a token left with none gets a zero-length span at the end of the previous token.
    """
    ours: list[int] = []  # token index per character
    our_text = []
    for i, t in enumerate(tokens):
        for c in _chars(t.text):
            ours.append(i)
            our_text.append(c)
    their_text, their_times = [], []
    for text, a, b in units:
        cs = _chars(text)
        for j, c in enumerate(cs):
            their_text.append(c)
            their_times.append((a + (b - a) * j / len(cs), a + (b - a) * (j + 1) / len(cs)))
    spans: list[Optional[list[float]]] = [None] * len(tokens)
    sm = difflib.SequenceMatcher(None, our_text, their_text, autojunk=False)
    for blk in sm.get_matching_blocks():
        for j in range(blk.size):
            i = ours[blk.a + j]
            a, b = their_times[blk.b + j]
            s = spans[i]
            spans[i] = [a, b] if s is None else [min(s[0], a), max(s[1], b)]
    out: list[tuple[float, float]] = []
    prev = min((s[0] for s in spans if s is not None), default=0.0)
    for s in spans:
        a, b = (prev, prev) if s is None else (max(s[0], prev), max(s[1], prev))
        out.append((a, b))
        prev = b
    return out
