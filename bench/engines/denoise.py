"""Denoise bench: SI-SDR and segmental-SNR improvement per noise type x SNR, and RTF, per engine."""

from __future__ import annotations

from typing import Callable

import numpy as np

import datasets
import discover
from timing import Clock, timed
from voxgraph_eval.metrics import seg_snr, si_sdr
from voxgraph_worker.engines.base import AudioData, Task
from voxgraph_worker.engines.support.dsp import resample

TARGET_IMPROVEMENT_DB = 5.0  # mean SI-SDR improvement over white + pink
TARGET_RTF = 0.01  # per core


def _noop(_: float) -> None:
    pass


def run(engines: list, sets: datasets.Sets, quick: bool, log: Callable[[str], None]) -> dict:
    clean = sets.denoise_clean(quick)
    log(f"denoise: {len(clean)} clean clips x {len(datasets.DENOISE_NOISES) * len(datasets.DENOISE_SNRS)} conditions")
    # Mixtures are made once and shared by every engine (babble is the costly one).
    mixes = {(k, s): [datasets.noisy(x, (k, s), datasets.SR, seed=100 + i) for i, (_, x) in enumerate(clean)]
             for k in datasets.DENOISE_NOISES for s in datasets.DENOISE_SNRS}
    out = {"clips": [src for src, _ in clean], "engines": [], "failed_to_load": []}
    for eng, load_s in discover.started(engines, out["failed_to_load"], log):
        out["engines"].append(_engine(eng, load_s, clean, mixes, log))
    return out


def _engine(eng, load_s: float, clean, mixes, log) -> dict:
    info = eng.info
    res = {"engine": info.name, "version": info.version, "plugin": info.plugin, "rows": [], "errors": []}
    res["load_s"] = round(load_s, 3)
    res["device"] = eng.info.device
    total = Clock()
    for (kind, snr), ys in mixes.items():
        sisdr_imp, seg_imp, failures, clock = [], [], 0, Clock()
        for (src, x), y in zip(clean, ys):
            try:
                with timed() as t:
                    z = eng.run(AudioData(y.copy(), datasets.SR), _noop)
            except Exception as exc:  # noqa: BLE001 - a failure is a measured outcome
                failures += 1
                res["errors"].append(f"{kind} {snr:g} dB {src}: {type(exc).__name__}: {exc}")
                continue
            t.clock.audio = len(y) / datasets.SR
            clock.add(t.clock)
            zs = z.mono()
            if z.sample_rate != datasets.SR:
                zs = resample(zs, z.sample_rate, datasets.SR)
            n = min(len(zs), len(x))
            if n < len(x):
                res["errors"].append(f"{kind} {snr:g} dB {src}: output {len(x) - n} samples short")
            sisdr_imp.append(si_sdr(x[:n], zs[:n]) - si_sdr(x[:n], y[:n]))
            seg_imp.append(seg_snr(x[:n], zs[:n], datasets.SR) - seg_snr(x[:n], y[:n], datasets.SR))
        total.add(clock)
        res["rows"].append({
            "noise": kind, "snr_db": snr, "clips": len(ys), "failures": failures,
            "si_sdr_improvement_db": _mean(sisdr_imp), "seg_snr_improvement_db": _mean(seg_imp),
            "rtf_cpu": clock.rtf_cpu(), "rtf_wall": clock.rtf_wall(),
        })
        log(f"  {info.name} {kind} {snr:g} dB: SI-SDR {_mean(sisdr_imp):+.2f} dB, RTF {clock.rtf_cpu():.4f}")
    if info.max_batch > 1:
        res["batch"] = _batched(eng, mixes)
        log(f"  {info.name} run_batch (max_batch {info.max_batch}): RTF wall {res['batch']['rtf_wall']:.4f}")
    eng.release()
    wp = [r["si_sdr_improvement_db"] for r in res["rows"] if r["noise"] in ("white", "pink")]
    res["mean_white_pink_db"] = _mean(wp)
    res["mean_all_db"] = _mean([r["si_sdr_improvement_db"] for r in res["rows"]])
    res["mean_seg_white_pink_db"] = _mean([r["seg_snr_improvement_db"] for r in res["rows"] if r["noise"] != "babble"])
    res["rtf_cpu"], res["rtf_wall"] = total.rtf_cpu(), total.rtf_wall()
    # On a GPU the host CPU time says little: judge the wall clock there.
    rtf = res["rtf_wall"] if str(res["device"]).startswith("cuda") else res["rtf_cpu"]
    res["targets"] = [
        {"target": f"mean SI-SDR improvement white+pink >= +{TARGET_IMPROVEMENT_DB:g} dB", "value": res["mean_white_pink_db"],
         "pass": bool(res["mean_white_pink_db"] >= TARGET_IMPROVEMENT_DB)},
        {"target": f"RTF <= {TARGET_RTF:g} per core", "value": rtf, "pass": bool(rtf <= TARGET_RTF)},
    ]
    return res


def _batched(eng, mixes) -> dict:
    """Throughput of run_batch (the worker's dynamic batching) over every mixture, max_batch at a time."""
    ys = [y for group in mixes.values() for y in group]
    clock, failures = Clock(), 0
    for i in range(0, len(ys), eng.info.max_batch):
        tasks = [Task(kind="denoise", report=_noop, audio=AudioData(y.copy(), datasets.SR))
                 for y in ys[i:i + eng.info.max_batch]]
        with timed() as t:
            outs = eng.run_batch(tasks)
        t.clock.audio = sum(len(y) for y in ys[i:i + eng.info.max_batch]) / datasets.SR
        clock.add(t.clock)
        failures += sum(isinstance(o, Exception) for o in outs)
    return {"max_batch": eng.info.max_batch, "items": len(ys), "failures": failures,
            "rtf_cpu": clock.rtf_cpu(), "rtf_wall": clock.rtf_wall()}


def _mean(v) -> float:
    return float(np.mean(v)) if len(v) else float("nan")
