"""Text to speech with espeak-ng: emotion presets over rate/pitch/range/volume/variant."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import espeak
from .base import AlignedWord, AudioData, Engine, EngineInfo, EngineInputError, ReportProgress
from .tokens import token_times, tokenize

# rate (wpm), pitch, range, volume; sad/angry are the measured presets from the notes
EMOTIONS = {
    "neutral": dict(rate=175, pitch=50, range=50, volume=100),
    "happy": dict(rate=190, pitch=65, range=80, volume=120),
    "sad": dict(rate=130, pitch=30, range=20, volume=70),
    "angry": dict(rate=200, pitch=50, range=80, volume=160),
    "calm": dict(rate=150, pitch=45, range=30, volume=90),
    "excited": dict(rate=220, pitch=70, range=90, volume=140),
    "whisper": dict(rate=160, pitch=50, range=50, volume=120),
}
VARIANTS_DIR = "/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v"


@dataclass
class SynthAudio(AudioData):
    """Synthesized audio plus the exact time of each word of the text."""

    words: list[AlignedWord] = field(default_factory=list)


def known_variants() -> set[str]:
    try:
        return set(os.listdir(VARIANTS_DIR))
    except OSError:
        return {f"f{i}" for i in range(1, 6)} | {f"m{i}" for i in range(1, 9)} | {"whisper"}


class EspeakSynthesizer(Engine):
    info = EngineInfo(kind="synthesize", name="espeak-ng", version="1.51", languages=list(espeak.LANGUAGES))

    def __init__(self) -> None:
        self._variants: set[str] = set()

    def load(self) -> None:
        espeak.sample_rate()
        self._variants = known_variants()

    def warmup(self) -> None:
        self.run("hello", "neutral", None, "en", lambda _: None)

    def run(self, text: str, emotion: str, voice: Optional[str], language: str, report: ReportProgress) -> SynthAudio:
        if emotion not in EMOTIONS:
            raise EngineInputError("UNKNOWN_EMOTION", f"unknown emotion {emotion!r}")
        if language not in espeak.VOICES:
            raise EngineInputError("UNSUPPORTED_LANGUAGE", f"no espeak voice for {language!r}")
        if voice is not None and voice not in self._variants:
            raise EngineInputError("UNKNOWN_VOICE", f"unknown voice {voice!r}")
        if not text.strip():
            raise EngineInputError("EMPTY_TEXT", "nothing to say")
        # whisper is a variant; an explicit voice wins over it but keeps the whisper prosody
        variant = voice or ("whisper" if emotion == "whisper" else None)
        report(0.0)
        out = espeak.synthesize(text, espeak.Voice(language=language, variant=variant, **EMOTIONS[emotion]), report)
        tokens = tokenize(text)
        words = []
        if tokens and out.words:
            words = [AlignedWord(t.text, s, e) for t, (s, e) in zip(tokens, token_times(tokens, out.words))]
        report(1.0)
        return SynthAudio(samples=np.clip(out.samples, -1.0, 1.0), sample_rate=out.sample_rate, words=words)
