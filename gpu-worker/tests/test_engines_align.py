"""Forced alignment as a specification, on speech made here with known word times (espeak/flite)."""

from __future__ import annotations

import os
import sys
import tracemalloc

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_eval.metrics import boundary_error
from voxgraph_eval.speech import espeak_clip, flite_clip
from voxgraph_worker.engines.align import Aligner
from voxgraph_worker.engines.align_dtw import DtwAligner
from voxgraph_worker.engines.base import AudioData, Cancelled, EngineInputError
from voxgraph_worker.engines.tokens import tokenize

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
def aligner():
    a = Aligner()
    a.load()
    return a


def test_align_english_other_voice(aligner):
    errors = []
    for text in EN:
        clip = flite_clip(text, "slt") or espeak_clip(text, "en", "f3", 140)
        out = aligner.run(AudioData(clip.samples, clip.sample_rate), text, "en", nothing)
        assert [w.text for w in out.words] == [t.text for t in tokenize(text)]
        assert_well_formed(out.words, clip.duration)
        errors.append(boundary_error(out.words, clip.words))
    assert np.mean(errors) < 0.08


def test_dtw_german():
    a = DtwAligner()
    a.load()
    errors = []
    for text in DE:
        clip = espeak_clip(text, "de", "f2", 140)
        out = a.run(AudioData(add_white(clip.samples, 20.0), clip.sample_rate), text, "de", nothing)
        assert_well_formed(out.words, clip.duration)
        assert out.words[0].text in ("Guten", "Der")
        errors.append(boundary_error(out.words, clip.words))
    assert np.mean(errors) < 0.08


def test_dtw_long_audio_memory_is_bounded():
    text = " ".join(EN * 12)  # about three minutes of speech
    clip = espeak_clip(text, "en", "m3", 150)
    tracemalloc.start()
    try:
        out = DtwAligner().run(AudioData(clip.samples, clip.sample_rate), text, "en", nothing)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert clip.duration > 150
    assert peak < 400 * 2**20
    assert_well_formed(out.words, clip.duration)
    assert boundary_error(out.words, clip.words) < 0.08


def test_align_unmatched_audio_still_returns_ordered_words(aligner):
    x = add_white(np.zeros(16000 * 3, np.float32) + 1e-3, 0.0)
    out = aligner.run(AudioData(x, 16000), "Hello there, Zorblax!", "en", nothing)
    assert [w.text for w in out.words] == ["Hello", "there,", "Zorblax!"]
    assert_well_formed(out.words, 3.0)


def test_align_cancel_propagates(aligner):
    clip = espeak_clip(EN[0], "en", "f3", 140)
    for engine in (aligner, DtwAligner()):
        report, _ = cancel_after(1)
        with pytest.raises(Cancelled):
            engine.run(AudioData(clip.samples, clip.sample_rate), EN[0], "en", report)


def test_align_rejects_empty_transcript(aligner):
    with pytest.raises(EngineInputError) as e:
        aligner.run(AudioData(np.zeros(16000, np.float32), 16000), " — ", "en", nothing)
    assert e.value.code == "EMPTY_TRANSCRIPT"
