"""Qwen3-ForcedAligner-0.6B plug-in, through the upstream `qwen_asr` package (QwenLM/Qwen3-ASR).

Written against the package's documented API (README "ForcedAligner Usage" and
qwen_asr/inference/qwen3_forced_aligner.py):

    model = Qwen3ForcedAligner.from_pretrained(path, dtype=torch.bfloat16, device_map="cuda:0")
    results = model.align(audio=[(np.ndarray, sr), ...], text=[str, ...], language=["English", ...])
    results[i][j].text, results[i][j].start_time, results[i][j].end_time   # seconds

`align` takes lists (one batch) and splits the text itself: whitespace words cleaned to letters,
digits and apostrophes, Han characters one unit each, Japanese by nagisa, Korean by soynlp.
The model accepts up to 5 minutes of speech per item, so longer audio is cut (align_chunking) in
pauses found by a first pass of our CPU aligner (each cut moved to the quietest moment nearby),
and each chunk is aligned with its own words; a chunk's audio reaches MARGIN_S past its cuts so
that a word the rough pass misplaced is still heard whole. Chunks of all jobs in a batch go to
`align` together, up to max_batch items per call.

Not run here: the qwen_asr package and the model's weights were not available on this machine.
The tests drive this engine through a small stand-in `qwen_asr` module with the documented
signatures (tests/test_plugin_qwen3_aligner.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .support.align_chunking import Chunk, plan_chunks, unit_times_to_tokens
from .base import (AlignedWord, AlignOutput, AudioData, Cancelled, Engine, EngineInfo, EngineInputError,
                   ReportProgress, Task, report_all)
from .support.dsp import mono16k
from .support.tokens import Token, tokenize

# Our ISO codes -> the language names upstream expects (its README's list of 11).
LANGUAGE_NAMES = {"zh": "Chinese", "yue": "Cantonese", "en": "English", "fr": "French", "de": "German",
                  "it": "Italian", "ja": "Japanese", "ko": "Korean", "pt": "Portuguese", "ru": "Russian",
                  "es": "Spanish"}
MAX_AUDIO_S = 300.0  # upstream: "up to 5 minutes of speech"
# Each chunk's audio reaches this far past its cuts, so a word the rough pass misplaced across a
# cut is still heard whole by the chunk that is told about it.
MARGIN_S = 0.5
_SR = 16000


def _no_report(_: float) -> None:
    pass


@dataclass
class _Piece:
    task: int
    chunk: Chunk
    offset: float  # seconds: where `samples` starts in the job's audio
    samples: np.ndarray
    text: str


class Qwen3Aligner(Engine):
    """Qwen3Aligner(model_dir, device="cuda", max_chunk_s=300.0); engine "qwen3-forced-aligner".

    memory_mb_per_item is an estimate, not a measurement (no GPU here): 5 minutes of audio is
    ~3,750 audio-encoder frames plus the text in a 28-layer, 1024-wide decoder at bf16; the
    weights (~1.2 GB) are shared by the batch and not counted per item.
    """

    info = EngineInfo(kind="align", name="qwen3-forced-aligner", version="0.6B", languages=list(LANGUAGE_NAMES),
                      plugin=True, max_batch=8, memory_mb_per_item=2000.0, input_sample_rate=16000,
                      input_mono=True)
    weights_setting = "QWEN3_ALIGNER_MODEL_DIR"
    requires = ("qwen-asr",)

    def __init__(self, model_dir: str, device: str = "cuda", max_chunk_s: float = MAX_AUDIO_S,
                 rough_aligner: Optional[Engine] = None):
        if not 0 < max_chunk_s <= MAX_AUDIO_S:
            raise ValueError(f"max_chunk_s must be in (0, {MAX_AUDIO_S}]")
        self.model_dir = model_dir
        self.device = device
        self.max_chunk_s = max_chunk_s
        self.info = replace(type(self).info, device=device)
        self._rough = rough_aligner
        self._model = None

    @staticmethod
    def available(model_dir: Optional[str]) -> bool:
        """A folder in Hugging Face layout (config.json present); load() checks the rest."""
        return bool(model_dir) and os.path.isfile(os.path.join(model_dir, "config.json"))

    # ---- lifecycle ------------------------------------------------------------------------------

    def load(self) -> None:
        if not self.model_dir or not os.path.isdir(self.model_dir):
            raise ValueError(f"Qwen3-ForcedAligner model folder {self.model_dir!r} does not exist")
        try:
            import torch
            from qwen_asr import Qwen3ForcedAligner
        except ImportError as e:
            raise RuntimeError(f"the qwen_asr package is not installed (pip install qwen-asr): {e}") from None
        if self.device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            device_map = self.device if ":" in self.device else "cuda:0"
        else:
            dtype, device_map = torch.float32, "cpu"
        try:
            self._model = Qwen3ForcedAligner.from_pretrained(self.model_dir, dtype=dtype, device_map=device_map)
        except (OSError, ValueError) as e:
            raise ValueError(f"Qwen3-ForcedAligner could not be loaded from {self.model_dir!r}: {e}"[:800]) from None
        self.info.device = device_map
        if self._rough is None:
            from .align_auto import Aligner

            self._rough = Aligner()
        self._rough.load()

    def warmup(self) -> None:
        if self._model is None:
            return
        t = np.arange(_SR, dtype=np.float32) / _SR
        self._model.align(audio=[(0.1 * np.sin(2 * np.pi * 200 * t).astype(np.float32), _SR)], text=["hello"],
                          language=["English"])

    def release(self) -> None:
        self._model = None
        if self._rough is not None:
            self._rough.release()

    # ---- running --------------------------------------------------------------------------------

    def run(self, audio: AudioData, transcript: str, language: str, report: ReportProgress) -> AlignOutput:
        return self.run_one(Task(kind="align", report=report, audio=audio, transcript=transcript, language=language))

    def run_batch(self, tasks: list[Task]) -> list[object]:
        if self._model is None:
            raise RuntimeError("Qwen3Aligner.run before load()")
        results: list[object] = [None] * len(tasks)
        tokens: dict[int, list[Token]] = {}
        pieces: list[_Piece] = []
        for i, t in enumerate(tasks):
            try:
                tokens[i], task_pieces = self._prepare(t)
                pieces += [replace(p, task=i) for p in task_pieces]
            except (EngineInputError, Cancelled) as e:
                results[i] = e
        units: list[Optional[list[tuple[str, float, float]]]] = [None] * len(pieces)
        live = list(range(len(pieces)))
        done = 0
        for b in range(0, len(live), self.info.max_batch):
            batch = [k for k in live[b:b + self.info.max_batch] if not tasks[pieces[k].task].cancelled]
            if batch:
                res = self._model.align(audio=[(pieces[k].samples, _SR) for k in batch],
                                        text=[pieces[k].text for k in batch],
                                        language=[LANGUAGE_NAMES[tasks[pieces[k].task].language] for k in batch])
                for k, r in zip(batch, res):
                    off = pieces[k].offset
                    units[k] = [(str(it.text), float(it.start_time) + off, float(it.end_time) + off) for it in r]
            done += len(live[b:b + self.info.max_batch])
            try:
                report_all([t for i, t in enumerate(tasks) if results[i] is None], 0.2 + 0.78 * done / len(live))
            except Cancelled:
                break
        for i, t in enumerate(tasks):
            if results[i] is not None:
                continue
            if t.cancelled:
                results[i] = Cancelled("job cancelled")
                continue
            toks = tokens[i]
            mine = [k for k, p in enumerate(pieces) if p.task == i]
            times: list[tuple[float, float]] = []
            for k in mine:
                c = pieces[k].chunk
                times += unit_times_to_tokens(toks[c.first:c.last], units[k] or [])
            dur = t.audio.duration
            words = [AlignedWord(text=tok.text, start=round(min(max(a, 0.0), dur), 3), end=round(min(max(b, a, 0.0), dur), 3))
                     for tok, (a, b) in zip(toks, times)]
            results[i] = AlignOutput(words=words, language=t.language,
                                     notes={"engine": self.info.name, "chunks": len(mine)})
        return results

    def _prepare(self, t: Task) -> tuple[list[Token], list[_Piece]]:
        """Tokens of the transcript and the audio pieces (each <= max_chunk_s) with their text."""
        if t.language not in LANGUAGE_NAMES:
            raise EngineInputError("UNSUPPORTED_LANGUAGE", f"Qwen3-ForcedAligner does not support {t.language!r}")
        toks = tokenize(t.transcript)
        if not toks:
            raise EngineInputError("EMPTY_TRANSCRIPT", "the transcript has no words")
        x = mono16k(t.audio.samples, t.audio.sample_rate)
        duration = len(x) / _SR
        if duration <= self.max_chunk_s:
            chunks = [Chunk(0.0, duration, 0, len(toks))]
        else:
            # Rough word times from our CPU aligner, only to find pauses to cut in.
            rough = self._rough.run(AudioData(x, _SR), t.transcript, t.language,
                                    lambda f: t.report(0.2 * f)).words
            if len(rough) != len(toks):
                raise RuntimeError(f"rough aligner returned {len(rough)} words for {len(toks)} tokens")
            margin = MARGIN_S if self.max_chunk_s > 8 * MARGIN_S else 0.0
            chunks = plan_chunks([(w.start, w.end) for w in rough], duration, self.max_chunk_s - 2 * margin,
                                 audio=x, sr=_SR)
        pieces = []
        for c in chunks:
            if c.last <= c.first:
                continue  # no words in this stretch (a long pause): nothing to align
            text = t.transcript[toks[c.first].start:toks[c.last - 1].end]
            a = 0 if len(chunks) == 1 else max(0, int(round((c.start - margin) * _SR)))
            b = len(x) if len(chunks) == 1 else min(len(x), int(round((c.end + margin) * _SR)))
            pieces.append(_Piece(-1, c, a / _SR, np.ascontiguousarray(x[a:b], np.float32), text))
        return toks, pieces
