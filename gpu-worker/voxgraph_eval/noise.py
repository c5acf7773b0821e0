"""Noise at fixed seeds, and mixing at a given SNR: white, pink (1/f) and babble (other voices)."""

from __future__ import annotations

import numpy as np

NOISE_TYPES = ("white", "pink", "babble")

_BABBLE_TEXT = [
    "Somebody left the window open and the papers blew all over the office floor.",
    "I think the meeting was moved to Thursday afternoon, but nobody told the manager.",
    "The children were playing in the garden while their parents cooked dinner outside.",
    "He bought three loaves of bread, a bottle of milk and some cheese at the market.",
    "After the rain stopped we walked along the beach and watched the boats come in.",
    "Could you please send me the report before the end of the week if you have time?",
]


def white(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def pink(n: int, seed: int = 0) -> np.ndarray:
    """1/f power spectrum, by shaping white noise in the frequency domain."""
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.arange(spec.size, dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return (x / np.std(x)).astype(np.float32)


def babble(n: int, sr: int, seed: int = 0, talkers: int = 5) -> np.ndarray:
    """A sum of `talkers` espeak voices saying other sentences, at random offsets, looped to n."""
    from voxgraph_worker.engines.support import espeak
    from voxgraph_worker.engines.support.dsp import resample

    rng = np.random.default_rng(seed)
    variants = ["m1", "f1", "m3", "f2", "m5", "f4", "m7", "f5"]
    out = np.zeros(n, np.float64)
    for k in range(talkers):
        text = " ".join(rng.permutation(_BABBLE_TEXT)[:3])
        s = espeak.synthesize(text, espeak.Voice(variant=variants[(seed + k) % len(variants)],
                                                 rate=int(rng.integers(140, 200))))
        x = resample(s.samples, s.sample_rate, sr).astype(np.float64)
        x /= np.std(x) + 1e-9
        reps = int(np.ceil((n + len(x)) / len(x)))
        loop = np.tile(x, reps)
        off = int(rng.integers(0, len(x)))
        out += loop[off:off + n]
    return (out / np.std(out)).astype(np.float32)


def make(kind: str, n: int, sr: int, seed: int = 0) -> np.ndarray:
    if kind == "white":
        return white(n, seed)
    if kind == "pink":
        return pink(n, seed)
    if kind == "babble":
        return babble(n, sr, seed)
    raise ValueError(f"unknown noise {kind!r}")


def mix(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """clean + noise scaled so that the power ratio is snr_db (over the whole clip)."""
    noise = noise[: len(clean)]
    p_s = float(np.mean(np.asarray(clean, np.float64) ** 2))
    p_n = float(np.mean(np.asarray(noise, np.float64) ** 2)) + 1e-20
    return (clean + noise * np.sqrt(p_s / p_n / 10 ** (snr_db / 10))).astype(np.float32)


def add(clean: np.ndarray, kind: str, snr_db: float, sr: int, seed: int = 0) -> np.ndarray:
    return mix(clean, make(kind, len(clean), sr, seed), snr_db)
