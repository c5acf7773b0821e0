"""Synthesize bench: RTF per engine and language, and how well the engine's returned word times
match an independent measurement of its own audio.

The measurement is a forced alignment of the output with the reference aligner ("auto":
pocketsphinx for English, espeak+DTW otherwise). For English this is independent of an espeak
or flite engine (pocketsphinx has its own acoustic model). For the other languages the DTW
reference is espeak's default voice, so on espeak's output the check is not independent (it
mostly shows the effect of rate/pitch changes); the figure includes the aligner's own error
(~15 ms clean English), so it is an upper bound on the engine's timing error.
"""

from __future__ import annotations

from typing import Callable, Optional

import datasets
import discover
from timing import Clock, timed
from voxgraph_eval.metrics import boundary_errors, summary
from voxgraph_worker.engines.base import AudioData

EMOTIONS = ("neutral", "happy", "sad", "angry", "calm", "excited", "whisper")
MAX_VOICES = 3  # extra voices tried per language in the full run
# Japanese: espeak reads a run of kana as one word, so no aligner here gives per-token times.
NO_TIMING_CHECK = {"ja"}


def _noop(_: float) -> None:
    pass


def call(eng, text: str, emotion: str, voice: Optional[str], language: str):
    """run(..., intensity=) per the Engine interface; engines not yet updated lack the keyword."""
    try:
        return eng.run(text, emotion, voice, language, _noop, intensity=0.5)
    except TypeError as exc:
        if "intensity" not in str(exc):
            raise
        return eng.run(text, emotion, voice, language, _noop)


def run(engines: list, aligner, sets: datasets.Sets, quick: bool, log: Callable[[str], None]) -> dict:
    out = {"timing_aligner": None, "engines": [], "rows": [], "failed_to_load": []}
    if aligner is not None:
        err = discover.start(aligner)[1]
        if err:
            out["failed_to_load"].append(err + " (timing check off)")
            aligner = None
        else:
            out["timing_aligner"] = aligner.info.name
    for eng, load_s in discover.started(engines, out["failed_to_load"], log):
        langs = eng.info.languages or ["en"]
        if quick:
            langs = [x for x in langs if x in ("en", "de", "zh")]
        total = Clock()
        for lang in langs:
            row = _language(eng, aligner, lang, sets, quick)
            out["rows"].append(row)
            total.add(Clock(row["wall_s"], row["cpu_s"], row["audio_s"]))
            log(f"  {row['engine']} {lang}: RTF {row['rtf_cpu']:.4f}, timing mean {row['timing_mean_ms']:.1f} ms")
        eng.release()
        out["engines"].append({"engine": eng.info.name, "version": eng.info.version, "plugin": eng.info.plugin,
                               "device": eng.info.device, "load_s": round(load_s, 3),
                               "rtf_cpu": total.rtf_cpu(), "rtf_wall": total.rtf_wall()})
    if aligner is not None:
        aligner.release()
    return out


def _jobs(eng, lang: str, texts: list[str], quick: bool) -> list[tuple[str, str, Optional[str]]]:
    """(text, emotion, voice): every text neutral with the default voice; in the full run also up to
    MAX_VOICES named voices and, for the first text, every emotion."""
    jobs = [(t, "neutral", None) for t in texts]
    if not quick:
        jobs += [(texts[0], "neutral", v) for v in (eng.info.voices or {}).get(lang, [])[:MAX_VOICES]]
        jobs += [(texts[0], e, None) for e in EMOTIONS if e != "neutral"]
    return jobs


def _language(eng, aligner, lang: str, sets: datasets.Sets, quick: bool) -> dict:
    texts = sets.synth_texts(lang, quick)
    row = {"engine": eng.info.name, "language": lang, "jobs": 0, "failures": 0, "failure_details": [],
           "no_word_times": 0, "timing_failures": 0, "wall_s": 0.0, "cpu_s": 0.0, "audio_s": 0.0, "jobs_detail": []}
    if not texts:
        row["note"] = "no test sentences for this language"
    clock, errors = Clock(), []
    check = aligner is not None and lang not in NO_TIMING_CHECK and (
        not aligner.info.languages or lang in aligner.info.languages)
    for text, emotion, voice in _jobs(eng, lang, texts, quick) if texts else []:
        row["jobs"] += 1
        try:
            with timed() as t:
                audio = call(eng, text, emotion, voice, lang)
        except Exception as exc:  # noqa: BLE001 - a failure is a measured outcome
            row["failures"] += 1
            row["failure_details"].append(f"{emotion}/{voice}: {getattr(exc, 'code', type(exc).__name__)}: {exc}")
            continue
        t.clock.audio = audio.duration
        clock.add(t.clock)
        row["jobs_detail"].append({"text": text[:40], "emotion": emotion, "voice": voice, "audio_s": audio.duration,
                                   "rtf_cpu": t.clock.rtf_cpu(), "rtf_wall": t.clock.rtf_wall()})
        words = getattr(audio, "words", None) or []
        if not words:
            row["no_word_times"] += 1
            continue
        if check:
            try:
                ref = aligner.run(AudioData(audio.mono().copy(), audio.sample_rate), text, lang, _noop)
                errors += boundary_errors(words, [(w.start, w.end) for w in ref.words])
            except Exception as exc:  # noqa: BLE001 - the aligner failed, or word counts differ
                row["timing_failures"] += 1
                row["failure_details"].append(f"timing check {emotion}/{voice}: {type(exc).__name__}: {exc}")
    s = summary(errors)
    row.update({"rtf_cpu": clock.rtf_cpu(), "rtf_wall": clock.rtf_wall(), "wall_s": clock.wall,
                "cpu_s": clock.cpu, "audio_s": clock.audio, "timing_checked": check,
                "timing_words": s["n"], "timing_mean_ms": s["mean"] * 1000, "timing_median_ms": s["median"] * 1000,
                "timing_p90_ms": s["p90"] * 1000})
    return row


def pick_aligner(align_engines: list, name: str = "auto"):
    return next((e for e in align_engines if e.info.name == name), align_engines[0] if align_engines else None)

