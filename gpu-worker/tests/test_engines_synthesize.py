"""Synthesize engines as a specification: espeak-ng and flite, on text in, audio + word times out."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_worker.engines import espeak
from voxgraph_worker.engines.base import Cancelled, EngineInputError
from voxgraph_worker.engines.emotion import EMOTIONS
from voxgraph_worker.engines.synth_audio import level_dbfs
from voxgraph_worker.engines.synth_espeak import EspeakSynthesizer
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


TEXT = "I did not expect to see you here today, of all days."


@pytest.mark.parametrize("emotion, slower, louder", [("sad", True, False), ("angry", False, True)])
def test_espeak_intensity_scales_the_emotion_from_neutral(espeak_engine, emotion, slower, louder):
    neutral = espeak_engine.run(TEXT, "neutral", None, "en", nothing)
    runs = [espeak_engine.run(TEXT, emotion, None, "en", nothing, intensity=i) for i in (0.0, 0.25, 0.5, 0.75, 1.0)]
    # intensity 0 is the neutral voice (espeak carries a little state between calls: not bit-exact)
    assert abs(runs[0].duration - neutral.duration) < 0.01 * neutral.duration
    assert abs(level_dbfs(runs[0].samples) - level_dbfs(neutral.samples)) < 0.5
    durations = [r.duration for r in runs]
    levels = [level_dbfs(r.samples) for r in runs]
    for a, b in zip(durations, durations[1:]):
        assert (b > a) if slower else (b < a)
    for a, b in zip(levels, levels[1:]):
        assert (b > a) if louder else (b < a)
    # full strength is far from neutral: at least 20 % in duration and 3 dB in level
    assert abs(durations[-1] / durations[0] - 1) > 0.2
    assert abs(levels[-1] - levels[0]) > 3.0
    for r in runs:
        assert [w.text for w in r.words] == [t.text for t in tokenize(TEXT)]
        assert_well_formed(r.words, r.duration)


def test_espeak_default_intensity_is_the_moderate_preset(espeak_engine):
    # 0.5 (the API default) must stay what the sad/angry presets measured before intensity existed
    sad = espeak_engine.run(TEXT, "sad", None, "en", nothing)
    angry = espeak_engine.run(TEXT, "angry", None, "en", nothing)
    assert sad.duration > 1.2 * angry.duration
    assert level_dbfs(angry.samples) - level_dbfs(sad.samples) > 5.0
    assert espeak_engine.settings("sad", 0.5) == dict(rate=130, pitch=30, range=25, volume=70)


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), "loud", None])
def test_espeak_rejects_intensity_outside_0_1(espeak_engine, bad):
    with pytest.raises(EngineInputError) as e:
        espeak_engine.run("hello", "happy", None, "en", nothing, intensity=bad)
    assert e.value.code == "INVALID_INTENSITY"


def test_espeak_rejects_unknown_emotion(espeak_engine):
    with pytest.raises(EngineInputError) as e:
        espeak_engine.run("hello", "bored", None, "en", nothing)
    assert e.value.code == "UNKNOWN_EMOTION"


def test_espeak_lists_its_voices_and_speaks_each(espeak_engine):
    voices = espeak_engine.info.voices
    assert set(voices) == set(espeak.LANGUAGES)
    for lang in espeak.LANGUAGES:
        assert {"f1", "f5", "m1", "m7", "whisper"} <= set(voices[lang])
        assert len(voices[lang]) <= 20  # a curated list, not every novelty variant
    whispered = None
    for v in voices["en"]:
        out = espeak_engine.run("one two three", "neutral", v, "en", nothing)
        assert out.duration > 0.3 and level_dbfs(out.samples) > -40, v
        if v == "whisper":
            whispered = out
    assert whispered is not None
    with pytest.raises(EngineInputError) as e:
        espeak_engine.run("hello", "neutral", "Alex", "en", nothing)  # installed, but not offered
    assert e.value.code == "UNKNOWN_VOICE"


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
