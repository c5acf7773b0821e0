"""Dynamic batching: how many jobs an engine gets at once, and halving on out-of-memory.

The cap of a batch is the smallest of WORKER_BATCH_SIZE, the engine's max_batch and what fits in
80% of the free GPU memory (EngineInfo.memory_mb_per_item). When the device runs out of memory
anyway, the batch is split in halves and each half retried, and the engine's cap is halved so the
next batches fit; after `RECOVER_AFTER` clean batches at the lowered cap it grows back by one.
One job that alone does not fit fails with DEVICE_OUT_OF_MEMORY (retryable: another worker, or
this one with more free memory, may run it).
"""

from __future__ import annotations

import threading
from typing import Callable

from . import device as devices
from .outcomes import JobFailure
from . import log
from .engines.base import Engine, Task, is_out_of_memory

RECOVER_AFTER = 20


class DeviceOutOfMemoryFailure(JobFailure):
    code = "DEVICE_OUT_OF_MEMORY"


class BatchSizer:
    def __init__(self, batch_size: int, device: str, free_mb: Callable[[], float | None] | None = None):
        self.batch_size = batch_size
        self.device = device
        self._free_mb = free_mb or (lambda: (devices.memory(device) or {}).get("freeMb"))
        self._lowered: dict[str, int] = {}  # engine key -> cap after an OOM
        self._clean: dict[str, int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(engine: Engine) -> str:
        return f"{engine.info.kind}/{engine.info.name}"

    def cap(self, engine: Engine) -> int:
        info = engine.info
        cap = min(self.batch_size, max(1, info.max_batch))
        if info.memory_mb_per_item > 0 and str(info.device).startswith("cuda"):
            free = self._free_mb()
            if free is not None:
                cap = min(cap, max(1, int(free * 0.8 // info.memory_mb_per_item)))
        with self._lock:
            lowered = self._lowered.get(self.key(engine))
        return min(cap, lowered) if lowered else cap

    def claim_limit(self, engines: list[Engine]) -> int:
        """Jobs to claim from a queue at once: the largest cap among the queue's engines."""
        return max((self.cap(e) for e in engines), default=1)

    def out_of_memory(self, engine: Engine, size: int) -> None:
        k = self.key(engine)
        with self._lock:
            self._lowered[k] = max(1, size // 2)
            self._clean[k] = 0
        log.warning("device out of memory; halving the batch", engine=k, batch=size, cap=max(1, size // 2))

    def succeeded(self, engine: Engine, size: int) -> None:
        k = self.key(engine)
        with self._lock:
            lowered = self._lowered.get(k)
            if lowered is None or size < lowered:
                return
            self._clean[k] = self._clean.get(k, 0) + 1
            if self._clean[k] >= RECOVER_AFTER:
                self._lowered[k] = lowered + 1
                self._clean[k] = 0
                if self._lowered[k] >= min(self.batch_size, engine.info.max_batch):
                    del self._lowered[k]


def run_batch(engine: Engine, tasks: list[Task], sizer: BatchSizer) -> list[object]:
    """engine.run_batch with out-of-memory backoff. One output per task, in order; a task whose
    batch failed as a whole gets that exception as its output."""
    if not tasks:
        return []
    try:
        out = engine.run_batch(tasks)
    except Exception as e:
        if not is_out_of_memory(e):
            return [e] * len(tasks)
        devices.release_cached(str(engine.info.device))
        if len(tasks) == 1:
            return [DeviceOutOfMemoryFailure(f"{engine.info.name}: one job alone does not fit in device memory")]
        sizer.out_of_memory(engine, len(tasks))
        half = len(tasks) // 2
        return run_batch(engine, tasks[:half], sizer) + run_batch(engine, tasks[half:], sizer)
    if len(out) != len(tasks):
        err = RuntimeError(f"{engine.info.name}.run_batch returned {len(out)} outputs for {len(tasks)} tasks")
        return [err] * len(tasks)
    sizer.succeeded(engine, len(tasks))
    return list(out)
