"""Denoiser evaluation: clean speech + noise at fixed seeds and SNRs, SI-SDR and segmental-SNR
improvement per (noise, SNR) condition.

Two disjoint sets of speech: `tuning_clips` (espeak voices, sentences EN[0:4]) for choosing an
engine's settings, and `heldout_clips` (flite voices, sentences EN[4:]) for reporting.

    /usr/bin/python3 -m voxgraph_eval.denoise [mmse-lsa fast ...] [--tuning]

prints the table for the named engines on the held-out set (run from gpu-worker/).
"""

from __future__ import annotations

import sys
import time
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from . import noise
from .metrics import seg_snr, si_sdr
from .sentences import EN

SR = 16000
SNRS = (0.0, 5.0, 10.0)
TARGET_NOISES = ("white", "pink")  # the conditions a classical denoiser is judged on
Denoise = Callable[[np.ndarray, int], np.ndarray]  # (noisy float32 mono, sample rate) -> same shape


@lru_cache(maxsize=4)
def tuning_clips(sr: int = SR) -> tuple[np.ndarray, ...]:
    from voxgraph_worker.engines.support.dsp import resample

    from .speech import espeak_clip

    variants = ("f3", "m3", "f1", "m1")
    return tuple(resample(c.samples, c.sample_rate, sr)
                 for c in (espeak_clip(t, variant=v) for t, v in zip(EN[0:4], variants)))


@lru_cache(maxsize=4)
def heldout_clips(sr: int = SR, voices: tuple[str, ...] = ("slt", "awb", "rms")) -> tuple[np.ndarray, ...]:
    from voxgraph_worker.engines.support.dsp import resample

    from .speech import flite_clip

    out = []
    for i, text in enumerate(EN[4:]):
        for v in voices:
            c = flite_clip(text, voice=v)
            if c is not None:
                out.append(resample(c.samples, c.sample_rate, sr))
    return tuple(out)


def noisy(clean: np.ndarray, kind: str, snr_db: float, sr: int, seed: int) -> np.ndarray:
    return noise.add(clean, kind, snr_db, sr, seed)


def evaluate(denoise: Denoise, clips: Sequence[np.ndarray], noises: Sequence[str] = noise.NOISE_TYPES,
             snrs: Sequence[float] = SNRS, sr: int = SR) -> dict[tuple[str, float], dict[str, float]]:
    """Mean SI-SDR and segmental-SNR improvement (dB) over the clips, per (noise, snr); clip k gets
    noise seed k, so every engine sees the same mixtures."""
    out = {}
    for kind in noises:
        for snr in snrs:
            d_sdr, d_seg = [], []
            for k, clean in enumerate(clips):
                x = noisy(clean, kind, snr, sr, seed=k)
                y = denoise(x, sr)
                d_sdr.append(si_sdr(clean, y) - si_sdr(clean, x))
                d_seg.append(seg_snr(clean, y, sr) - seg_snr(clean, x, sr))
            out[(kind, snr)] = {"si_sdri": float(np.mean(d_sdr)), "seg_snri": float(np.mean(d_seg)),
                                "si_sdri_min": float(np.min(d_sdr))}
    return out


def target_mean(result: dict[tuple[str, float], dict[str, float]]) -> float:
    """Mean SI-SDR improvement over white and pink at every SNR evaluated."""
    return float(np.mean([v["si_sdri"] for (k, _), v in result.items() if k in TARGET_NOISES]))


def table(results: dict[str, dict[tuple[str, float], dict[str, float]]]) -> str:
    """Markdown: one row per condition, SI-SDRi / segSNRi per engine."""
    names = list(results)
    lines = ["| noise | SNR | " + " | ".join(f"{n} SI-SDRi | {n} segSNRi" for n in names) + " |",
             "| --- | --- | " + " | ".join("--- | ---" for _ in names) + " |"]
    for cond in next(iter(results.values())):
        cells = " | ".join(f"{results[n][cond]['si_sdri']:+.2f} | {results[n][cond]['seg_snri']:+.2f}" for n in names)
        lines.append(f"| {cond[0]} | {cond[1]:g} dB | {cells} |")
    lines.append("| white+pink mean | | " + " | ".join(f"{target_mean(results[n]):+.2f} | " for n in names) + " |")
    return "\n".join(lines)


def engine_denoiser(engine) -> Denoise:
    from voxgraph_worker.engines.base import AudioData

    return lambda x, sr: engine.run(AudioData(x, sr), lambda _: None).samples


def rtf(denoise: Denoise, seconds: float = 60.0, sr: int = SR, repeats: int = 3) -> float:
    """Processing time / duration on quiet white noise (the cost does not depend on the content), best of `repeats`."""
    x = noise.white(int(seconds * sr), seed=7) * 0.05
    denoise(x[: sr], sr)  # warm up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        denoise(x, sr)
        best = min(best, time.perf_counter() - t)
    return best / seconds


def _engines(names: Sequence[str]):
    from voxgraph_worker.engines.denoise_mmse_lsa import MmseLsaDenoiser
    from voxgraph_worker.engines.denoise_fast import SpeexDenoiser

    known = {"mmse-lsa": lambda: MmseLsaDenoiser(device="cpu"), "fast": SpeexDenoiser}
    out = {}
    for n in names:
        e = known[n]()
        e.load()
        out[n] = e
    return out


def main(argv: Sequence[str]) -> None:
    import torch

    torch.set_num_threads(1)
    names = [a for a in argv if not a.startswith("--")] or ["mmse-lsa", "fast"]
    clips = tuning_clips() if "--tuning" in argv else heldout_clips()
    results, speeds = {}, {}
    for name, engine in _engines(names).items():
        results[name] = evaluate(engine_denoiser(engine), clips)
        speeds[name] = rtf(engine_denoiser(engine))
    print(f"{len(clips)} clips ({'tuning' if '--tuning' in argv else 'held-out'}), 16 kHz mono, 1 thread\n")
    print(table(results))
    print("\n| engine | RTF (1 thread, 16 kHz mono) |\n| --- | --- |")
    for n, v in speeds.items():
        print(f"| {n} | {v:.4f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
