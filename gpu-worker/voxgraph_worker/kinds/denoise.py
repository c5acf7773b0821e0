"""denoise: audio in, audio out (the result audio is stored; the result object has no fields)."""

from __future__ import annotations

from ..engines.base import Task
from .base import Kind


class Denoise(Kind):
    name = "denoise"
    takes_audio = True

    def task(self, params, audio, report):
        return Task(kind=self.name, report=report, params=params, audio=audio)

    def run(self, engine, task):
        return engine.run(task.audio, task.report)

    def result(self, task, out):
        return {"kind": self.name}, out


KIND = Denoise()
