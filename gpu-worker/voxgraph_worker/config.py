"""Worker settings: the environment, parsed once into a frozen dataclass."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from typing import Mapping

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
LOG_LEVELS = ("debug", "info", "warning", "error", "fatal", "silent")
# The API's names (pino's) for the same levels: `npm start` passes its LOG_LEVEL on to its workers.
LOG_LEVEL_ALIASES = {"trace": "debug", "warn": "warning"}


# A plug-in's weights-folder setting ends so (Engine.weights_setting): FRCRN_MODEL_DIR, …
MODEL_DIR_SUFFIX = "_MODEL_DIR"


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
    # After the grace: how long the runner gets to hand the remaining jobs back (fenced fails)
    # before the worker hands back, itself, those whose engine ignores cancellation.
    handback_seconds: float = 5.0
    progress_interval_seconds: float = 0.5
    log_level: str = "info"
    # "auto" (cuda when torch sees a GPU, else cpu), "cpu", "cuda" or "cuda:N".
    device: str = "auto"
    # Dynamic batching: claim up to batch_size jobs of one queue, waiting at most batch_wait_ms for
    # a batch to fill (Triton's max queue delay). Engines cap it (EngineInfo.max_batch), and so
    # does the free GPU memory.
    batch_size: int = 8
    batch_wait_ms: float = 10.0
    # Most memory the decoded inputs of one batch may take; bigger batches are split, and a job
    # bigger than this runs alone.
    batch_memory_mb: float = 512.0
    # torch's CPU threads (0: its default, one per core); `npm start` sets cores / WORKERS.
    torch_threads: int = 0
    # WORKER_CONCURRENCY=auto: slots sized from the device (1 on cpu, from free GPU memory on cuda).
    concurrency_auto: bool = False
    # Reference-model plug-ins' weights folders: setting (…_MODEL_DIR) -> folder; each plug-in names
    # its own setting (Engine.weights_setting), unset = not loaded.
    model_dirs: dict[str, str] = field(default_factory=dict)
    # Tests only: "module:function" returning the engine registry (see registry.py).
    test_engines: str | None = None
    # WORKER_HEALTH_FILE: touched after every heartbeat that reached the database, removed on stop;
    # a liveness probe checks its age (deploy/kubernetes). Empty: none.
    health_file: str = ""
    # STORAGE=local (DATA_DIR/objects) or s3 (the S3_* settings, the same as the API's).
    storage: str = "local"
    s3_bucket: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_prefix: str = ""
    s3_force_path_style: bool = False
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""


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


def _dir(env: Mapping[str, str], key: str) -> str | None:
    """A plug-in's weights folder: unset means off; set but missing is a configuration error
    (a typo should not silently serve the fallback engine)."""
    raw = env.get(key, "").strip()
    if not raw:
        return None
    if not os.path.isdir(raw):
        raise ConfigError(f"{key}: {raw!r} is not a directory")
    return raw


def _storage(env) -> dict:
    kind = env.get("STORAGE", "local").strip() or "local"
    if kind not in ("local", "s3"):
        raise ConfigError(f"STORAGE must be local or s3, got {kind!r}")
    if kind == "local":
        return {"storage": "local"}
    bucket = env.get("S3_BUCKET", "").strip()
    if not bucket:
        raise ConfigError("STORAGE=s3 needs S3_BUCKET")
    endpoint = env.get("S3_ENDPOINT", "").strip()
    path_style = env.get("S3_FORCE_PATH_STYLE", "").strip().lower()
    return {"storage": "s3", "s3_bucket": bucket, "s3_endpoint": endpoint,
            "s3_region": env.get("S3_REGION", "").strip() or "us-east-1", "s3_prefix": env.get("S3_PREFIX", ""),
            # As the API decides: path style by default when an endpoint is given (MinIO, s3rver).
            "s3_force_path_style": path_style == "true" if path_style else bool(endpoint),
            "s3_access_key_id": env.get("S3_ACCESS_KEY_ID", ""), "s3_secret_access_key": env.get("S3_SECRET_ACCESS_KEY", "")}


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
    level = LOG_LEVEL_ALIASES.get(level, level)
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    device = env.get("WORKER_DEVICE", "auto").strip().lower() or "auto"
    if not re.match(r"^(auto|cpu|cuda(:[0-9]+)?)$", device):
        raise ConfigError(f"WORKER_DEVICE must be auto, cpu, cuda or cuda:N, got {device!r}")
    conc_raw = env.get("WORKER_CONCURRENCY", "").strip().lower()
    concurrency_auto = conc_raw == "auto"
    worker_id = env.get("WORKER_ID", "").strip() or f"{socket.gethostname()}-{os.getpid()}"
    return Config(
        database_url=url,
        data_dir=data_dir,
        concurrency=1 if concurrency_auto else _num(env, "WORKER_CONCURRENCY", 1, int, 1),
        concurrency_auto=concurrency_auto,
        device=device,
        batch_size=_num(env, "WORKER_BATCH_SIZE", 8, int, 1),
        batch_wait_ms=min(_num(env, "WORKER_BATCH_WAIT_MS", 10.0, float, 0), 1000.0),
        batch_memory_mb=_num(env, "WORKER_BATCH_MEMORY_MB", 512.0, float, 1),
        torch_threads=_num(env, "WORKER_TORCH_THREADS", 0, int, 0),
        # Checked against the plug-ins' own settings when the engines load (engines/catalog.py).
        model_dirs={k: env[k].strip() for k in sorted(env) if k.endswith(MODEL_DIR_SUFFIX) and env[k].strip()},
        worker_id=worker_id,
        queues=queues,
        poll_seconds=_num(env, "WORKER_POLL_SECONDS", 2.0, float, 0.05),
        heartbeat_seconds=_num(env, "WORKER_HEARTBEAT_SECONDS", 5.0, float, 0.1),
        shutdown_grace_seconds=_num(env, "WORKER_SHUTDOWN_GRACE_SECONDS", 20.0, float, 0),
        handback_seconds=_num(env, "WORKER_HANDBACK_SECONDS", 5.0, float, 0.5),
        progress_interval_seconds=_num(env, "WORKER_PROGRESS_INTERVAL_SECONDS", 0.5, float, 0),
        log_level=level,
        test_engines=env.get("VOXGRAPH_TEST_ENGINES") or None,
        health_file=env.get("WORKER_HEALTH_FILE", "").strip(),
        **_storage(env),
    )
