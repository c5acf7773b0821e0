"""What a job kind is to the worker: the three places where kinds differ.

- task(): the queue payload's params (and the decoded input, for a kind that has one) -> the
  engine's Task. A missing parameter raises KeyError, which the runner reports as INVALID_PARAMS.
- run(): how an engine of the kind is called with a Task (the run() signature of the kind, which
  engines/base.py's Engine docstring lists).
- result(): the Task and the engine's output -> (the contract's JobResult for the kind, the result
  audio or None).
"""

from __future__ import annotations

from typing import Any, Optional

from .. import protocol
from ..engines.base import AudioData, Engine, ReportProgress, Task


class Kind:
    name: str
    # The kind's jobs carry an input audio (payload "input"), decoded before the engine runs.
    takes_audio: bool = False

    def language(self, params: dict) -> Optional[str]:
        """The language an engine must speak for the job (None: any engine of the kind)."""
        return None

    def task(self, params: dict, audio: Optional[AudioData], report: ReportProgress) -> Task:
        raise NotImplementedError

    def run(self, engine: Engine, task: Task) -> Any:
        raise NotImplementedError

    def result(self, task: Task, out: Any) -> tuple[dict, Optional[AudioData]]:
        raise NotImplementedError


def language_or_default(params: dict) -> str:
    return str(params.get("language") or protocol.DEFAULT_LANGUAGE)


def words(items: Any) -> list[dict]:
    """Engine word timings (dataclasses or dicts) -> the contract's Word objects."""
    out = []
    for w in items or []:
        get = w.get if isinstance(w, dict) else (lambda k, d=None, w=w: getattr(w, k, d))
        conf = get("confidence")
        out.append({"text": str(get("text")), "start": float(get("start")), "end": float(get("end")),
                    "confidence": None if conf is None else float(conf), "aligned": bool(get("aligned", True))})
    return out
