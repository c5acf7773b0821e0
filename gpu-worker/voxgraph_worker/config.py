"""Worker settings: the environment, parsed once into a frozen dataclass."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from typing import Mapping

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(Exception):
    """A bad or missing setting; __main__ exits 2 with the message."""


@dataclass(frozen=True)
class Config:
    database_url: str
    data_dir: str
    concurrency: int = 1
    worker_id: str = ""
    queues: tuple[str, ...] = ("denoise", "align", "synthesize")
    poll_seconds: float = 2.0
    heartbeat_seconds: float = 5.0
    shutdown_grace_seconds: float = 20.0
    progress_interval_seconds: float = 0.5
    log_level: str = "info"
    # Tests only: "module:function" returning the engine registry (see registry.py).
    test_engines: str | None = None


def _num(env: Mapping[str, str], key: str, default, kind=float, minimum=None):
    raw = env.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ConfigError(f"{key} must be a{'n integer' if kind is int else ' number'}, got {raw!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{key} must be >= {minimum}, got {raw!r}")
    return value


def load(env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        raise ConfigError("DATABASE_URL is required")
    data_dir = env.get("DATA_DIR", "").strip()
    if not data_dir:
        raise ConfigError("DATA_DIR is required")
    queues = tuple(q.strip() for q in env.get("WORKER_QUEUES", "denoise,align,synthesize").split(",") if q.strip())
    if not queues:
        raise ConfigError("WORKER_QUEUES must name at least one queue")
    for q in queues:
        # Queue names end up inside SQL text (pg-boss's statements inline them), so they must be plain.
        if not _NAME.match(q):
            raise ConfigError(f"WORKER_QUEUES: invalid queue name {q!r}")
    level = env.get("LOG_LEVEL", "info").strip().lower()
    if level == "warn":
        level = "warning"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    worker_id = env.get("WORKER_ID", "").strip() or f"{socket.gethostname()}-{os.getpid()}"
    return Config(
        database_url=url,
        data_dir=data_dir,
        concurrency=_num(env, "WORKER_CONCURRENCY", 1, int, 1),
        worker_id=worker_id,
        queues=queues,
        poll_seconds=_num(env, "WORKER_POLL_SECONDS", 2.0, float, 0.05),
        heartbeat_seconds=_num(env, "WORKER_HEARTBEAT_SECONDS", 5.0, float, 0.1),
        shutdown_grace_seconds=_num(env, "WORKER_SHUTDOWN_GRACE_SECONDS", 20.0, float, 0),
        progress_interval_seconds=_num(env, "WORKER_PROGRESS_INTERVAL_SECONDS", 0.5, float, 0),
        log_level=level,
        test_engines=env.get("VOXGRAPH_TEST_ENGINES") or None,
    )
