"""Synthesize engines as a specification: espeak-ng and flite, on text in, audio + word times out."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_worker.engines import espeak
from voxgraph_worker.engines.base import Cancelled, EngineInputError
from voxgraph_worker.engines.synth_espeak import EMOTIONS, EspeakSynthesizer
from voxgraph_worker.engines.tokens import tokenize
from voxgraph_eval.sentences import EN


def nothing(_: float) -> None:
    pass


def assert_well_formed(words, duration: float) -> None:
    prev = 0.0
    for w in words:
        assert prev <= w.start <= w.end <= duration + 1e-6
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
def espeak_engine():
    s = EspeakSynthesizer()
    s.load()
    return s


def test_synthesize_every_emotion(espeak_engine):
    s = espeak_engine
    text = "I did not expect to see you here today, of all days."
    durations = {}
    for emotion in EMOTIONS:
        out = s.run(text, emotion, None, "en", nothing)
        assert out.sample_rate == 22050 and out.samples.ndim == 1 and out.samples.dtype == np.float32
        assert np.sqrt(np.mean(out.samples**2)) > 0.01
        assert [w.text for w in out.words] == [t.text for t in tokenize(text)]
        assert_well_formed(out.words, out.duration)
        durations[emotion] = out.duration
    assert durations["sad"] > 1.2 * durations["angry"]


def test_synthesize_languages_and_voices(espeak_engine):
    s = espeak_engine
    for lang, text in [("zh", "你好世界"), ("ja", "こんにちは"), ("ru", "Привет мир"), ("es", "Hola mundo")]:
        assert s.run(text, "neutral", "f2", lang, nothing).duration > 0.3
    with pytest.raises(EngineInputError) as e:
        s.run("hello", "neutral", "nosuchvoice", "en", nothing)
    assert e.value.code == "UNKNOWN_VOICE"


def test_every_language_speaks_with_every_variant_and_emotion(espeak_engine):
    # Regression: a wrong espeak voice name ("fr-fr") failed every French job.
    s = espeak_engine
    for lang in espeak.LANGUAGES:
        for voice in (None, "f2", "m3"):
            assert s.run("one two", "neutral", voice, lang, nothing).duration > 0.2, (lang, voice)
        assert s.run("one two", "whisper", None, lang, nothing).duration > 0.2, lang


def test_synthesize_cancel_propagates(espeak_engine):
    report, _ = cancel_after(0)
    with pytest.raises(Cancelled):
        espeak_engine.run(" ".join(EN * 5), "neutral", None, "en", report)
