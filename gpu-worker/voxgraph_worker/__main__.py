"""`python -m voxgraph_worker`: config -> engines -> loop. Exit 2 = bad config, 3 = pg-boss
schema version mismatch, 1 = engines failed to load, 0 = clean shutdown."""

from __future__ import annotations

import sys

from . import config, log


def main() -> int:
    try:
        cfg = config.load()
    except config.ConfigError as e:
        log.error(f"bad configuration: {e}")
        return 2
    log.configure(cfg.log_level, cfg.worker_id)

    from .loop import Worker
    from .pgboss import PgBoss
    from .registry import load_registry, prepare, release
    from .storage import LocalStorage

    try:
        registry = load_registry(cfg.test_engines)
        prepare(registry)  # once, before the first claim
    except Exception as e:
        log.error("engines failed to load", exc=e)
        return 1
    try:
        return Worker(cfg, registry, PgBoss(), LocalStorage(cfg.data_dir)).run()
    finally:
        release(registry)


if __name__ == "__main__":
    sys.exit(main())
