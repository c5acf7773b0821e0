"""Run time of one engine call: wall clock, and CPU time of this process plus its finished children.

With numpy/torch held to one thread, CPU seconds / audio seconds is the real-time factor per core,
and it is far less disturbed than wall time when other processes share the cores. On a GPU the
wall clock is the meaningful one (CPU time then only counts the host side).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass


def _cpu() -> float:
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + c.ru_utime + c.ru_stime


@dataclass
class Clock:
    wall: float = 0.0
    cpu: float = 0.0
    audio: float = 0.0  # seconds of audio processed (or produced, for synthesis)

    def add(self, other: "Clock") -> None:
        self.wall += other.wall
        self.cpu += other.cpu
        self.audio += other.audio

    def rtf_wall(self) -> float:
        return self.wall / self.audio if self.audio > 0 else float("nan")

    def rtf_cpu(self) -> float:
        return self.cpu / self.audio if self.audio > 0 else float("nan")


class timed:
    """with timed() as t: ...  then t.clock.wall / t.clock.cpu."""

    def __enter__(self) -> "timed":
        self.clock = Clock()
        self._w, self._c = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.clock.wall = time.perf_counter() - self._w
        self.clock.cpu = _cpu() - self._c
