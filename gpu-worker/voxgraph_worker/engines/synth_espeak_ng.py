"""Text to speech with espeak-ng: emotion presets over rate/pitch/range/volume/variant.

Intensity (0..1) moves each setting linearly from neutral (0) to the emotion's full strength (1).
The full-strength presets are the former fixed presets pushed as far again from neutral
(full = 2 * preset - neutral, clamped to espeak's ranges), so intensity 0.5 gives the former
preset exactly where nothing was clamped (pitch range of happy/angry/excited: 75 instead of 80;
angry volume: 150 instead of 160).
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from .support import espeak
from .base import Engine, EngineInfo, EngineInputError, ReportProgress
from .support.emotion import blend, check_emotion, check_intensity
from .support.synth_audio import SynthAudio, words_from_timings

__all__ = ["EspeakSynthesizer", "SynthAudio", "EMOTIONS", "NEUTRAL", "VOICES"]

# rate (words/min, 80-450), pitch (0-100), range (0-100), volume (0-200) at intensity 1
NEUTRAL = dict(rate=175, pitch=50, range=50, volume=100)
EMOTIONS = {
    "neutral": dict(NEUTRAL),
    "happy": dict(rate=205, pitch=80, range=100, volume=140),
    "sad": dict(rate=85, pitch=10, range=0, volume=40),
    "angry": dict(rate=225, pitch=50, range=100, volume=200),
    "calm": dict(rate=125, pitch=40, range=10, volume=80),
    "excited": dict(rate=265, pitch=90, range=100, volume=180),
    "whisper": dict(rate=145, pitch=50, range=50, volume=140),  # louder: the whisper variant is quiet
}
VARIANTS_DIR = "/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v"
# The voice variants offered: espeak ships ~100, most of them novelty voices built on the same
# formant model; the numbered female/male ones plus the two whispers cover the useful range.
VOICES = [f"f{i}" for i in range(1, 6)] + [f"m{i}" for i in range(1, 9)] + ["whisper", "whisperf"]


def installed_voices() -> list[str]:
    """The offered variants that this espeak-ng installation really has."""
    try:
        present = set(os.listdir(VARIANTS_DIR))
    except OSError:
        return list(VOICES)  # another layout: trust the list, espeak rejects unknown names itself
    return [v for v in VOICES if v in present]


class EspeakSynthesizer(Engine):
    info = EngineInfo(kind="synthesize", name="espeak-ng", version="1.51", languages=list(espeak.LANGUAGES))

    def __init__(self) -> None:
        self.info = EngineInfo(kind="synthesize", name="espeak-ng", version="1.51",
                               languages=list(espeak.LANGUAGES))
        self._voices = installed_voices()
        self.info.voices = {lang: list(self._voices) for lang in espeak.LANGUAGES}  # variants fit every language

    def load(self) -> None:
        espeak.sample_rate()

    def warmup(self) -> None:
        self.run("hello", "neutral", None, "en", lambda _: None)

    @staticmethod
    def settings(emotion: str, intensity: float) -> dict[str, int]:
        """The espeak prosody for an emotion at an intensity (validated)."""
        check_emotion(emotion)
        values = blend(NEUTRAL, EMOTIONS[emotion], check_intensity(intensity))
        return {k: int(round(v)) for k, v in values.items()}

    def run(self, text: str, emotion: str, voice: Optional[str], language: str, report: ReportProgress,
            *, intensity: float = 0.5) -> SynthAudio:
        prosody = self.settings(emotion, intensity)
        if language not in espeak.VOICES:
            raise EngineInputError("UNSUPPORTED_LANGUAGE", f"no espeak voice for {language!r}")
        if voice is not None and voice not in self._voices:
            raise EngineInputError("UNKNOWN_VOICE", f"unknown voice {voice!r}")
        if not text.strip():
            raise EngineInputError("EMPTY_TEXT", "nothing to say")
        # whisper is a variant (all or nothing): used at any intensity above 0; an explicit voice
        # wins over it but keeps the whisper prosody
        variant = voice or ("whisper" if emotion == "whisper" and intensity > 0 else None)
        report(0.0)
        out = espeak.synthesize(text, espeak.Voice(language=language, variant=variant, **prosody), report)
        words = words_from_timings(text, out.words)
        report(1.0)
        return SynthAudio(samples=np.clip(out.samples, -1.0, 1.0), sample_rate=out.sample_rate, words=words)
