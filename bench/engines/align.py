"""Align bench: word-boundary error per language x condition, failures and RTF, per engine; and on
human recordings (no word truth) failures, RTF and the agreement between engines."""

from __future__ import annotations

import itertools
from typing import Callable, Optional

import numpy as np

import datasets
import discover
from timing import Clock, timed
from voxgraph_eval.metrics import boundary_errors, summary
from voxgraph_worker.engines.base import AudioData

# (description, language, condition, limit in seconds); judged on the mean boundary error.
TARGETS = [
    ("clean English (other voices) <= 20 ms", "en", "clean", 0.020),
    ("English white 0 dB <= 50 ms", "en", "white 0 dB", 0.050),
    ("English babble 10 dB <= 100 ms", "en", "babble 10 dB", 0.100),
    ("clean German <= 40 ms", "de", "clean", 0.040),
    ("clean Mandarin <= 40 ms", "zh", "clean", 0.040),
]


def _noop(_: float) -> None:
    pass


def supports(eng, language: str) -> bool:
    return not eng.info.languages or language in eng.info.languages


def run(engines_in: list, sets: datasets.Sets, quick: bool, log: Callable[[str], None]) -> dict:
    clips = sets.align_clips(quick)
    failed = []
    engines = []
    for eng, load_s in discover.started(engines_in, failed, log):
        eng._bench_load_s = round(load_s, 3)
        engines.append(eng)
    rows = []
    for lang, cl in clips.items():
        sources = sorted({c.source.split("@")[0] if c.source.startswith("espeak") else c.source for c in cl})
        for cond in sets.align_conditions(lang, quick):
            cases = [(c, datasets.noisy(c.samples, cond, c.sample_rate, seed=200 + i)) for i, c in enumerate(cl)]
            for eng in engines:
                if supports(eng, lang):
                    rows.append(_condition(eng, lang, cond, cases, sources))
                    r = rows[-1]
                    log(f"  {r['engine']} {lang} {r['condition']}: mean {r['mean_ms']:.1f} ms, "
                        f"failures {r['failures']}/{r['clips']}, RTF {r['rtf_cpu']:.3f}")
    human = _human(engines, sets, quick, log)
    out = {"engines": [], "rows": rows, "human": human, "failed_to_load": failed}
    for eng in engines:
        mine = [r for r in rows if r["engine"] == eng.info.name]
        total = Clock()
        for r in mine:
            total.add(Clock(r["wall_s"], r["cpu_s"], r["audio_s"]))
        out["engines"].append({
            "engine": eng.info.name, "version": eng.info.version, "plugin": eng.info.plugin,
            "device": eng.info.device, "load_s": eng._bench_load_s,
            "rtf_cpu": total.rtf_cpu(), "rtf_wall": total.rtf_wall(),
            "failures_clean": sum(r["failures"] for r in mine if r["condition"] == "clean"),
            "targets": _targets(eng, mine),
        })
        eng.release()
    return out


def _condition(eng, lang: str, cond, cases, sources) -> dict:
    errors, failures, fallbacks, clock = [], [], 0, Clock()
    for c, y in cases:
        try:
            with timed() as t:
                res = eng.run(AudioData(y.copy(), c.sample_rate), c.text, lang, _noop)
            errs = boundary_errors(res.words, c.words)
        except Exception as exc:  # noqa: BLE001 - a failure is a measured outcome
            failures.append(f"{c.source} {c.text[:30]!r}: {getattr(exc, 'code', type(exc).__name__)}: {exc}")
            continue
        finally:
            t.clock.audio = c.duration
            clock.add(t.clock)
        errors += errs
        fallbacks += bool(res.notes.get("fallback"))
    s = summary(errors)
    return {
        "engine": eng.info.name, "language": lang, "condition": datasets.condition_name(cond),
        "sources": sources, "clips": len(cases), "words": s["n"], "failures": len(failures),
        "failure_details": failures, "fallbacks": fallbacks,
        "mean_ms": s["mean"] * 1000, "median_ms": s["median"] * 1000, "p90_ms": s["p90"] * 1000,
        "rtf_cpu": clock.rtf_cpu(), "rtf_wall": clock.rtf_wall(),
        "wall_s": clock.wall, "cpu_s": clock.cpu, "audio_s": clock.audio,
    }


def _targets(eng, rows: list[dict]) -> list[dict]:
    out = []
    for desc, lang, cond, limit in TARGETS:
        r = next((r for r in rows if r["language"] == lang and r["condition"] == cond), None)
        if r is None:
            out.append({"target": desc, "value": None, "pass": None})  # language not offered or not run
        else:
            ok = r["failures"] == 0 and r["mean_ms"] <= limit * 1000
            out.append({"target": desc, "value": r["mean_ms"], "failures": r["failures"], "pass": bool(ok)})
    clean = [r for r in rows if r["condition"] == "clean"]
    n = sum(r["failures"] for r in clean)
    out.append({"target": "no failures on clean speech", "value": n, "pass": bool(clean) and n == 0})
    return out


def _human(engines: list, sets: datasets.Sets, quick: bool, log) -> Optional[dict]:
    recs = sets.human(quick)
    if not recs:
        return None
    per_engine, words = [], {}
    for eng in engines:
        if not supports(eng, "en"):
            continue
        failures, clock = [], Clock()
        for rec in recs:
            try:
                with timed() as t:
                    res = eng.run(AudioData(rec.samples.copy(), rec.sample_rate), rec.text, "en", _noop)
                words[(eng.info.name, rec.source)] = [(w.start, w.end) for w in res.words]
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{rec.source}: {getattr(exc, 'code', type(exc).__name__)}: {exc}")
            finally:
                t.clock.audio = rec.duration
                clock.add(t.clock)
        per_engine.append({"engine": eng.info.name, "recordings": len(recs), "failures": len(failures),
                           "failure_details": failures, "rtf_cpu": clock.rtf_cpu(), "rtf_wall": clock.rtf_wall()})
        log(f"  {eng.info.name} human: failures {len(failures)}/{len(recs)}, RTF {clock.rtf_cpu():.3f}")
    # Agreement: mean |boundary difference| between two engines over the words both aligned.
    agreement = []
    names = [p["engine"] for p in per_engine]
    for a, b in itertools.combinations(names, 2):
        diffs = []
        for rec in recs:
            wa, wb = words.get((a, rec.source)), words.get((b, rec.source))
            if wa and wb and len(wa) == len(wb):
                diffs += [(abs(x[0] - y[0]) + abs(x[1] - y[1])) / 2 for x, y in zip(wa, wb)]
        s = summary(diffs)
        agreement.append({"a": a, "b": b, "words": s["n"], "mean_ms": s["mean"] * 1000,
                          "median_ms": s["median"] * 1000, "p90_ms": s["p90"] * 1000})
    return {"recordings": [r.source for r in recs], "audio_s": float(np.sum([r.duration for r in recs])),
            "engines": per_engine, "agreement": agreement}
