"""Markdown tables of the bench's figures (stdout), from the same dicts that go to --json."""

from __future__ import annotations

import math
from collections import Counter


def _f(v, fmt: str = ".1f", signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return format(v, ("+" if signed else "") + fmt)


def _verdict(p) -> str:
    return "n/a" if p is None else ("PASS" if p else "MISS")


def table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def machine(m: dict) -> str:
    return "\n".join([
        f"- date: {m['date']}",
        f"- machine: {m['cpu']}, {m['cores']} cores; device: {m['device']}",
        f"- python {m['python']}, torch {m['torch']}, numpy {m['numpy']}; threads: {m['threads']}",
        f"- code: git {m['git']}",
        f"- mode: {m['mode']}; wall time of this run: {m.get('elapsed_s', 0):.0f} s",
        "- RTF = processing seconds / audio seconds. `RTF/core` uses the CPU time of this process and its "
        "children with numpy/torch held to one thread (robust to other load on the machine); "
        "`RTF wall` is the wall clock. On a GPU engine judge the wall clock.",
    ])


def denoise(d: dict) -> str:
    counts = Counter(d["clips"])
    clips = ", ".join(f"{c} ×{n}" if n > 1 else c for c, n in counts.items())
    out = [f"### Denoise\n\nClean clips ({len(d['clips'])}, 16 kHz): {clips}. "
           "Each mixed with white / pink / babble noise at 0 / 5 / 10 dB (seed fixed per clip). "
           "Improvement = metric(clean, output) − metric(clean, noisy input), dB, mean over clips."]
    for e in d["engines"]:
        rows = [[r["noise"], f"{r['snr_db']:g}", _f(r["si_sdr_improvement_db"], ".2f", True),
                 _f(r["seg_snr_improvement_db"], ".2f", True), f"{r['failures']}/{r['clips']}",
                 _f(r["rtf_cpu"], ".4f"), _f(r["rtf_wall"], ".4f")] for r in e["rows"]]
        rows.append(["**mean white+pink**", "", _f(e["mean_white_pink_db"], ".2f", True),
                     _f(e["mean_seg_white_pink_db"], ".2f", True), "", _f(e["rtf_cpu"], ".4f"), _f(e["rtf_wall"], ".4f")])
        rows.append(["mean all", "", _f(e["mean_all_db"], ".2f", True), "", "", "", ""])
        out.append(f"#### {e['engine']} {e['version']}{' (plug-in)' if e['plugin'] else ''} on {e['device']}, "
                   f"load+warmup {e['load_s']:.2f} s\n\n"
                   + table(["noise", "SNR dB", "SI-SDR impr. dB", "segSNR impr. dB", "failures", "RTF/core", "RTF wall"], rows))
        out.append(_targets(e["targets"], ".2f"))
        if e.get("batch"):
            b = e["batch"]
            out.append(f"run_batch, {b['max_batch']} per call over {b['items']} mixtures: RTF wall "
                       f"{_f(b['rtf_wall'], '.4f')}, RTF/core {_f(b['rtf_cpu'], '.4f')}, failures {b['failures']}.")
        if e["errors"]:
            out.append("Errors: " + "; ".join(e["errors"][:5]) + (" …" if len(e["errors"]) > 5 else ""))
    return "\n\n".join(out)


def _targets(targets: list[dict], fmt: str) -> str:
    return table(["target", "value", "verdict"],
                 [[t["target"], str(t["value"]) if isinstance(t["value"], int)
                   else _f(t["value"], ".4f" if "RTF" in t["target"] else fmt),
                   _verdict(t["pass"])] for t in targets])


def align(a: dict) -> str:
    out = ["### Align\n\nWord-boundary error = per word, mean of |start error| and |end error| against the "
           "synthesizer's exact word times; ms. English from flite (and festival) voices, the other languages "
           "from espeak variants f2@130 wpm and m3@200 wpm (the DTW reference is espeak's default voice at "
           "175 wpm). A failure is an error raised or a wrong word count; failed clips have no error figure."]
    for e in a["engines"]:
        rows = [[r["language"], r["condition"], _f(r["mean_ms"]), _f(r["median_ms"]), _f(r["p90_ms"]),
                 str(r["words"]), f"{r['failures']}/{r['clips']}", str(r["fallbacks"]), _f(r["rtf_cpu"], ".3f"),
                 _f(r["rtf_wall"], ".3f")]
                for r in a["rows"] if r["engine"] == e["engine"]]
        out.append(f"#### {e['engine']} {e['version']}{' (plug-in)' if e['plugin'] else ''} on {e['device']}, "
                   f"load+warmup {e['load_s']:.2f} s, overall RTF/core {_f(e['rtf_cpu'], '.3f')}\n\n"
                   + table(["lang", "condition", "mean ms", "median ms", "p90 ms", "words", "failures",
                            "fallbacks", "RTF/core", "RTF wall"], rows))
        out.append(_targets(e["targets"], ".1f"))
    h = a.get("human")
    if h:
        out.append(f"#### Human recordings (pocketsphinx-testdata, {len(h['recordings'])} clips, "
                   f"{h['audio_s']:.1f} s; no word truth)\n\n"
                   + table(["engine", "failures", "RTF/core", "RTF wall"],
                           [[p["engine"], f"{p['failures']}/{p['recordings']}", _f(p["rtf_cpu"], ".3f"),
                             _f(p["rtf_wall"], ".3f")] for p in h["engines"]]))
        if h["agreement"]:
            out.append("Agreement between engines (mean of |start diff| and |end diff| per word, ms):\n\n"
                       + table(["engines", "words", "mean ms", "median ms", "p90 ms"],
                               [[f"{g['a']} vs {g['b']}", str(g["words"]), _f(g["mean_ms"]), _f(g["median_ms"]),
                                 _f(g["p90_ms"])] for g in h["agreement"]]))
    fails = [f"{r['engine']} {r['language']} {r['condition']}: {d}" for r in a["rows"] for d in r["failure_details"]]
    if fails:
        out.append("Failures: " + "; ".join(fails[:8]) + (f" … ({len(fails)} in all, see --json)" if len(fails) > 8 else ""))
    return "\n\n".join(out)


def synthesize(s: dict) -> str:
    out = [f"### Synthesize\n\nRTF = synthesis seconds / seconds of audio produced. Timing error = the engine's "
           f"returned word times vs a forced alignment of its own output by `{s['timing_aligner']}` (pocketsphinx "
           "for English: independent; espeak+DTW for other languages: not independent of espeak output). "
           "It includes the aligner's own error, so it is an upper bound."]
    rows = [[r["engine"], r["language"], str(r["jobs"]), str(r["failures"]), str(r["no_word_times"]),
             _f(r["rtf_cpu"], ".4f"), _f(r["rtf_wall"], ".4f"),
             (_f(r["timing_mean_ms"]) + " / " + _f(r["timing_median_ms"]) + " / " + _f(r["timing_p90_ms"]))
             if r.get("timing_checked") else "not checked",
             str(r.get("timing_words", 0)), str(r["timing_failures"])] for r in s["rows"]]
    out.append(table(["engine", "lang", "jobs", "failures", "no word times", "RTF/core", "RTF wall",
                      "timing mean / median / p90 ms", "words", "timing fails"], rows))
    out.append(table(["engine", "load+warmup s", "RTF/core (all)", "RTF wall (all)"],
                     [[e["engine"] + (" (plug-in)" if e["plugin"] else ""), f"{e['load_s']:.2f}",
                       _f(e["rtf_cpu"], ".4f"), _f(e["rtf_wall"], ".4f")] for e in s["engines"]]))
    fails = [f"{r['engine']} {r['language']}: {d}" for r in s["rows"] for d in r["failure_details"]]
    if fails:
        out.append("Failures: " + "; ".join(fails[:8]) + (f" … ({len(fails)} in all, see --json)" if len(fails) > 8 else ""))
    return "\n\n".join(out)


def summary(results: dict) -> str:
    """Every target of every engine in one table (the lead's checklist)."""
    rows = []
    for kind in ("denoise", "align"):
        for e in (results.get(kind) or {}).get("engines", []):
            for t in e["targets"]:
                v = t["value"]
                rows.append([kind, e["engine"], t["target"], _f(v, ".4f" if "RTF" in t["target"] else ".1f")
                             if not isinstance(v, int) else str(v), _verdict(t["pass"])])
    return "### Targets\n\n" + table(["kind", "engine", "target", "value", "verdict"], rows) if rows else ""
