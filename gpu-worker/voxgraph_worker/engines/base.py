"""The engine interface: what the worker loop knows about a speech engine.

An engine is loaded once per worker process and then run many times. It never touches the
database, the queue or storage: it gets decoded audio or text and returns audio or words.
The loop owns everything else (claiming, heartbeats, storage, retries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

# Called by an engine with a fraction in [0, 1]. It may raise Cancelled (the job was cancelled,
# expired, or the worker is shutting down): engines let it propagate.
ReportProgress = Callable[[float], None]


class Cancelled(Exception):
    """The job must stop now; raised from ReportProgress."""


class EngineInputError(Exception):
    """The input can never succeed with this engine (retrying is pointless).

    `code` is a stable, upper-snake-case code shown to the client (e.g. NO_SPEECH_FOUND).
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class AudioData:
    """Decoded audio: float32 samples in [-1, 1], shape (frames,) for mono or (frames, channels)."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / float(self.sample_rate)

    @property
    def channels(self) -> int:
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[1])

    def mono(self) -> np.ndarray:
        return self.samples if self.samples.ndim == 1 else self.samples.mean(axis=1).astype(np.float32)


@dataclass
class AlignedWord:
    text: str
    start: float  # seconds from the start of the audio
    end: float
    confidence: Optional[float] = None


@dataclass
class AlignOutput:
    words: list[AlignedWord]
    language: str
    notes: dict = field(default_factory=dict)  # e.g. {"denoised": True, "snrDb": 3.1}


@dataclass
class EngineInfo:
    kind: str  # "denoise" | "align" | "synthesize"
    name: str  # unique within a kind, e.g. "mmse-lsa"
    version: str
    device: str = "cpu"
    languages: list[str] = field(default_factory=list)  # empty = language independent


class Engine:
    """Base class. Subclasses set `info` and implement load() and the run method of their kind:

    - denoise:    run(audio: AudioData, report) -> AudioData
    - align:      run(audio: AudioData, transcript: str, language: str, report) -> AlignOutput
    - synthesize: run(text: str, emotion: str, voice: str|None, language: str, report) -> AudioData
      (emotion is the GraphQL enum name lower-cased: neutral, happy, sad, angry, calm, excited, whisper)
    """

    info: EngineInfo

    def load(self) -> None:
        """Load models/libraries. Called once, before any run."""

    def warmup(self) -> None:
        """Optional: one small run so the first real job is not slower."""

    def release(self) -> None:
        """Free what load() took."""
