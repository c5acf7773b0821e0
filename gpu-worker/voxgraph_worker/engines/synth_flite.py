"""Text to speech with flite (English): the Debian voices, emotion by duration, pitch and level.

flite runs in a child process per job (synth_flite_lib: libflite through ctypes), sentence by
sentence: progress is reported after each sentence and a Cancelled from the report kills the
child. Word times are exact: each token spans its first to last segment in flite's utterance.

Emotion settings at full strength (intensity 1; 0 = neutral, linear in between):
duration_stretch (>1 slower), f0_shift (pitch multiplier; the rms voice ignores it), level in dB
relative to the neutral level (every voice is first brought to -20 dBFS), and for whisper the share
of an LPC-whispered copy mixed in (all whisper from intensity 0.5 on: flite has no whisper voice).
flite has no pitch-range control for these voices (int_f0_target_stdev was measured to change nothing).
"""

from __future__ import annotations

import ctypes.util
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from typing import Optional

import numpy as np

from .base import Engine, EngineInfo, EngineInputError, ReportProgress
from .support.emotion import blend, check_emotion, check_intensity
from .support.espeak import WordTiming
from .support.synth_audio import SynthAudio, words_from_timings
from .support.synth_whisper import whisperize

_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "support", "synth_flite_lib.py")
VOICES = ["slt", "awb", "rms", "kal16", "kal"]  # most natural first (notes: slt/awb best, kal 8 kHz)
DEFAULT_VOICE = "slt"
NEUTRAL = dict(stretch=1.0, f0=1.0, gain_db=0.0, whisper=0.0)
EMOTIONS = {
    "neutral": dict(NEUTRAL),
    "happy": dict(stretch=0.85, f0=1.3, gain_db=3.0),
    "sad": dict(stretch=1.6, f0=0.8, gain_db=-8.0),
    "angry": dict(stretch=0.8, f0=1.1, gain_db=6.0),
    "calm": dict(stretch=1.3, f0=0.92, gain_db=-4.0),
    "excited": dict(stretch=0.75, f0=1.4, gain_db=5.0),
    "whisper": dict(stretch=1.15, gain_db=-2.0, whisper=2.0),  # mix = min(1, 2 * intensity)
}
LEVEL_DBFS = -20.0
_MAX_CHUNK = 600  # characters per utterance: long sentences are cut at a space
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
_ASCII = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "."}


def installed_voices() -> list[str]:
    return [v for v in VOICES if ctypes.util.find_library(f"flite_cmu_us_{v}")]


def to_ascii(text: str) -> str:
    """Same length as `text` (character offsets stay valid): accents dropped, other non-ASCII
    and control characters become spaces (flite's English front end reads ASCII)."""
    out = []
    for c in text:
        if c in _ASCII:
            c = _ASCII[c]
        elif not c.isascii():
            base = unicodedata.normalize("NFKD", c)[:1]
            c = base if base.isascii() and base.isprintable() else " "
        out.append(c if c.isprintable() else " ")
    return "".join(out)


def chunks(text: str) -> list[tuple[int, str]]:
    """(offset, piece) per sentence, pieces at most _MAX_CHUNK long, whitespace between dropped."""
    out: list[tuple[int, str]] = []
    pos = 0
    for part in _SENTENCE_END.split(text):
        start = text.index(part, pos) if part else pos
        pos = start + len(part)
        while len(part) > _MAX_CHUNK:
            cut = part.rfind(" ", 0, _MAX_CHUNK)
            cut = cut if cut > 0 else _MAX_CHUNK
            out.append((start, part[:cut]))
            start, part = start + cut, part[cut:]
        if part.strip():
            out.append((start, part))
    return out


