"""synthesize: text with an emotion in, speech and its word timings out."""

from __future__ import annotations

from .. import protocol
from ..engines.base import AudioData, Task
from ..engines.support.dsp import resample
from .base import Kind, language_or_default, words


class Synthesize(Kind):
    name = "synthesize"

    def language(self, params):
        return language_or_default(params)

    def task(self, params, audio, report):
        intensity = params.get("intensity")
        return Task(kind=self.name, report=report, params=params, text=str(params["text"]),
                    emotion=str(params.get("emotion") or protocol.DEFAULT_EMOTION), voice=params.get("voice"),
                    language=language_or_default(params),
                    intensity=float(intensity) if intensity is not None else protocol.DEFAULT_INTENSITY)

    def run(self, engine, task):
        return engine.run(task.text, task.emotion, task.voice, task.language, task.report, intensity=task.intensity)

    def result(self, task, out):
        # An AudioData (a SynthAudio with .words where the engine knows them), or (audio, words).
        if isinstance(out, tuple):
            audio, timings = out[0], out[1]
        else:
            audio, timings = getattr(out, "audio", out), getattr(out, "words", None)
        rate = task.params.get("sampleRate")
        if rate and int(rate) != audio.sample_rate:
            audio = AudioData(resample(audio.samples, audio.sample_rate, int(rate)), int(rate))
        return {"kind": self.name, "words": words(timings)}, audio


KIND = Synthesize()
