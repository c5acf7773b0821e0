"""Denoise engines as a specification, on speech made here (espeak/flite) with noise at fixed seeds.

Quality is judged on the held-out set of voxgraph_eval.denoise (flite voices, sentences no engine
setting was tuned on); thresholds sit below the measured figures but fail when quality breaks.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_eval import denoise as evaluation
from voxgraph_eval import noise
from voxgraph_eval.metrics import si_sdr
from voxgraph_worker.engines.support import espeak
from voxgraph_worker.engines.base import AudioData, Cancelled, Task
from voxgraph_worker.engines.denoise_mmse_lsa import MmseLsaDenoiser
from voxgraph_worker.engines.denoise_fast import SpeexDenoiser, frame_len
from voxgraph_worker.engines.support.dsp import resample
from engine_support import nothing, cancel_after

EN = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "We will meet tomorrow morning at the station before the train leaves for London.",
]


def add_white(x: np.ndarray, snr_db: float, seed: int = 0, sr: int = 16000) -> np.ndarray:
    return noise.add(x, "white", snr_db, sr, seed)


@pytest.fixture(scope="module")
def speech16k():
    s = espeak.synthesize(" ".join(EN), espeak.Voice(variant="m3"))
    return resample(s.samples, s.sample_rate, 16000)


@pytest.fixture(scope="module")
def mmse():
    e = MmseLsaDenoiser(device="cpu")
    e.load()
    return e


@pytest.fixture(scope="module")
def fast():
    e = SpeexDenoiser()
    e.load()
    return e


@pytest.fixture(scope="module")
def heldout():
    return evaluation.heldout_clips()[::2]  # 6 clips: every sentence, each voice twice


# --- quality ---------------------------------------------------------------------------------

def test_mmse_lsa_quality_on_held_out_speech(mmse, heldout):
    # Measured on these 6 clips: +8.05 dB mean over white+pink at 0/5/10 dB, worst condition +5.8
    # (all 12 held-out clips: +7.4; the target is +5). A gain 70 % weaker in dB scores +4.2 here.
    r = evaluation.evaluate(evaluation.engine_denoiser(mmse), heldout, noises=("white", "pink"))
    assert evaluation.target_mean(r) >= 5.0
    assert all(v["si_sdri"] >= 4.0 and v["seg_snri"] >= 3.0 for v in r.values()), r


def test_mmse_lsa_does_no_harm_on_babble(mmse, heldout):
    # Classical suppression cannot separate voices from a voice; it must not make things worse.
    r = evaluation.evaluate(evaluation.engine_denoiser(mmse), heldout[:3], noises=("babble",))
    assert np.mean([v["si_sdri"] for v in r.values()]) >= -0.5, r


def test_fast_quality_on_held_out_speech(fast, heldout):
    # Measured on these 6 clips: +6.64 dB mean, worst condition +3.75.
    r = evaluation.evaluate(evaluation.engine_denoiser(fast), heldout, noises=("white", "pink"))
    assert evaluation.target_mean(r) >= 5.0
    assert all(v["si_sdri"] >= 2.5 for v in r.values()), r


# --- formats and edges -----------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["mmse", "fast"])
def test_denoise_improves_white_noise_and_keeps_format(engine, speech16k, request):
    e = request.getfixturevalue(engine)
    noisy = add_white(speech16k, 5.0)
    out = e.run(AudioData(noisy, 16000), nothing)
    assert out.sample_rate == 16000 and out.samples.shape == noisy.shape and out.samples.dtype == np.float32
    assert si_sdr(speech16k, out.samples) - si_sdr(speech16k, noisy) >= 3.0


@pytest.mark.parametrize("engine", ["mmse", "fast"])
def test_denoise_stereo_44k(engine, speech16k, request):
    e = request.getfixturevalue(engine)
    clean = resample(speech16k, 16000, 44100)
    stereo = np.stack([add_white(clean, 5.0, 1, 44100), add_white(0.5 * clean, 5.0, 2, 44100)], axis=1)
    out = e.run(AudioData(stereo, 44100), nothing)
    assert out.sample_rate == 44100 and out.samples.shape == stereo.shape and out.samples.dtype == np.float32
    for c, ref in enumerate([clean, 0.5 * clean]):
        assert si_sdr(ref, out.samples[:, c]) - si_sdr(ref, stereo[:, c]) >= 2.0


@pytest.mark.parametrize("engine", ["mmse", "fast"])
def test_denoise_reports_progress_and_cancels(engine, speech16k, request):
    e = request.getfixturevalue(engine)
    report, calls = cancel_after(3)
    with pytest.raises(Cancelled):
        e.run(AudioData(add_white(speech16k, 5.0), 16000), report)
    assert len(calls) == 4  # stopped at the first report that raised
    fractions = []
    e.run(AudioData(speech16k[:16000 * 5], 16000), fractions.append)
    assert len(fractions) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    # A long input reports often enough to show movement (mmse-lsa: per group of frequency bins).
    fractions = []
    e.run(AudioData(np.tile(speech16k, 40)[:16000 * 180], 16000), fractions.append)
    assert len(fractions) >= 10 and fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize("engine", ["mmse", "fast"])
def test_denoise_also_cleans_the_first_second(engine, speech16k, request):
    # Regression: zero padding made the noise tracker find "silence" at the edges and pass the
    # first and last second through untouched.
    lead = np.zeros(16000, np.float32)
    noisy = add_white(np.concatenate([lead, speech16k]), 5.0)
    out = request.getfixturevalue(engine).run(AudioData(noisy, 16000), nothing).samples
    head = slice(0, 12000)
    assert np.sqrt(np.mean(out[head] ** 2)) < 0.35 * np.sqrt(np.mean(noisy[head] ** 2))


def test_mmse_long_file_is_cleaned_across_its_pieces(mmse, speech16k):
    # 70 s are three 30 s pieces; every stretch, joins included, comes out cleaner.
    clean = np.tile(speech16k, int(np.ceil(70 * 16000 / len(speech16k))))[:70 * 16000]
    noisy = add_white(clean, 5.0)
    out = mmse.run(AudioData(noisy, 16000), nothing).samples
    for a in range(0, 70 * 16000 - 80000, 80000):  # 5 s stretches, two of them across a join
        s = slice(a, a + 80000)
        assert si_sdr(clean[s], out[s]) - si_sdr(clean[s], noisy[s]) >= 3.0, a / 16000


def test_empty_and_tiny_clips(mmse, fast):
    for e in (mmse, fast):
        for n in (0, 1, 100):
            out = e.run(AudioData(np.full(n, 0.1, np.float32), 16000), nothing)
            assert out.samples.shape == (n,) and np.all(np.isfinite(out.samples))


def test_fast_output_is_aligned_with_its_input(fast, speech16k):
    # libspeexdsp's output lags one frame behind; the engine compensates.
    for sr in (16000, 44100):
        clean = resample(speech16k, 16000, sr)
        out = fast.run(AudioData(add_white(clean, 10.0, 3, sr), sr), nothing).samples
        lags = np.arange(-2 * frame_len(sr), 2 * frame_len(sr) + 1)
        xc = [np.dot(out[max(0, k):len(out) + min(0, k)], clean[max(0, -k):len(clean) - max(0, k)]) for k in lags]
        assert lags[int(np.argmax(xc))] == 0, sr


# --- batching --------------------------------------------------------------------------------

def _mixed_batch(speech16k):
    """Different lengths, sample rates and channel counts."""
    a = add_white(speech16k[:16000 * 3], 5.0, 1)
    b = add_white(speech16k, 0.0, 2)
    c44 = resample(speech16k[:16000 * 4], 16000, 44100)
    c = np.stack([add_white(c44, 5.0, 3, 44100), add_white(0.3 * c44, 10.0, 4, 44100)], axis=1)
    d = add_white(resample(speech16k[:16000 * 2], 16000, 8000), 5.0, 5, 8000)
    return [AudioData(a, 16000), AudioData(b, 16000), AudioData(c, 44100), AudioData(d, 8000)]


def test_mmse_batch_equals_single_runs(mmse, speech16k):
    audios = _mixed_batch(speech16k)
    singles = [mmse.run(x, nothing) for x in audios]
    fractions = []
    batch = mmse.run_batch([Task(kind="denoise", report=fractions.append, audio=x) for x in audios])
    assert mmse.info.max_batch > 1 and mmse.info.memory_mb_per_item > 0 and mmse.info.device == "cpu"
    for x, s, o in zip(audios, singles, batch):
        assert isinstance(o, AudioData) and o.sample_rate == x.sample_rate and o.samples.shape == x.samples.shape
        assert o.samples.dtype == np.float32
        np.testing.assert_allclose(o.samples, s.samples, atol=2e-5)
    assert len(fractions) >= 20 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_a_cancelled_task_in_a_batch_is_skipped(mmse, speech16k):
    audios = _mixed_batch(speech16k)
    report, _ = cancel_after(1)
    tasks = [Task(kind="denoise", report=nothing, audio=audios[0]),
             Task(kind="denoise", report=report, audio=audios[1]),
             Task(kind="denoise", report=nothing, audio=audios[2])]
    out = mmse.run_batch(tasks)
    assert isinstance(out[1], Cancelled)
    for k in (0, 2):
        np.testing.assert_allclose(out[k].samples, mmse.run(audios[k], nothing).samples, atol=2e-5)


def test_a_batch_of_cancelled_tasks_returns_cancelled_for_each(mmse, speech16k):
    def cancelled(_: float) -> None:
        raise Cancelled()

    audios = _mixed_batch(speech16k)[:2]
    out = mmse.run_batch([Task(kind="denoise", report=cancelled, audio=x) for x in audios])
    assert all(isinstance(o, Cancelled) for o in out)
