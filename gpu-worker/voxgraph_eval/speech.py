"""Speech with known word times, made offline.

- espeak_clip: espeak-ng's own WORD/PHONEME events give exact word times in every language.
- flite_clip: another synthesizer (English), so an espeak-based aligner is not graded on its own
  voice. flite prints phone end times; each word's phone count comes from saying the word alone.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile as sf

from voxgraph_worker.engines.support import espeak
from voxgraph_worker.engines.support.tokens import token_times, tokenize

FLITE_VOICES = ("slt", "awb", "rms", "kal16")


@dataclass
class Clip:
    samples: np.ndarray  # float32 mono
    sample_rate: int
    text: str
    language: str
    words: list[tuple[float, float]]  # truth: (start, end) per transcript token, seconds
    source: str  # e.g. "espeak:f3@140", "flite:slt"

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def _pad(x: np.ndarray, sr: int, lead: float, tail: float) -> np.ndarray:
    return np.concatenate([np.zeros(int(lead * sr), np.float32), x.astype(np.float32),
                           np.zeros(int(tail * sr), np.float32)])


def espeak_clip(text: str, language: str = "en", variant: Optional[str] = "f3", rate: int = 140,
                lead: float = 0.4, tail: float = 0.5) -> Clip:
    s = espeak.synthesize(text, espeak.Voice(language=language, variant=variant, rate=rate))
    times = [(a + lead, b + lead) for a, b in token_times(tokenize(text), s.words)]
    return Clip(_pad(s.samples, s.sample_rate, lead, tail), s.sample_rate, text, language, times,
                f"espeak:{variant or 'default'}@{rate}")


def _flite_phones(text: str, voice: str, wav: Path) -> list[tuple[str, float]]:
    out = subprocess.run(["flite", "-voice", voice, "-psdur", "-t", text, "-o", str(wav)],
                         capture_output=True, text=True, check=True).stdout.split()
    return [(p.rsplit(":", 1)[0], float(p.rsplit(":", 1)[1])) for p in out]


def flite_clip(text: str, voice: str = "slt", lead: float = 0.4, tail: float = 0.5) -> Optional[Clip]:
    """None when the per-word phone counts disagree with the sentence's (post-lexical changes)."""
    with tempfile.TemporaryDirectory() as tmp:
        full = _flite_phones(text, voice, Path(tmp) / "a.wav")
        x, sr = sf.read(Path(tmp) / "a.wav", dtype="float32")
        counts = [sum(p != "pau" for p, _ in _flite_phones(t.text, voice, Path(tmp) / "w.wav"))
                  for t in tokenize(text)]
    seq, prev = [], 0.0
    for p, end in full:
        if p != "pau":
            seq.append((prev, end))
        prev = end
    if sum(counts) != len(seq) or 0 in counts:
        return None
    times, i = [], 0
    for c in counts:
        times.append((seq[i][0] + lead, seq[i + c - 1][1] + lead))
        i += c
    return Clip(_pad(x, sr, lead, tail), sr, text, "en", times, f"flite:{voice}")
