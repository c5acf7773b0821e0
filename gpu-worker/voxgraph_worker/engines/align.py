"""The default aligner: pocketsphinx for English, espeak+DTW for the other languages and as fallback."""

from __future__ import annotations

from . import espeak
from .align_dtw import DtwAligner
from .align_pocketsphinx import PocketsphinxAligner
from .base import AlignOutput, AudioData, Engine, EngineInfo, EngineInputError, ReportProgress


class Aligner(Engine):
    info = EngineInfo(kind="align", name="auto", version="1.0", languages=list(espeak.LANGUAGES))

    def __init__(self) -> None:
        self._dtw = DtwAligner()
        self._sphinx = PocketsphinxAligner()

    def load(self) -> None:
        self._dtw.load()
        self._sphinx.load()

    def warmup(self) -> None:
        self._sphinx.warmup()

    def release(self) -> None:
        self._sphinx.release()

    def run(self, audio: AudioData, transcript: str, language: str, report: ReportProgress) -> AlignOutput:
        if language == "en":
            try:
                out = self._sphinx.run(audio, transcript, language, report)
            except EngineInputError as exc:
                if exc.code == "EMPTY_TRANSCRIPT":
                    raise
                out = self._dtw.run(audio, transcript, language, report)
                out.notes["fallback"] = "espeak-dtw"
        else:
            out = self._dtw.run(audio, transcript, language, report)
        out.notes.setdefault("engine", "pocketsphinx" if language == "en" and "fallback" not in out.notes else "espeak-dtw")
        return out
