"""`python -m voxgraph_worker`: config -> device -> engines (load + warm-up) -> loop. Exit 2 = bad
config, 3 = pg-boss schema version mismatch, 1 = built-in engines failed to load, 0 = clean shutdown."""

from __future__ import annotations

import os
import sys

from . import config, log


def main() -> int:
    from .signals import ShutdownSignals, exit_with_parent

    signals = ShutdownSignals()  # first: a SIGTERM while engines load is honoured, not fatal
    parent = os.environ.get("VOXGRAPH_SUPERVISOR_PID", "")
    exit_with_parent(int(parent) if parent.isdigit() else None)
    try:
        cfg = config.load()
    except config.ConfigError as e:
        log.error(f"bad configuration: {e}")
        return 2
    log.configure(cfg.log_level, cfg.worker_id)

    from . import device as devices
    from .loop import Worker
    from .pgboss import PgBoss
    from .registry import load_registry, prepare, release
    from .storage import from_config as storage_from_config

    device = devices.resolve(cfg.device)
    devices.limit_cpu_threads(cfg.torch_threads)
    try:
        registry = load_registry(cfg, device)
        failures = prepare(registry)  # once, before the first claim
    except config.ConfigError as e:  # a plug-in's weights folder that is not one
        log.error(f"bad configuration: {e}")
        return 2
    except Exception as e:
        log.error("engines failed to load", exc=e)
        return 1
    concurrency = cfg.concurrency
    if cfg.concurrency_auto:
        # One slot holds one batch at a time: size slots by the biggest batch any engine may take.
        per_slot = max((e.info.memory_mb_per_item * min(cfg.batch_size, e.info.max_batch)
                        for es in registry.values() for e in es), default=0.0)
        concurrency = devices.auto_concurrency(device, per_slot)
    try:
        if signals.pending:
            log.info("shutdown requested while loading engines; exiting")
            return 0
        return Worker(cfg, registry, PgBoss(), storage_from_config(cfg), device=device, concurrency=concurrency,
                      plugin_failures=failures, signals=signals).run()
    finally:
        release(registry)


if __name__ == "__main__":
    sys.exit(main())
