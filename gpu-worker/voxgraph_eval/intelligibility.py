"""Intelligibility of synthetic speech, measured objectively: free decoding with pocketsphinx
(en-us acoustic model + its general trigram language model, no knowledge of the text) and the
word error rate against the text that was spoken. English only. Comparative, not absolute:
pocketsphinx is a weak recogniser, so the WER of even clean human speech is well above zero.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

import numpy as np

from voxgraph_worker.engines.support.dsp import resample

MODEL_DIR = "/usr/share/pocketsphinx/model"
_decoder = None


def _get_decoder():
    global _decoder
    if _decoder is None:
        from pocketsphinx.pocketsphinx import Decoder

        c = Decoder.default_config()
        c.set_string("-hmm", f"{MODEL_DIR}/en-us/en-us")
        c.set_string("-lm", f"{MODEL_DIR}/en-us/en-us.lm.bin")
        c.set_string("-dict", f"{MODEL_DIR}/en-us/cmudict-en-us.dict")
        c.set_string("-logfn", "/dev/null")
        _decoder = Decoder(c)
    return _decoder


def transcribe(samples: np.ndarray, sample_rate: int) -> str:
    """Free decoding of mono audio; the recognised words, lower case."""
    x = resample(np.asarray(samples, np.float32), sample_rate, 16000) if sample_rate != 16000 else samples
    pcm = (np.clip(x, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    d = _get_decoder()
    d.start_utt()
    d.process_raw(pcm, False, True)
    d.end_utt()
    hyp = d.hyp()
    return hyp.hypstr.lower() if hyp is not None else ""


def words(text: str) -> list[str]:
    """Lower-case words without punctuation (numbers stay as digits: avoid them in test text)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def word_errors(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance over words (substitutions + deletions + insertions)."""
    prev = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        cur = [i] + [0] * len(hypothesis)
        for j, h in enumerate(hypothesis, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus word error rate: total errors / total reference words."""
    errors = sum(word_errors(words(r), words(h)) for r, h in zip(references, hypotheses))
    return errors / max(1, sum(len(words(r)) for r in references))
