"""Transcript tokens and mapping of espeak word events onto them.

Output words are the transcript's own tokens (original spelling and punctuation): whitespace
separated, except Han/kana characters, which are one token each (no spaces to split on).
A token with no letter or digit (a lone dash, a quote) is glued to the previous token.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional, Sequence

from .espeak import WordTiming

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass
class Token:
    text: str
    start: int  # character span in the transcript
    end: int


def _is_wordlike(s: str) -> bool:
    return any(unicodedata.category(c)[0] in "LN" for c in s)


def tokenize(transcript: str) -> list[Token]:
    out: list[Token] = []
    pending: Optional[Token] = None  # leading punctuation waits for the first word
    for m in _TOKEN.finditer(transcript):
        tok = Token(m.group(), m.start(), m.end())
        if _is_wordlike(tok.text):
            if pending is not None:
                tok = Token(transcript[pending.start:tok.end], pending.start, tok.end)
                pending = None
            out.append(tok)
        elif out:
            prev = out[-1]
            out[-1] = Token(transcript[prev.start:tok.end], prev.start, tok.end)
        else:
            pending = tok if pending is None else Token(transcript[pending.start:tok.end], pending.start, tok.end)
    return out


def normalize(word: str) -> str:
    """Lower-case, letters/digits/inner apostrophes only (dictionary form)."""
    w = "".join(c for c in word.lower().replace("\u2019", "'") if c == "'" or unicodedata.category(c)[0] in "LN")
    return w.strip("'")


def token_times(tokens: Sequence[Token], words: Sequence[WordTiming]) -> list[tuple[float, float]]:
    """Times of each token from espeak word events.

    An event belongs to the token holding its first character; a token with several events
    (a number read as several words) spans them all. espeak sometimes voices two tokens under
    one event ("of the"): tokens without an event share the preceding token's span in
    proportion to their length.
    """
    if not tokens:
        return []
    if not words:
        raise ValueError("no word events to map")
    starts = [t.start for t in tokens]
    spans: list[Optional[list[float]]] = [None] * len(tokens)
    ti = 0
    for w in words:  # events come in text order
        while ti + 1 < len(tokens) and starts[ti + 1] <= w.text_start:
            ti += 1
        s = spans[ti]
        spans[ti] = [w.start, w.end] if s is None else [min(s[0], w.start), max(s[1], w.end)]
    # Group each evented token with the eventless tokens after it (leading ones join the first group).
    first = next(i for i, s in enumerate(spans) if s is not None)
    groups: list[list[int]] = [list(range(first + 1))]
    for i in range(first + 1, len(tokens)):
        if spans[i] is not None:
            groups.append([i])
        else:
            groups[-1].append(i)
    out: list[tuple[float, float]] = [(0.0, 0.0)] * len(tokens)
    for g in groups:
        span = next(spans[i] for i in g if spans[i] is not None)
        lengths = [len(tokens[i].text) for i in g]
        total, acc = float(sum(lengths)), 0.0
        for i, n in zip(g, lengths):
            a = span[0] + (span[1] - span[0]) * acc / total
            acc += n
            out[i] = (a, span[0] + (span[1] - span[0]) * acc / total)
    prev = 0.0  # events may overlap by a sample and shares round: keep spans ordered
    for i, (a, b) in enumerate(out):
        a = max(a, prev)
        out[i] = (a, max(a, b))
        prev = out[i][1]
    return out
