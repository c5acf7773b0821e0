"""The engine interface: what the worker loop knows about a speech engine.

An engine is loaded once per worker process and then run many times. It never touches the
database, the queue or storage: it gets decoded audio or text and returns audio or words.
The loop owns everything else (claiming, heartbeats, storage, retries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar, Optional

import numpy as np

from .. import protocol
from ..outcomes import JobFailure

# Called by an engine with a fraction in [0, 1]. It may raise Cancelled (the job was cancelled,
# expired, or the worker is shutting down): engines let it propagate.
ReportProgress = Callable[[float], None]


class Cancelled(Exception):
    """The job must stop now; raised from ReportProgress."""


class EngineInputError(JobFailure):
    """The input can never succeed with this engine (its code is not retryable in the contract).

    `code` is a stable, upper-snake-case code of protocol.JOB_ERRORS, shown to the client.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message, code)


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
    # False: the engine could not place the word; its times are interpolated (support/placement.py).
    aligned: bool = True


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
    device: str = "cpu"  # "cpu" or "cuda[:N]"; engines set it in load() to where they really run
    languages: list[str] = field(default_factory=list)  # empty = language independent
    # Dynamic batching: an engine whose run_batch really batches (one tensor call for many jobs)
    # sets max_batch > 1; the worker then hands it up to that many jobs of one queue at once.
    max_batch: int = 1
    # Device memory one batch item needs (MiB), used to size batches from the free GPU memory.
    # 0 = negligible / not on a GPU.
    memory_mb_per_item: float = 0.0
    # synthesize: the voices per language (language -> names usable as the job's `voice`).
    voices: dict[str, list[str]] = field(default_factory=dict)
    # A plug-in engine (reference model loaded from a weights folder) rather than a built-in one.
    plugin: bool = False
    # The input this engine works on: the worker decodes it so (at this rate, mixed down to mono)
    # rather than at the file's own rate and channels. None / False: as the file is.
    input_sample_rate: Optional[int] = None
    input_mono: bool = False


@dataclass
class Task:
    """One job's input as an engine sees it inside a batch. Fields not used by a kind keep defaults."""

    kind: str
    report: ReportProgress
    audio: Optional[AudioData] = None  # denoise, align
    transcript: str = ""  # align
    language: str = protocol.DEFAULT_LANGUAGE  # align, synthesize
    text: str = ""  # synthesize
    emotion: str = protocol.DEFAULT_EMOTION  # synthesize
    voice: Optional[str] = None  # synthesize
    intensity: float = protocol.DEFAULT_INTENSITY  # synthesize: 0 = flat, 1 = the emotion at full strength
    # The job's parameters as the contract has them, for a kind whose engines need more than the
    # fields above (a new kind reads its own here rather than adding fields to every Task).
    params: dict = field(default_factory=dict)
    cancelled: bool = False  # set by report_all when this task's report raised Cancelled


class DeviceOutOfMemory(Exception):
    """The device ran out of memory for this batch; the worker halves the batch and retries."""


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA OOM in any of its spellings (torch.cuda.OutOfMemoryError is a RuntimeError subclass)."""
    if isinstance(exc, (DeviceOutOfMemory, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def report_all(tasks: list["Task"], fraction: float) -> None:
    """Progress for a batch: reports to every live task; a task whose report raises Cancelled is
    marked and skipped from then on. Raises Cancelled once every task of the batch is cancelled."""
    for t in tasks:
        if t.cancelled:
            continue
        try:
            t.report(fraction)
        except Cancelled:
            t.cancelled = True
    if tasks and all(t.cancelled for t in tasks):
        raise Cancelled("every job of the batch was cancelled")


class Engine:
    """Base class. Subclasses set `info` and implement load() and the run method of their kind:

    - denoise:    run(audio: AudioData, report) -> AudioData
    - align:      run(audio: AudioData, transcript: str, language: str, report) -> AlignOutput
    - synthesize: run(text: str, emotion: str, voice: str|None, language: str, report, *, intensity=0.5)
                  -> AudioData (a SynthAudio with .words where the engine knows them)
      (emotion is the GraphQL enum name lower-cased: neutral, happy, sad, angry, calm, excited, whisper)

    Engines that batch natively override run_batch and set info.max_batch > 1.
    Lifecycle: load() once -> warmup() once -> run/run_batch many times -> release().
    """

    info: EngineInfo
    # A reference-model plug-in names the setting of its weights folder (it joins the worker, as its
    # kind's default, when the setting is set; constructed as Cls(folder, device=...)) and the pip
    # packages it needs beyond the worker's own. Built-in engines leave both empty.
    weights_setting: ClassVar[Optional[str]] = None
    requires: ClassVar[tuple[str, ...]] = ()

    def load(self) -> None:
        """Load models/libraries. Called once, before any run."""

    def warmup(self) -> None:
        """Optional: one small run so the first real job is not slower."""

    def release(self) -> None:
        """Free what load() took."""

    def run_task(self, t: Task):
        """Runs one task with the run() of its kind (kinds/<kind>.py says how a kind calls it)."""
        from ..kinds import kind_of  # kinds builds on this module
        return kind_of(t.kind).run(self, t)

    def run_one(self, task: Task):
        """run() for an engine that implements run_batch: a batch of one, its error raised."""
        out = self.run_batch([task])[0]
        if isinstance(out, BaseException):
            raise out
        return out

    def run_batch(self, tasks: list[Task]) -> list[object]:
        """One output per task, in order. An item may be an exception that concerns that task alone
        (EngineInputError, Cancelled, or any other error: that job is retried). Raising instead fails
        the whole batch; an out-of-memory error (is_out_of_memory) makes the worker halve the batch.
        The default runs the tasks one after another."""
        out: list[object] = []
        for t in tasks:
            try:
                out.append(self.run_task(t))
            except Exception as e:
                if is_out_of_memory(e):
                    raise
                out.append(e)
        return out
