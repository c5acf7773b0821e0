"""Where engines run and how much device memory there is: the worker's view of the accelerator.

torch is imported lazily and is optional: without it (or without a GPU) everything is "cpu".
"""

from __future__ import annotations

from typing import Optional

from . import log


def _torch():
    try:
        import torch

        return torch
    except Exception:  # no torch, or a broken CUDA install: run on the CPU
        return None


def resolve(requested: str) -> str:
    """"auto" -> "cuda:0" when torch sees a GPU, else "cpu". An explicit cuda that is not there
    falls back to cpu with a warning rather than refusing to serve."""
    torch = _torch()
    has_cuda = bool(torch is not None and torch.cuda.is_available())
    if requested == "auto":
        return "cuda:0" if has_cuda else "cpu"
    if requested.startswith("cuda"):
        if not has_cuda:
            log.warning("WORKER_DEVICE asks for CUDA but none is available; running on the CPU", requested=requested)
            return "cpu"
        return requested if ":" in requested else "cuda:0"
    return "cpu"


def limit_cpu_threads(threads: int) -> None:
    """torch's intra-op threads on the CPU (0: torch's default, one per core). Workers that share a
    machine each running one thread per core fight over the cores: with two workers on two cores
    the load bench spent about a quarter more worker CPU per job than with one thread each."""
    torch = _torch()
    if torch is not None and threads > 0:
        torch.set_num_threads(threads)


def memory(device: str) -> Optional[dict]:
    """{"totalMb", "freeMb"} of a CUDA device; None on the CPU (host memory is not the limit we size by)."""
    if not device.startswith("cuda"):
        return None
    torch = _torch()
    try:
        free, total = torch.cuda.mem_get_info(torch.device(device))
    except Exception as e:
        log.warning("could not read GPU memory", error=str(e))
        return None
    return {"totalMb": round(total / 2**20), "freeMb": round(free / 2**20)}


def name(device: str) -> Optional[str]:
    if not device.startswith("cuda"):
        return None
    torch = _torch()
    try:
        return str(torch.cuda.get_device_name(torch.device(device)))
    except Exception:
        return None


def release_cached(device: str) -> None:
    """After an out-of-memory error: give the allocator's cached blocks back before retrying."""
    if device.startswith("cuda"):
        torch = _torch()
        try:
            torch.cuda.empty_cache()
        except Exception:
            pass


def auto_concurrency(device: str, per_slot_mb: float, limit: int = 4) -> int:
    """Slots for WORKER_CONCURRENCY=auto: 1 on the CPU (engines use the cores themselves); on a GPU
    as many full batches as fit in 80% of the free memory, at least 1 and at most `limit`."""
    mem = memory(device)
    if mem is None or per_slot_mb <= 0:
        return 1
    return max(1, min(limit, int(mem["freeMb"] * 0.8 // per_slot_mb)))
