"""Quality metrics: SI-SDR and segmental SNR for denoising, word-boundary error for alignment."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """Scale-invariant SDR in dB (Le Roux et al. 2019); both signals mean-free, same length."""
    ref = np.asarray(ref, np.float64) - np.mean(ref)
    est = np.asarray(est, np.float64) - np.mean(est)
    target = np.dot(est, ref) / np.dot(ref, ref) * ref
    return float(10 * np.log10(np.dot(target, target) / max(np.sum((est - target) ** 2), 1e-20)))


def seg_snr(ref: np.ndarray, est: np.ndarray, sr: int, frame_s: float = 0.032,
            lo: float = -10.0, hi: float = 35.0, active_db: float = -40.0) -> float:
    """Segmental SNR in dB: per-frame SNR clamped to [lo, hi], averaged over frames where the
    reference is within `active_db` of its loudest frame (the usual speech-activity gate)."""
    n = max(1, int(frame_s * sr))
    frames = len(ref) // n
    r = np.asarray(ref[: frames * n], np.float64).reshape(frames, n)
    e = np.asarray(est[: frames * n], np.float64).reshape(frames, n)
    sig = np.sum(r**2, axis=1)
    err = np.sum((r - e) ** 2, axis=1)
    snr = np.clip(10 * np.log10((sig + 1e-20) / (err + 1e-20)), lo, hi)
    active = 10 * np.log10(sig + 1e-20) > 10 * np.log10(sig.max() + 1e-20) + active_db
    return float(np.mean(snr[active])) if active.any() else float("nan")


def boundary_errors(words: Sequence, truth: Sequence[tuple[float, float]]) -> list[float]:
    """Per word: mean of |start error| and |end error| in seconds. `words` have .start/.end."""
    if len(words) != len(truth):
        raise ValueError(f"{len(words)} words aligned for {len(truth)} in the truth")
    return [(abs(w.start - a) + abs(w.end - b)) / 2 for w, (a, b) in zip(words, truth)]


def boundary_error(words: Sequence, truth: Sequence[tuple[float, float]]) -> float:
    return float(np.mean(boundary_errors(words, truth)))


def summary(values: Sequence[float]) -> dict[str, float]:
    v = np.asarray(values, np.float64)
    if v.size == 0:
        return {"mean": float("nan"), "median": float("nan"), "p90": float("nan"), "n": 0}
    return {"mean": float(v.mean()), "median": float(np.median(v)), "p90": float(np.percentile(v, 90)), "n": int(v.size)}


def periodicity(x: np.ndarray, sr: int) -> float:
    """Mean normalised autocorrelation peak (60-400 Hz lags) over loud 40 ms frames: ~0.7 for voiced
    speech, low for whispered speech."""
    n = int(0.04 * sr)
    peaks = []
    for i in range(0, len(x) - n, n // 2):
        f = x[i:i + n] - x[i:i + n].mean()
        if np.sqrt(np.mean(f**2)) < 0.02:
            continue
        ac = np.correlate(f, f, "full")[n - 1:]
        peaks.append(ac[sr // 400:sr // 60].max() / ac[0])
    return float(np.mean(peaks))
