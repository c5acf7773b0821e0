"""Small helpers the engine tests share: progress callbacks that record or cancel."""

from __future__ import annotations

from voxgraph_worker.engines.base import Cancelled


def nothing(_: float) -> None:
    pass


def cancel_after(n: int):
    """A report() that records fractions (each checked to be in [0, 1]) and raises Cancelled on
    call n + 1. Returns (report, calls)."""
    calls: list[float] = []

    def report(f: float) -> None:
        assert 0.0 <= f <= 1.0
        calls.append(f)
        if len(calls) > n:
            raise Cancelled()

    return report, calls
