"""Whispering a voiced signal: LPC analysis, with the excitation replaced by noise.

A whisper is the same vocal-tract filter driven by turbulent noise instead of the glottal pulse
train, so keeping each frame's LPC envelope and energy but exciting it with white noise turns
voiced speech into whispered speech while keeping every sound exactly where it was (word times
stay valid, and the dry and whispered signals can be mixed).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_toeplitz
from scipy.signal import lfilter


def whisperize(x: np.ndarray, sample_rate: int, seed: int = 0) -> np.ndarray:
    """float32 signal of the same length: the LPC envelope of `x` over white-noise excitation."""
    x = np.asarray(x, np.float64)
    n = int(0.025 * sample_rate)
    hop = n // 2
    order = 2 + sample_rate // 1000  # the usual rule: formants every ~1 kHz, two poles each
    window = np.hanning(n + 2)[1:-1]  # periodic-ish Hann: overlap-added at 50 % sums to ~1
    rng = np.random.default_rng(seed)
    out = np.zeros(len(x) + n)
    padded = np.concatenate([x, np.zeros(n)])
    for start in range(0, len(x), hop):
        frame = padded[start:start + n] * window
        r = np.correlate(frame, frame, "full")[n - 1:n + order]
        if r[0] <= 1e-10:
            continue  # silence stays silent
        r[1:] *= np.exp(-0.5 * (2 * np.pi * 40.0 / sample_rate * np.arange(1, order + 1)) ** 2)  # lag window
        r[0] *= 1.0 + 1e-6  # white-noise correction keeps the filter stable
        a = np.concatenate([[1.0], -solve_toeplitz(r[:order], r[1:order + 1])])
        gain = np.sqrt(max(np.dot(a, r[:order + 1]), 1e-12) / n)  # residual energy per sample
        noise = rng.standard_normal(n) * gain
        out[start:start + n] += lfilter([1.0], a, noise) * window
    y = out[:len(x)]
    # the noise-excited frames carry the frame energy; match the overall level of the input
    scale = np.sqrt(np.mean(x**2) / max(np.mean(y**2), 1e-20)) if np.any(y) else 0.0
    return (y * scale).astype(np.float32)
