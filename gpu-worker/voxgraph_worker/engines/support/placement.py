"""Words an aligner could not place: marked, with interpolated times, instead of failing the job.

A word is unplaced when its engine says so (AlignedWord.aligned False), when it got no time span
(shorter than MIN_PLACED_S: a DTW path that ran out of audio collapses the rest of the transcript
onto its last frame), or when it starts at or after the end of the audio. Each run of unplaced
words shares the gap between the placed words around it (the audio's start and end at the edges)
in proportion to the words' lengths in characters, as MFA and Gentle users expect: every word of
the transcript comes back, in order, and `aligned` says which times were measured.
"""

from __future__ import annotations

from dataclasses import replace

from ..base import AlignedWord

# Under two 10 ms analysis frames: no engine here measures a real word that short.
MIN_PLACED_S = 0.015


def is_placed(w: AlignedWord, duration: float) -> bool:
    return w.aligned and (w.end - w.start) >= MIN_PLACED_S and w.start < duration


def place(words: list[AlignedWord], duration: float) -> list[AlignedWord]:
    """The words in order, the unplaced ones marked (aligned False, confidence 0) and spread over
    their gap; placed words are returned unchanged."""
    placed = [is_placed(w, duration) for w in words]
    out = list(words)
    i = 0
    while i < len(words):
        if placed[i]:
            i += 1
            continue
        j = i
        while j < len(words) and not placed[j]:
            j += 1
        lo = words[i - 1].end if i > 0 else 0.0
        hi = words[j].start if j < len(words) else duration
        # Never before the previous word ends (even one an engine let run past the audio's end).
        lo = max(lo, 0.0)
        hi = max(min(hi, duration), lo)
        weights = [max(1, len(w.text)) for w in words[i:j]]
        total, acc = float(sum(weights)), 0.0
        for k, wt in zip(range(i, j), weights):
            a = lo + (hi - lo) * acc / total
            acc += wt
            b = lo + (hi - lo) * acc / total
            out[k] = replace(words[k], start=a, end=b, confidence=0.0, aligned=False)
        i = j
    return out
