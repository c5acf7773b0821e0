"""The bench's test sets, made offline and deterministically (fixed texts, voices, seeds).

- denoise: clean speech (espeak, flite, festival, human LibriVox) at 16 kHz, mixed with white /
  pink / babble noise at 0 / 5 / 10 dB, noise seed fixed per clip.
- align: speech with exact word times from voices other than the espeak aligner's reference
  (default variant at 175 wpm): English from flite and festival, the other languages from espeak
  variants f2 at 130 wpm and m3 at 200 wpm; clean and white/babble at 10 and 0 dB.
- human: pocketsphinx-testdata recordings (transcripts, no word times).
- synthesize: sentences per language.
A source whose package is missing is left out and named in `skipped`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from voxgraph_eval import festival, noise, recordings
from voxgraph_eval.sentences_more import ALL as SENTENCES
from voxgraph_eval.speech import Clip, espeak_clip, flite_clip
from voxgraph_worker.engines.support.dsp import resample

SR = 16000
DENOISE_NOISES = ("white", "pink", "babble")
DENOISE_SNRS = (0.0, 5.0, 10.0)
ALIGN_CONDITIONS = [None, ("white", 10.0), ("white", 0.0), ("babble", 10.0), ("babble", 0.0)]
ESPEAK_OTHER = (("f2", 130), ("m3", 200))  # not the DTW aligner's reference voice (default, 175 wpm)
# Japanese is left out of alignment: espeak voices a run of kana as one word, so it gives no
# per-token truth (token_times would only split that word by length).
ALIGN_LANGUAGES = [lang for lang in SENTENCES if lang != "ja"]


def condition_name(cond: Optional[tuple[str, float]]) -> str:
    return "clean" if cond is None else f"{cond[0]} {cond[1]:g} dB"


@dataclass
class Sets:
    skipped: list[str] = field(default_factory=list)
    _festival: Optional[str] = "unchecked"

    def festival_missing(self) -> Optional[str]:
        if self._festival == "unchecked":
            self._festival = festival.available()
            if self._festival:
                self.skipped.append(f"festival speech: {self._festival}")
        return self._festival

    def human_missing(self) -> Optional[str]:
        why = recordings.available()
        if why and not any(why in s for s in self.skipped):
            self.skipped.append(f"human recordings: {why} (Debian: {recordings.PACKAGE})")
        return why

    # --- English speech from synthesizers other than espeak -------------------------------------
    def english(self, flite_voices: tuple[str, ...], n_sentences: int, with_festival: bool) -> list[Clip]:
        texts = SENTENCES["en"][:n_sentences]
        out = []
        if shutil.which("flite") is None:
            if not any(x.startswith("flite speech") for x in self.skipped):
                self.skipped.append("flite speech: flite not installed (Debian: flite)")
            flite_voices = ()
        for v in flite_voices:
            for t in texts:
                c = flite_clip(t, v)
                if c is None:  # flite's post-lexical rules changed the phone count: no exact truth
                    self.skipped.append(f"flite:{v} {t[:30]!r}: no exact word times")
                else:
                    out.append(c)
        if with_festival and not self.festival_missing():
            for t in texts:
                c = festival.festival_clip(t)
                if c is None:
                    self.skipped.append(f"festival {t[:30]!r}: tokens did not match")
                else:
                    out.append(c)
        return out

    def espeak_other(self, language: str, n_sentences: int, voices=ESPEAK_OTHER) -> list[Clip]:
        return [espeak_clip(t, language, v, r) for t in SENTENCES[language][:n_sentences] for v, r in voices]

    # --- denoise ----------------------------------------------------------------------------------
    def denoise_clean(self, quick: bool) -> list[tuple[str, np.ndarray]]:
        """(source, clean 16 kHz speech)."""
        clips = [espeak_clip(SENTENCES["en"][0], "en", "f3", 140)]
        clips += self.english(("slt",) if quick else ("slt", "awb", "rms"), 1 if quick else 2, with_festival=True)
        if not quick:
            clips += [espeak_clip(SENTENCES["de"][0], "de", "m3", 160), espeak_clip(SENTENCES["zh"][0], "zh", "f2", 150)]
        out = [(c.source, resample(c.samples, c.sample_rate, SR).astype(np.float32)) for c in clips]
        if not self.human_missing():
            for r in recordings.recordings()[: 1 if quick else 3]:
                out.append((f"human:{r.source}", resample(r.samples, r.sample_rate, SR).astype(np.float32)))
        return out

    # --- align ------------------------------------------------------------------------------------
    def align_clips(self, quick: bool) -> dict[str, list[Clip]]:
        """language -> clean clips with truth."""
        out = {"en": self.english(("slt", "awb") if quick else ("slt", "awb", "rms"), 2 if quick else 8,
                                  with_festival=True)}
        for lang in (["de", "zh"] if quick else [x for x in ALIGN_LANGUAGES if x != "en"]):
            out[lang] = self.espeak_other(lang, 1 if quick else 5, ESPEAK_OTHER)
        return out

    @staticmethod
    def align_conditions(language: str, quick: bool) -> list[Optional[tuple[str, float]]]:
        if quick:  # the conditions that have targets
            return [None, ("white", 0.0), ("babble", 10.0)] if language == "en" else [None]
        return ALIGN_CONDITIONS

    def human(self, quick: bool) -> list[recordings.Recording]:
        if self.human_missing():
            return []
        recs = recordings.recordings()
        return [recs[0], recs[5], recs[-1]] if quick and len(recs) > 5 else recs

    # --- synthesize -------------------------------------------------------------------------------
    @staticmethod
    def synth_texts(language: str, quick: bool) -> list[str]:
        return SENTENCES.get(language, [])[: 1 if quick else 2]


def noisy(clean: np.ndarray, cond: Optional[tuple[str, float]], sr: int, seed: int) -> np.ndarray:
    """The clip in a condition; the noise depends only on (kind, length, sr, seed)."""
    return clean if cond is None else noise.add(clean, cond[0], cond[1], sr, seed=seed)
