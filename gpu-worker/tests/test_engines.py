"""Speech engines as a specification, on audio made here with known truth (espeak/flite word times)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_worker.engines import ALL, default_engines, espeak
from voxgraph_worker.engines.align import Aligner
from voxgraph_worker.engines.align_dtw import DtwAligner
from voxgraph_worker.engines.base import AudioData, Cancelled, EngineInputError
from voxgraph_worker.engines.denoise_mmse import MmseLsaDenoiser
from voxgraph_worker.engines.dsp import resample
from voxgraph_worker.engines.tokens import token_times, tokenize

EN = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "We will meet tomorrow morning at the station before the train leaves for London.",
]
DE = [
    "Guten Morgen, wie geht es Ihnen heute? Ich hoffe, das Wetter bleibt schön.",
    "Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.",
]


def nothing(_: float) -> None:
    pass


def sisdr(ref: np.ndarray, est: np.ndarray) -> float:
    target = np.dot(est, ref) / np.dot(ref, ref) * ref
    return float(10 * np.log10(np.dot(target, target) / np.sum((est - target) ** 2)))


def add_white(x: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    n = np.random.default_rng(seed).normal(size=x.shape).astype(np.float32)
    return (x + n * np.sqrt(np.mean(x**2) / np.mean(n**2) / 10 ** (snr_db / 10))).astype(np.float32)


def espeak_clip(text: str, language: str, variant: str, rate: int, lead: float = 0.4):
    """Speech with exact word times, preceded by `lead` seconds of silence."""
    s = espeak.synthesize(text, espeak.Voice(language=language, variant=variant, rate=rate))
    x = np.concatenate([np.zeros(int(lead * s.sample_rate), np.float32), s.samples, np.zeros(8000, np.float32)])
    return x, s.sample_rate, [(a + lead, b + lead) for a, b in token_times(tokenize(text), s.words)]


def flite_clip(text: str, tmp_path):
    """flite speech (another synthesizer than the aligner's reference) with word times.

    flite prints phone end times; each word's phone count comes from saying the word alone.
    Returns None when the counts disagree (post-lexical changes).
    """

    def phones(t, path):
        out = subprocess.run(["flite", "-voice", "slt", "-psdur", "-t", t, "-o", str(path)],
                             capture_output=True, text=True, check=True).stdout.split()
        return [(p.rsplit(":", 1)[0], float(p.rsplit(":", 1)[1])) for p in out]

    full = phones(text, tmp_path / "a.wav")
    x, sr = sf.read(tmp_path / "a.wav", dtype="float32")
    counts = [sum(p != "pau" for p, _ in phones(t.text, tmp_path / "w.wav")) for t in tokenize(text)]
    seq, prev = [], 0.0
    for p, end in full:
        if p != "pau":
            seq.append((prev, end))
        prev = end
    if sum(counts) != len(seq):
        return None
    times, i = [], 0
    for c in counts:
        times.append((seq[i][0], seq[i + c - 1][1]))
        i += c
    return x, sr, times


def boundary_error(words, truth) -> float:
    assert len(words) == len(truth)
    return float(np.mean([(abs(w.start - a) + abs(w.end - b)) / 2 for w, (a, b) in zip(words, truth)]))


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


@pytest.fixture(scope="module")
def aligner():
    a = Aligner()
    a.load()
    return a


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


# --- align -----------------------------------------------------------------------------------

def test_align_english_other_voice(aligner, tmp_path):
    errors = []
    for text in EN:
        clip = flite_clip(text, tmp_path) if shutil.which("flite") else None
        if clip is None:
            clip = espeak_clip(text, "en", "f3", 140)
        x, sr, truth = clip
        out = aligner.run(AudioData(x, sr), text, "en", nothing)
        assert [w.text for w in out.words] == [t.text for t in tokenize(text)]
        assert_well_formed(out.words, len(x) / sr)
        errors.append(boundary_error(out.words, truth))
    assert np.mean(errors) < 0.08


def test_dtw_german():
    a = DtwAligner()
    a.load()
    errors = []
    for text in DE:
        x, sr, truth = espeak_clip(text, "de", "f2", 140)
        out = a.run(AudioData(add_white(x, 20.0), sr), text, "de", nothing)
        assert_well_formed(out.words, len(x) / sr)
        assert out.words[0].text == "Guten" or out.words[0].text == "Der"
        errors.append(boundary_error(out.words, truth))
    assert np.mean(errors) < 0.08


def test_dtw_long_audio_memory_is_bounded():
    text = " ".join(EN * 12)  # about three minutes of speech
    x, sr, truth = espeak_clip(text, "en", "m3", 150)
    tracemalloc.start()
    try:
        out = DtwAligner().run(AudioData(x, sr), text, "en", nothing)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(x) / sr > 150
    assert peak < 400 * 2**20
    assert_well_formed(out.words, len(x) / sr)
    assert boundary_error(out.words, truth) < 0.08


def test_align_unmatched_audio_still_returns_ordered_words(aligner):
    x = add_white(np.zeros(16000 * 3, np.float32) + 1e-3, 0.0)
    out = aligner.run(AudioData(x, 16000), "Hello there, Zorblax!", "en", nothing)
    assert [w.text for w in out.words] == ["Hello", "there,", "Zorblax!"]
    assert_well_formed(out.words, 3.0)


def test_align_cancel_propagates(aligner):
    x, sr, _ = espeak_clip(EN[0], "en", "f3", 140)
    for engine in (aligner, DtwAligner()):
        report, _ = cancel_after(1)
        with pytest.raises(Cancelled):
            engine.run(AudioData(x, sr), EN[0], "en", report)


def test_align_rejects_empty_transcript(aligner):
    with pytest.raises(EngineInputError) as e:
        aligner.run(AudioData(np.zeros(16000, np.float32), 16000), " — ", "en", nothing)
    assert e.value.code == "EMPTY_TRANSCRIPT"


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
