"""Word-boundary error of the align engines per condition: the table in the align engines' report.

    cd gpu-worker && /usr/bin/python3 -m voxgraph_eval.align_table [--engines auto,pocketsphinx,espeak-dtw]
        [--conditions clean-en,white10-en,...] [--quick]

Clips: English from flite slt/awb/rms (not espeak, the DTW reference) and espeak variants at rates
other than the reference's 175 wpm; German and Mandarin from espeak variants other than the
default voice, at 130 and 200 wpm. Noise from voxgraph_eval.noise at a seed per clip.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from voxgraph_eval import noise, sentences
from voxgraph_eval.metrics import boundary_errors, summary
from voxgraph_eval.speech import Clip, espeak_clip, flite_clip

CONDITIONS = ["clean-en", "white10-en", "white0-en", "babble10-en", "babble0-en", "clean-de", "clean-zh"]
_NOISE = {"white10": ("white", 10.0), "white0": ("white", 0.0), "babble10": ("babble", 10.0), "babble0": ("babble", 0.0)}
# English clips for the noisy conditions: other synthesizer only (the harder case).
_FLITE = ("slt", "awb", "rms")
_ESPEAK_EN = (("m1", 130), ("f4", 220))
_ESPEAK_OTHER = (("f2", 130), ("m3", 200))


@dataclass
class Row:
    engine: str
    condition: str
    errors: list[float]  # per word, seconds
    failures: int
    clips: int
    audio_s: float
    run_s: float
    denoised: int = 0


def english_clips(quick: bool = False, with_espeak: bool = True) -> list[Clip]:
    texts = sentences.EN[:3] if quick else sentences.EN
    out = [c for v in _FLITE for t in texts if (c := flite_clip(t, v)) is not None]
    if with_espeak:
        out += [espeak_clip(t, "en", v, r) for v, r in _ESPEAK_EN for t in texts]
    return out


def other_clips(language: str, quick: bool = False) -> list[Clip]:
    texts = sentences.BY_LANGUAGE[language][: 2 if quick else None]
    return [espeak_clip(t, language, v, r) for v, r in _ESPEAK_OTHER for t in texts]


def condition_clips(condition: str, quick: bool = False) -> list[Clip]:
    name, lang = condition.split("-")
    if lang != "en":
        return other_clips(lang, quick)
    if name == "clean":
        return english_clips(quick)
    kind, snr = _NOISE[name]
    clips = english_clips(quick, with_espeak=False)
    return [Clip(noise.add(c.samples, kind, snr, c.sample_rate, seed=i), c.sample_rate, c.text, c.language,
                 c.words, f"{c.source}+{name}") for i, c in enumerate(clips)]


def make_engine(name: str):
    from voxgraph_worker.engines.align_auto import Aligner
    from voxgraph_worker.engines.align_espeak_dtw import DtwAligner
    from voxgraph_worker.engines.align_pocketsphinx import PocketsphinxAligner

    e = {"auto": Aligner, "pocketsphinx": PocketsphinxAligner, "espeak-dtw": DtwAligner}[name]()
    e.load()
    e.warmup()
    return e


def evaluate(engine, engine_name: str, condition: str, clips: list[Clip]) -> Row:
    from voxgraph_worker.engines.base import AudioData

    row = Row(engine_name, condition, [], 0, len(clips), 0.0, 0.0)
    lang = condition.split("-")[1]
    for c in clips:
        t0 = time.perf_counter()
        try:
            out = engine.run(AudioData(c.samples, c.sample_rate), c.text, lang, lambda _: None)
            row.errors += boundary_errors(out.words, c.words)
            row.denoised += bool(out.notes.get("denoised"))
        except Exception as exc:  # noqa: BLE001 - a failure is a measured outcome here
            row.failures += 1
            print(f"  failure {engine_name} {c.source}: {type(exc).__name__}: {exc}")
        row.run_s += time.perf_counter() - t0
        row.audio_s += c.duration
    return row


def format_rows(rows: list[Row]) -> str:
    lines = ["| engine | condition | mean ms | median ms | p90 ms | words | failures/clips | denoised | RTF |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        s = summary(r.errors)
        lines.append(f"| {r.engine} | {r.condition} | {s['mean'] * 1000:.1f} | {s['median'] * 1000:.1f} | "
                     f"{s['p90'] * 1000:.1f} | {s['n']} | {r.failures}/{r.clips} | {r.denoised} | "
                     f"{r.run_s / max(r.audio_s, 1e-9):.3f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default="auto,pocketsphinx,espeak-dtw")
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--quick", action="store_true", help="fewer sentences")
    args = ap.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    engines = {n: make_engine(n) for n in args.engines.split(",")}
    rows = []
    for cond in args.conditions.split(","):
        clips = condition_clips(cond, args.quick)
        for name, e in engines.items():
            if cond.split("-")[1] != "en" and name == "pocketsphinx":
                continue
            rows.append(evaluate(e, name, cond, clips))
            print(format_rows(rows[-1:]).splitlines()[-1], flush=True)
    print(format_rows(rows))


if __name__ == "__main__":
    main()
