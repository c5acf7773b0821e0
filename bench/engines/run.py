#!/usr/bin/python3
"""Engine quality and speed benchmark: denoise, align, synthesize; markdown tables on stdout.

    /usr/bin/python3 bench/engines/run.py [--quick] [--only denoise|align|synthesize] [--json out.json]
        [--device cpu|cuda]

Test sets are generated offline at fixed seeds (bench/engines/datasets.py). Engines are found at
run time (bench/engines/discover.py); plug-ins join when FRCRN_MODEL_DIR, QWEN3_ALIGNER_MODEL_DIR
or INDEXTTS2_MODEL_DIR is set. Progress goes to stderr, tables to stdout.
"""

from __future__ import annotations

import os

# One thread everywhere, set before numpy/torch load: RTF is then per core.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import json
import math
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import discover  # noqa: E402

KINDS = ("denoise", "align", "synthesize")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine_info(device: str, quick: bool) -> dict:
    import numpy
    try:
        import torch
        torch.set_num_threads(1)
        torch_v, threads = torch.__version__, f"torch {torch.get_num_threads()}, OMP {os.environ['OMP_NUM_THREADS']}"
    except ImportError:
        torch_v, threads = "not installed", f"OMP {os.environ['OMP_NUM_THREADS']}"
    cpu = platform.processor() or "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    if device.startswith("cuda"):
        import torch
        device = f"{device} ({torch.cuda.get_device_name(0)})"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": len(os.sched_getaffinity(0)), "device": device, "python": platform.python_version(),
        "torch": torch_v, "numpy": numpy.__version__, "threads": threads, "git": _git(),
        "mode": "quick" if quick else "full",
    }


def _git() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "gpu-worker/voxgraph_worker"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" + uncommitted engine changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def default_device() -> str:
    try:
        import torch
        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sets (< 2 min on 2 cores)")
    ap.add_argument("--only", choices=KINDS, action="append", help="run only this kind (repeatable)")
    ap.add_argument("--json", metavar="OUT", help="write every figure to this JSON file")
    ap.add_argument("--device", default=None, help="device handed to engines that take one (default: cuda if available)")
    ap.add_argument("--write-doc", metavar="MD", help="also put the tables into MD between the bench markers "
                    "(docs/engines.md)")
    ap.add_argument("--engines", default=None, help="comma-separated engine names to keep (default: all found)")
    args = ap.parse_args()
    kinds = args.only or list(KINDS)
    device = args.device or default_device()
    t0 = time.perf_counter()

    note = discover.import_engines_package(ROOT / "gpu-worker")
    info = machine_info(device, args.quick)
    import datasets  # noqa: E402 - needs gpu-worker on sys.path (set by import_engines_package)

    found = discover.discover(device)
    if note:
        found.notes.append(note)
    if args.engines:
        keep = set(args.engines.split(","))
        found.engines = {k: [e for e in v if e.info.name in keep] for k, v in found.engines.items()}
    sets = datasets.Sets()
    results: dict = {"machine": info}
    log(f"engines: { {k: [e.info.name for e in v] for k, v in found.engines.items()} }")

    if "denoise" in kinds:
        import denoise
        results["denoise"] = denoise.run(found.engines.get("denoise", []), sets, args.quick, log)
    if "align" in kinds:
        import align
        results["align"] = align.run(found.engines.get("align", []), sets, args.quick, log)
    if "synthesize" in kinds:
        import synthesize
        # A fresh aligner instance for the timing check (the align bench released its own).
        aligner = synthesize.pick_aligner(discover.discover(device, {"align"}).engines.get("align", []))
        results["synthesize"] = synthesize.run(found.engines.get("synthesize", []), aligner, sets, args.quick, log)

    info["elapsed_s"] = time.perf_counter() - t0
    failed = [e for k in kinds for e in (results.get(k) or {}).get("failed_to_load", [])]
    results["skipped"] = failed + found.skipped + sets.skipped
    results["notes"] = found.notes
    text = render(results, kinds)
    print(text)
    if args.write_doc:
        write_doc(Path(args.write_doc), text)
        log(f"updated {args.write_doc}")
    if args.json:
        Path(args.json).write_text(json.dumps(_clean(results), indent=1, ensure_ascii=False))
        log(f"wrote {args.json}")
    return 0


def render(results: dict, kinds: list[str]) -> str:
    import report
    parts = ["## Engine benchmark", report.machine(results["machine"])]
    parts.append(report.summary(results))
    for kind in kinds:
        if results.get(kind) is not None:
            parts.append(getattr(report, kind)(results[kind]))
    if results["skipped"] or results["notes"]:
        parts.append("### Skipped / notes\n\n" + "\n".join(f"- {s}" for s in results["notes"] + results["skipped"]))
    return "\n\n".join(p for p in parts if p) + "\n"


BEGIN, END = "<!-- bench:engines:begin -->", "<!-- bench:engines:end -->"


def write_doc(path: Path, text: str) -> None:
    """Replace what lies between the markers; headings are pushed down one level to fit the doc."""
    doc = path.read_text()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path}: markers {BEGIN} / {END} not found")
    body = "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())
    head, rest = doc.split(BEGIN, 1)
    path.write_text(head + BEGIN + "\n\n" + body + "\n\n" + END + rest.split(END, 1)[1])


def _clean(o):
    """JSON without NaN (null instead)."""
    if isinstance(o, float):
        return None if math.isnan(o) or math.isinf(o) else o
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


if __name__ == "__main__":
    sys.exit(main())
