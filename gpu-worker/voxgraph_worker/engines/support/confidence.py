"""Per-word confidence in [0, 1]: an engine's raw per-word match score through a calibrated logistic.

Calibrated (balanced logistic regression) on sentences and voices kept out of the evaluation:
4 sentences x (flite kal16, espeak m2@150) x (clean, white 10/0 dB, babble 10 dB), words as
spoken (positives) against one word per sentence replaced by an unrelated word (negatives).
Median confidence there, spoken vs substituted: pocketsphinx clean 0.94 vs 0.05, white 10 dB
0.86 vs 0.05; DTW clean 0.91 vs 0.49, white 10 dB 0.64 vs 0.26. Noise lowers both.
"""

from __future__ import annotations

import math

# pocketsphinx: word acoustic score per 10 ms frame. Its scores are relative to the best senone
# of each frame, so this is a goodness-of-pronunciation against a free senone loop.
_PS_A, _PS_B = 5.03, 0.1023
# DTW: 1 - (mean local MFCC distance on the word's path) / (distance between random frame pairs).
_DTW_A, _DTW_B = -1.93, 8.52


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def pocketsphinx(score_per_frame: float) -> float:
    return _logistic(_PS_A + _PS_B * score_per_frame)


def dtw(match: float) -> float:
    return _logistic(_DTW_A + _DTW_B * match)