class FliteSynthesizer(Engine):
    info = EngineInfo(kind="synthesize", name="flite", version="2.2", languages=["en"])

    def __init__(self) -> None:
        self.info = EngineInfo(kind="synthesize", name="flite", version="2.2", languages=["en"])
        self._voices = installed_voices()
        self.info.voices = {"en": list(self._voices)}

    def load(self) -> None:
        if not self._voices:
            raise RuntimeError("no flite voice library installed (Debian: flite / libflite1)")

    def warmup(self) -> None:
        self.run("hello", "neutral", None, "en", lambda _: None)

    @staticmethod
    def settings(emotion: str, intensity: float) -> dict[str, float]:
        check_emotion(emotion)
        s = blend(NEUTRAL, EMOTIONS[emotion], check_intensity(intensity))
        s["whisper"] = min(1.0, s["whisper"])
        return s

    def run(self, text: str, emotion: str, voice: Optional[str], language: str, report: ReportProgress,
            *, intensity: float = 0.5) -> SynthAudio:
        s = self.settings(emotion, intensity)
        if language != "en":
            raise EngineInputError("UNSUPPORTED_LANGUAGE", f"flite speaks English only, not {language!r}")
        voice = voice or (DEFAULT_VOICE if DEFAULT_VOICE in self._voices else (self._voices or [DEFAULT_VOICE])[0])
        if voice not in self._voices:
            raise EngineInputError("UNKNOWN_VOICE", f"unknown voice {voice!r}")
        ascii_text = to_ascii(text)
        if not any(c.isalnum() for c in ascii_text):
            raise EngineInputError("EMPTY_TEXT", "nothing flite can say (English text expected)")
        report(0.0)
        pieces = chunks(ascii_text)
        features = {"duration_stretch": s["stretch"], "f0_shift": s["f0"]}
        samples, sr, timings = self._synthesize(pieces, voice, features, report)
        x = samples.astype(np.float32) / 32768.0
        if np.any(x):
            x *= 10 ** ((LEVEL_DBFS - 10 * np.log10(np.mean(x.astype(np.float64) ** 2))) / 20)
            if s["whisper"] > 0:
                x = (1 - s["whisper"]) * x + s["whisper"] * whisperize(x, sr)
            x *= 10 ** (s["gain_db"] / 20)
        words = words_from_timings(text, timings)
        report(1.0)
        return SynthAudio(samples=np.clip(x, -1.0, 1.0).astype(np.float32), sample_rate=sr, words=words)

    def _synthesize(self, pieces, voice, features, report):
        """Runs the child; returns int16 samples, the sample rate and a WordTiming per spoken token."""
        with tempfile.TemporaryDirectory(prefix="vg-flite-") as tmp:
            raw = os.path.join(tmp, "out.raw")
            request = {"voice": voice, "features": features, "chunks": [p for _, p in pieces], "out": raw}
            with open(os.path.join(tmp, "stderr"), "w+b") as err:
                proc = subprocess.Popen([sys.executable, "-I", "-S", _CHILD], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=err, close_fds=True)
                try:
                    proc.stdin.write(json.dumps(request).encode())
                    proc.stdin.close()
                    timings: list[WordTiming] = []
                    offset_s, sr = 0.0, 16000
                    for i, (start, piece) in enumerate(pieces):
                        line = proc.stdout.readline()
                        if not line:
                            break
                        out = json.loads(line)
                        sr = out["sample_rate"]
                        timings += _locate(piece, start, out["tokens"], offset_s)
                        offset_s += out["samples"] / sr
                        report((i + 1) / (len(pieces) + 1))
                    rc = proc.wait()
                except BaseException:  # Cancelled from report, or anything else: never leave the child
                    proc.kill()
                    proc.wait()
                    raise
                if rc != 0:
                    err.seek(0)
                    raise RuntimeError(f"flite child failed ({rc}): {err.read().decode(errors='replace')[-500:]}")
            samples = np.fromfile(raw, dtype=np.int16)
        return samples, sr, timings


def _locate(piece: str, start: int, tokens: list, offset_s: float) -> list[WordTiming]:
    """flite's tokens (names without punctuation, in order) as spans of the whole text."""
    out, cursor = [], 0
    for _, name, a, b in tokens:
        i = piece.find(name, cursor) if name else -1
        if i < 0:  # flite rewrote the token: place it at the cursor, token_times maps it onward
            i = min(cursor, max(len(piece) - 1, 0))
            end = i + 1
        else:
            end = i + len(name)
        out.append(WordTiming(start + i, start + end, offset_s + a, offset_s + b))
        cursor = end
    return out
