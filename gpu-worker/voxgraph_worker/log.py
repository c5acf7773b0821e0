"""JSON-lines logging on stderr: one object per line, so the API's supervisor can parse it."""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "fatal": 50, "silent": 100}  # the worker logs no fatal records
_lock = threading.Lock()  # lines from slot threads must not interleave
_state = {"level": 20, "worker": None}


def configure(level: str = "info", worker: str | None = None) -> None:
    _state["level"] = _LEVELS.get(level, 20)
    _state["worker"] = worker


def _emit(level: str, msg: str, exc: BaseException | None = None, **fields) -> None:
    if _LEVELS[level] < _state["level"]:
        return
    now = time.time()
    rec = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z",
           "level": level, "msg": msg, "worker": _state["worker"]}
    rec.update({k: v for k, v in fields.items() if v is not None})
    if exc is not None:
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["stack"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    line = json.dumps(rec, default=str)
    with _lock:
        try:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # stderr closed: logging must never take the worker down


def debug(msg: str, **f) -> None:
    _emit("debug", msg, **f)


def info(msg: str, **f) -> None:
    _emit("info", msg, **f)


def warning(msg: str, **f) -> None:
    _emit("warning", msg, **f)


def error(msg: str, exc: BaseException | None = None, **f) -> None:
    _emit("error", msg, exc=exc, **f)
