"""align: audio and its transcript in, a time span for every word out (no result audio); words the
engine could not place come back marked (engines/support/placement.py)."""

from __future__ import annotations

from ..engines.base import AlignOutput, Task
from ..engines.support.placement import place
from .base import Kind, language_or_default, words


class Align(Kind):
    name = "align"
    takes_audio = True

    def language(self, params):
        return language_or_default(params)

    def task(self, params, audio, report):
        return Task(kind=self.name, report=report, params=params, audio=audio, transcript=str(params["transcript"]),
                    language=language_or_default(params))

    def run(self, engine, task):
        return engine.run(task.audio, task.transcript, task.language, task.report)

    def result(self, task, out: AlignOutput):
        # Every transcript word comes back; the ones the engine could not place are marked.
        placed = place(list(out.words), task.audio.duration if task.audio is not None else 0.0)
        return {"kind": self.name, "words": words(placed), "language": out.language,
                "notes": dict(out.notes or {})}, None


KIND = Align()
