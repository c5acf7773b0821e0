"""Speech engines as a specification, on audio made here with known truth (espeak/flite word times)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_worker.engines import ALL, default_engines, espeak
from voxgraph_worker.engines.base import AudioData, Cancelled
from voxgraph_worker.engines.denoise_mmse import MmseLsaDenoiser
from voxgraph_worker.engines.dsp import resample

EN = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "We will meet tomorrow morning at the station before the train leaves for London.",
]


def nothing(_: float) -> None:
    pass


def sisdr(ref: np.ndarray, est: np.ndarray) -> float:
    target = np.dot(est, ref) / np.dot(ref, ref) * ref
    return float(10 * np.log10(np.dot(target, target) / np.sum((est - target) ** 2)))


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


@pytest.fixture(scope="module")
def speech16k():
    s = espeak.synthesize(" ".join(EN), espeak.Voice(variant="m3"))
    return resample(s.samples, s.sample_rate, 16000)


# --- denoise ---------------------------------------------------------------------------------

def test_denoise_improves_white_noise_and_keeps_format(speech16k):
    noisy = add_white(speech16k, 5.0)
    out = MmseLsaDenoiser().run(AudioData(noisy, 16000), nothing)
    assert out.sample_rate == 16000 and out.samples.shape == noisy.shape and out.samples.dtype == np.float32
    assert sisdr(speech16k, out.samples) - sisdr(speech16k, noisy) >= 3.0


def test_denoise_stereo_44k(speech16k):
    clean = resample(speech16k, 16000, 44100)
    stereo = np.stack([add_white(clean, 5.0, 1), add_white(0.5 * clean, 5.0, 2)], axis=1)
    out = MmseLsaDenoiser().run(AudioData(stereo, 44100), nothing)
    assert out.sample_rate == 44100 and out.samples.shape == stereo.shape
    for c, ref in enumerate([clean, 0.5 * clean]):
        assert sisdr(ref, out.samples[:, c]) - sisdr(ref, stereo[:, c]) >= 2.0


def test_denoise_reports_progress_and_cancels(speech16k):
    report, calls = cancel_after(3)
    with pytest.raises(Cancelled):
        MmseLsaDenoiser().run(AudioData(add_white(speech16k, 5.0), 16000), report)
    assert len(calls) == 4  # stopped at the first report that raised
    fractions = []
    MmseLsaDenoiser().run(AudioData(speech16k[:16000 * 5], 16000), fractions.append)
    assert len(fractions) >= 20 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_denoise_also_cleans_the_first_second(speech16k):
    # Regression: zero padding made the noise tracker find "silence" at the edges and pass the
    # first and last second through untouched.
    lead = np.zeros(16000, np.float32)
    noisy = add_white(np.concatenate([lead, speech16k]), 5.0)
    out = MmseLsaDenoiser().run(AudioData(noisy, 16000), nothing).samples
    head = slice(0, 12000)
    assert np.sqrt(np.mean(out[head] ** 2)) < 0.35 * np.sqrt(np.mean(noisy[head] ** 2))


def test_registry():
    engines = default_engines()
    assert set(engines) == {"denoise", "align", "synthesize"}
    assert {e.info.kind for e in engines.values()} == set(engines)
    assert all(type(e) in ALL for e in engines.values())
