"""Human recordings with transcripts (no word times) from the Debian package pocketsphinx-testdata.

Read speech (LibriVox, 16 kHz) and short command phrases; used to check that aligners do not fail
on real voices and to compare aligners with one another where there is no word truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile as sf

DATA = Path("/usr/share/pocketsphinx/test/data")
PACKAGE = "pocketsphinx-testdata"


@dataclass
class Recording:
    samples: np.ndarray  # float32 mono
    sample_rate: int
    text: str
    source: str  # e.g. "librivox/sense_and_sensibility_01_austen_64kb-0870"

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def available() -> Optional[str]:
    """None when the recordings are here, else why not."""
    return None if (DATA / "librivox" / "transcription").exists() else f"{PACKAGE} not installed"


def _transcripts(path: Path) -> dict[str, str]:
    """Sphinx transcription lines: '<s> words </s> (utterance-id)'."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\((\S+)\)\s*$", line)
        if m and m.group(1).strip():
            out[m.group(2)] = " ".join(m.group(1).split())
    return out


def recordings(limit: Optional[int] = None) -> list[Recording]:
    """Every recording with a transcript, in a fixed order (LibriVox first, then cards, goforward)."""
    if available() is not None:
        return []
    out: list[Recording] = []
    for folder, transcript in (("librivox", "transcription"), ("cards", "cards.transcription")):
        for uid, text in sorted(_transcripts(DATA / folder / transcript).items()):
            wav = DATA / folder / f"{uid}.wav"
            if wav.exists():
                x, sr = sf.read(wav, dtype="float32")
                out.append(Recording(x if x.ndim == 1 else x.mean(axis=1), sr, text, f"{folder}/{uid}"))
    raw = DATA / "goforward.raw"  # the pocketsphinx tests' own expectation for this file
    if raw.exists():
        x = np.fromfile(raw, dtype="<i2").astype(np.float32) / 32768.0
        out.append(Recording(x, 16000, "go forward ten meters", "goforward"))
    return out[:limit] if limit else out
