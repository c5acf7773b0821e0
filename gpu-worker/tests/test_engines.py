"""Speech engines as a specification, on audio made here with known truth (espeak/flite word times)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_worker.engines import ALL, default_engines, espeak
from voxgraph_worker.engines.base import AudioData, Cancelled

EN = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "We will meet tomorrow morning at the station before the train leaves for London.",
]


def nothing(_: float) -> None:
    pass


def add_white(x: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    n = np.random.default_rng(seed).normal(size=x.shape).astype(np.float32)
    return (x + n * np.sqrt(np.mean(x**2) / np.mean(n**2) / 10 ** (snr_db / 10))).astype(np.float32)


def assert_well_formed(words, duration: float) -> None:
    prev = 0.0
    for w in words:
        assert prev <= w.start <= w.end <= duration + 1e-6
        assert w.confidence is None or 0.0 <= w.confidence <= 1.0
        prev = w.end


def cancel_after(n: int):
    calls = []

    def report(f: float) -> None:
        assert 0.0 <= f <= 1.0
        calls.append(f)
        if len(calls) > n:
            raise Cancelled()

    return report, calls


def test_registry():
    engines = default_engines()
    assert set(engines) == {"denoise", "align", "synthesize"}
    assert {e.info.kind for e in engines.values()} == set(engines)
    assert all(type(e) in ALL for e in engines.values())
