"""English forced alignment with pocketsphinx: a linear JSGF grammar of the transcript.

The Debian bindings have no align API, so the transcript becomes a one-path grammar and
decoder.seg() gives word times at 10 ms. Long audio is cut at pauses found by a first DTW
pass (a forced grammar with open beams is too slow over minutes); any piece pocketsphinx
finds no path for keeps its DTW times.
"""

from __future__ import annotations

import re
import threading
from typing import Optional

import numpy as np

from .support import confidence, espeak
from .support.align_denoise import Denoiser, prepare
from .align_espeak_dtw import align_tokens
from .base import AlignedWord, AlignOutput, AudioData, Engine, EngineInfo, EngineInputError, ReportProgress
from .support.tokens import Token, normalize, tokenize

MODEL_DIR = "/usr/share/pocketsphinx/model/en-us"
_SR = 16000
_FRAME_S = 0.01
_SINGLE_PASS_S = 40.0  # longer audio is split at pauses
_PIECE_MIN_S, _PIECE_MAX_S = 20.0, 30.0

# espeak (en) phoneme mnemonics -> CMU phones, for words missing from the dictionary
_ESPEAK_TO_CMU = {
    "@": "AH", "@2": "AH", "@5": "AH", "@L": "AH L", "3": "ER", "3:": "ER", "a": "AE", "a#": "AH", "aa": "AA",
    "A:": "AA", "A@": "AA R", "aI": "AY", "aI@": "AY ER", "aI3": "AY ER", "aU": "AW", "aU@": "AW ER",
    "E": "EH", "e@": "EH R", "eI": "EY", "I": "IH", "I2": "IH", "I#": "IH", "i": "IY", "i:": "IY",
    "i@": "IY ER", "i@3": "IY ER", "O": "AO", "O:": "AO", "O@": "AO R", "o@": "AO R", "OI": "OY", "oU": "OW",
    "0": "AA", "U": "UH", "U@": "UH R", "u:": "UW", "V": "AH", "IR": "IH R", "VR": "ER",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "f": "F", "v": "V", "T": "TH", "D": "DH",
    "s": "S", "z": "Z", "S": "SH", "Z": "ZH", "h": "HH", "m": "M", "n": "N", "N": "NG", "l": "L", "r": "R",
    "j": "Y", "w": "W", "tS": "CH", "dZ": "JH", "x": "K", "*": "T", "t#": "T", "d#": "D", "n-": "N",
    "m-": "M", "l-": "L", "r-": "R", "w#": "W", "?": "",
}
_ALT = re.compile(r"\(\d+\)$")


def cmu_phones(espeak_phonemes: list[str]) -> str:
    out = []
    for p in espeak_phonemes:
        cmu = _ESPEAK_TO_CMU.get(p)
        if cmu is None:
            cmu = _ESPEAK_TO_CMU.get(p.rstrip("#-;25:"), "")
        if cmu:
            out.append(cmu)
    return " ".join(out)


