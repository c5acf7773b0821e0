"""denoise: audio in, audio out (the result audio is stored, at params.sampleRate when given and in
params.format; the result object has no fields)."""

from __future__ import annotations

from ..engines.base import AudioData, Task
from ..engines.support.dsp import resample
from .base import Kind


class Denoise(Kind):
    name = "denoise"
    takes_audio = True

    def task(self, params, audio, report):
        return Task(kind=self.name, report=report, params=params, audio=audio)

    def run(self, engine, task):
        return engine.run(task.audio, task.report)

    def result(self, task, out):
        rate = task.params.get("sampleRate")
        if rate and int(rate) != out.sample_rate:
            out = AudioData(resample(out.samples, out.sample_rate, int(rate)), int(rate))
        return {"kind": self.name}, out


KIND = Denoise()
