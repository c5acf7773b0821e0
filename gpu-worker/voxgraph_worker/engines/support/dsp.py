"""Small signal helpers shared by the engines: resampling and MFCC features."""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np
from scipy.fft import dct
from scipy.signal import resample_poly

MFCC_HOP_S = 0.010


def resample(x: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Polyphase resampling along axis 0, float32."""
    if sr_from == sr_to:
        return np.asarray(x, dtype=np.float32)
    g = gcd(sr_from, sr_to)
    return resample_poly(x, sr_to // g, sr_from // g, axis=0).astype(np.float32)


@lru_cache(maxsize=8)
def _mel_filters(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(60.0), mel(min(7600.0, sr / 2)), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sr)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    fb = np.maximum(0.0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))
    return fb.astype(np.float32)


def mfcc(x: np.ndarray, sr: int = 16000, n_mfcc: int = 13, n_mels: int = 40) -> np.ndarray:
    """MFCCs with a 25 ms window and 10 ms hop, c0 dropped, cepstral-mean normalised: (frames, n_mfcc-1).

    c0 (loudness) and the mean (channel/voice colour) are removed so that two different
    voices/recordings of the same words look alike.
    """
    win, hop, n_fft = int(0.025 * sr), int(MFCC_HOP_S * sr), 512
    while n_fft < win:
        n_fft *= 2
    x = np.asarray(x, dtype=np.float32)
    x = np.append(x[:1], x[1:] - 0.97 * x[:-1])  # pre-emphasis
    n = max(1, 1 + (len(x) - win) // hop) if len(x) >= win else 1
    x = np.pad(x, (0, max(0, (n - 1) * hop + win - len(x))))
    frames = np.lib.stride_tricks.as_strided(x, (n, win), (x.strides[0] * hop, x.strides[0]))
    window, fb = np.hanning(win).astype(np.float32), _mel_filters(sr, n_fft, n_mels).T
    c = np.empty((n, n_mfcc - 1), np.float32)
    for b in range(0, n, 4096):  # blocks keep the spectrogram temporaries small on long audio
        spec = np.abs(np.fft.rfft(frames[b:b + 4096] * window, n_fft)) ** 2
        c[b:b + 4096] = dct(np.log(spec @ fb + 1e-8), type=2, norm="ortho", axis=1)[:, 1:n_mfcc]
    return (c - c.mean(axis=0)).astype(np.float32)


def mono16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Down-mix and resample to 16 kHz, the rate both aligners work at."""
    x = samples if samples.ndim == 1 else samples.mean(axis=1)
    return resample(x, sample_rate, 16000)
