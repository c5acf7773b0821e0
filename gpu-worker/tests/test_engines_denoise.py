"""Denoise engines as a specification, on speech made here (espeak/flite) with noise at fixed seeds."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_eval import noise
from voxgraph_eval.metrics import si_sdr
from voxgraph_worker.engines import espeak
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


def cancel_after(n: int):
    calls = []

    def report(f: float) -> None:
        assert 0.0 <= f <= 1.0
        calls.append(f)
        if len(calls) > n:
            raise Cancelled()

    return report, calls


def add_white(x: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    return noise.add(x, "white", snr_db, 16000, seed)


@pytest.fixture(scope="module")
def speech16k():
    s = espeak.synthesize(" ".join(EN), espeak.Voice(variant="m3"))
    return resample(s.samples, s.sample_rate, 16000)


def test_denoise_improves_white_noise_and_keeps_format(speech16k):
    noisy = add_white(speech16k, 5.0)
    out = MmseLsaDenoiser().run(AudioData(noisy, 16000), nothing)
    assert out.sample_rate == 16000 and out.samples.shape == noisy.shape and out.samples.dtype == np.float32
    assert si_sdr(speech16k, out.samples) - si_sdr(speech16k, noisy) >= 3.0


def test_denoise_stereo_44k(speech16k):
    clean = resample(speech16k, 16000, 44100)
    stereo = np.stack([noise.add(clean, "white", 5.0, 44100, 1), noise.add(0.5 * clean, "white", 5.0, 44100, 2)],
                      axis=1)
    out = MmseLsaDenoiser().run(AudioData(stereo, 44100), nothing)
    assert out.sample_rate == 44100 and out.samples.shape == stereo.shape
    for c, ref in enumerate([clean, 0.5 * clean]):
        assert si_sdr(ref, out.samples[:, c]) - si_sdr(ref, stereo[:, c]) >= 2.0


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