class PocketsphinxAligner(Engine):
    info = EngineInfo(kind="align", name="pocketsphinx", version="5prealpha-2", languages=["en"],
                      input_sample_rate=16000, input_mono=True)

    def __init__(self, device: str = "cpu", denoise: bool = True) -> None:
        self._decoder = None
        self._lock = threading.Lock()  # one decoder; decoding is not thread-safe
        self._denoiser = Denoiser(device) if denoise else None

    def load(self) -> None:
        from pocketsphinx.pocketsphinx import Decoder

        c = Decoder.default_config()
        c.set_string("-hmm", f"{MODEL_DIR}/en-us")
        c.set_string("-dict", f"{MODEL_DIR}/cmudict-en-us.dict")
        c.set_string("-logfn", "/dev/null")
        c.set_boolean("-remove_silence", False)  # it shifts every timestamp; must be a real bool (string segfaults)
        # Its spectral subtraction carries a noise estimate from one utterance to the next, which
        # made results depend on earlier jobs (same clip: 117 or 279 ms); we denoise before instead.
        c.set_boolean("-remove_noise", False)
        for beam in ("-beam", "-wbeam", "-pbeam", "-lpbeam", "-lponlybeam", "-fwdflatbeam", "-fwdflatwbeam"):
            if c.exists(beam):
                c.set_float(beam, 1e-300)  # default beams often lose the only path of a forced grammar
        c.set_int("-maxhmmpf", -1)
        self._decoder = Decoder(c)
        espeak.sample_rate()  # the DTW fallback's reference voice

    def release(self) -> None:
        self._decoder = None

    def warmup(self) -> None:
        self.run(AudioData(np.zeros(_SR, np.float32), _SR), "hello", "en", lambda _: None)

    def run(self, audio: AudioData, transcript: str, language: str, report: ReportProgress) -> AlignOutput:
        if language != "en":
            raise EngineInputError("UNSUPPORTED_LANGUAGE", "pocketsphinx aligns English only")
        tokens = tokenize(transcript)
        if not tokens:
            raise EngineInputError("EMPTY_TRANSCRIPT", "the transcript has no words")
        # Denoise stationary noise only: it made pocketsphinx worse on babble.
        p = prepare(audio, self._denoiser, True, lambda f: report(0.2 * f))
        start = 0.2 if p.denoised else 0.0
        words, notes = self.align_prepared(p.x16, transcript, tokens, lambda f: report(start + (1 - start) * f))
        return AlignOutput(words=words, language=language, notes={"engine": self.info.name, **p.notes(), **notes})

    def align_prepared(self, x16: np.ndarray, transcript: str, tokens: list[Token],
                       report: ReportProgress) -> tuple[list[AlignedWord], dict]:
        """Word times in 16 kHz mono `x16`; falls back to espeak+DTW where pocketsphinx finds no path."""
        words = [normalize(t.text) for t in tokens]
        with self._lock:
            if not all(words) or not all(self._ensure_word(w) for w in words):
                return align_tokens(x16, transcript, tokens, "en", report), {"fallback": "espeak-dtw"}
            duration = len(x16) / _SR
            if duration <= _SINGLE_PASS_S:
                pieces = [(0, len(tokens), 0.0, duration)]
                rough: Optional[list[AlignedWord]] = None
            else:
                rough = align_tokens(x16, transcript, tokens, "en", lambda f: report(0.3 * f))
                pieces = _pieces(rough, duration)
            result: list[AlignedWord] = []
            failed = 0
            base, span = (0.0, 1.0) if rough is None else (0.3, 0.7)
            for a, b, t0, t1 in pieces:
                def piece_report(f: float, a=a, b=b) -> None:
                    report(base + span * (a + f * (b - a)) / len(tokens))

                seg = x16[int(t0 * _SR):int(t1 * _SR)]
                times = self._decode(seg, words[a:b], piece_report)
                if times is None:
                    if rough is None:  # no path at all: DTW does the whole job
                        return align_tokens(x16, transcript, tokens, "en", report), {"fallback": "espeak-dtw"}
                    failed += 1
                    result.extend(rough[a:b])
                    continue
                result.extend(AlignedWord(tokens[i].text, t0 + s, t0 + e, confidence.pocketsphinx(score))
                              for i, (s, e, score) in zip(range(a, b), times))
        report(1.0)
        notes = {"pieces": len(pieces), "piecesFallback": failed} if rough is not None else {}
        return result, notes

    def _ensure_word(self, word: str) -> bool:
        """True when the dictionary knows `word`, adding an espeak-derived pronunciation if needed."""
        if self._decoder.lookup_word(word) is not None:
            return True
        phones = cmu_phones(espeak.phonemes(word, "en"))
        if not phones:
            return False
        self._decoder.add_word(word, phones, True)
        return True

    def _decode(self, x16: np.ndarray, words: list[str], report: ReportProgress):
        """Word (start, end, acoustic score per frame) within x16 (seconds), or None when the grammar has no path."""
        d = self._decoder
        body = " ".join(words)  # normalised words are plain tokens (quoting them breaks the parser)
        d.set_jsgf_string("align", f"#JSGF V1.0;\ngrammar align;\npublic <s> = {body};\n")
        d.set_search("align")
        pcm = (np.clip(x16, -1.0, 1.0) * 32767).astype(np.int16)
        report(0.0)
        # One full-utterance call: the model's batch CMN needs the whole piece, and chunked
        # calls made results depend on the previous utterance.
        d.start_utt()
        try:
            d.process_raw(pcm.tobytes(), False, True)
        finally:
            d.end_utt()
        report(1.0)
        if d.hyp() is None:
            return None
        all_segs = list(d.seg())
        if not all_segs:
            return None
        origin = all_segs[0].start_frame  # frame numbers may not restart at 0 per utterance
        wanted = set(words)
        segs = [(_ALT.sub("", s.word), s.start_frame - origin, s.end_frame - origin, s.ascore) for s in all_segs]
        ascores = [a for w, _, _, a in segs if w in wanted]
        segs = [(w, s, e) for w, s, e, _ in segs if w in wanted]
        if [w for w, _, _ in segs] != words:
            return None
        limit = len(x16) / _SR
        # ascore is relative to each frame's best senone: per frame, a goodness of pronunciation
        return [(s * _FRAME_S, min(limit, (e + 1) * _FRAME_S), a / (e - s + 1)) for a, (_, s, e) in zip(ascores, segs)]


def _pieces(rough: list[AlignedWord], duration: float) -> list[tuple[int, int, float, float]]:
    """Split into (first word, end word, t0, t1) pieces of 20-30 s, cut mid-way in the widest pause."""
    pieces = []
    a, t0 = 0, 0.0
    n = len(rough)
    while a < n:
        if duration - t0 <= _PIECE_MAX_S:
            pieces.append((a, n, t0, duration))
            break
        best, best_gap = None, -1.0
        for k in range(a, n - 1):  # cut between k and k+1
            if rough[k].end - t0 < _PIECE_MIN_S:
                continue
            if rough[k].end - t0 > _PIECE_MAX_S and best is not None:
                break
            gap = rough[k + 1].start - rough[k].end
            if gap > best_gap:
                best, best_gap = k, gap
        if best is None:
            pieces.append((a, n, t0, duration))
            break
        cut = (rough[best].end + rough[best + 1].start) / 2
        pieces.append((a, best + 1, t0, cut))
        a, t0 = best + 1, cut
    return pieces
