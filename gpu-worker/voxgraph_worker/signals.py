"""Shutdown signals, taken safely.

SIGTERM and SIGINT mean "shut down as documented" (README, Shutdown): stop claiming, give running
jobs the grace period, hand back the rest, exit 0. The handler only records the signal number: a
handler that logs or takes a lock can deadlock with the main thread it interrupts.
signal.set_wakeup_fd makes a select() on `fileno` wake at once; the main loop then calls take()
and acts. Installed first thing in __main__, so a signal during engine loading is not lost.

A worker started by the API's supervisor also asks the kernel for SIGTERM when the API dies
(prctl PR_SET_PDEATHSIG), so it never outlives its supervisor with jobs in hand.
"""

from __future__ import annotations

import ctypes
import os
import signal
from typing import Optional

PR_SET_PDEATHSIG = 1


class ShutdownSignals:
    def __init__(self) -> None:
        r, w = os.pipe()
        os.set_blocking(r, False)
        os.set_blocking(w, False)
        self.fileno = r
        self._seen: list[int] = []
        signal.set_wakeup_fd(w)
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        self._seen.append(signum)  # nothing else here (see the module docstring)

    def take(self) -> list[int]:
        """The signals received since the last call, oldest first."""
        try:
            os.read(self.fileno, 256)
        except OSError:
            pass
        out = []
        while self._seen:
            out.append(self._seen.pop(0))
        return out

    @property
    def pending(self) -> bool:
        return bool(self._seen)


def exit_with_parent(parent_pid: Optional[int]) -> None:
    """SIGTERM to this process when `parent_pid` (our parent) dies; at once if it already has."""
    if not parent_pid:
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return  # not Linux: the supervisor's SIGKILL after the budget is the backstop
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)
