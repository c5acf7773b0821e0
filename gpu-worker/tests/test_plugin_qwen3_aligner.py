"""The Qwen3-ForcedAligner plug-in (engines/align_qwen3_forced_aligner.py, engines/support/align_chunking.py).

The upstream `qwen_asr` package and the model's weights cannot be installed here, so the real
model was NOT run. What is ours is tested for real: the chunk planner on minutes of speech, the
mapping of the aligner's units onto transcript tokens, offsets, languages and loading errors.
The engine itself runs against a stand-in `qwen_asr` module that this test writes to a temporary
folder on sys.path: it has upstream's documented signatures (Qwen3ForcedAligner.from_pretrained(
path, dtype=, device_map=), .align(audio=[(ndarray, sr)], text=[...], language=[...]) -> results
of items with .text/.start_time/.end_time in seconds, units split as upstream does), reads a tiny
torch model's weights from the model folder, and takes its times from the audio's energy.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import numpy as np
import pytest
import torch

from voxgraph_eval import sentences
from voxgraph_eval.speech import espeak_clip
from voxgraph_worker.engines.align_auto import Aligner
from voxgraph_worker.engines.support.align_chunking import plan_chunks, unit_times_to_tokens
from voxgraph_worker.engines.align_qwen3_forced_aligner import LANGUAGE_NAMES, Qwen3Aligner
from voxgraph_worker.engines.base import AudioData, Cancelled, EngineInputError, Task
from voxgraph_worker.engines.support.dsp import resample
from voxgraph_worker.engines.support.tokens import tokenize

torch.set_num_threads(1)

STANDIN = textwrap.dedent('''
    """Stand-in for the qwen_asr package, written by tests/test_plugin_qwen3_aligner.py."""
    import json, os, unicodedata
    from dataclasses import dataclass
    import numpy as np
    import torch

    CALLS = []  # per align() call: the list of (seconds, language) of its items
    NAMES = {"Chinese", "Cantonese", "English", "French", "German", "Italian", "Japanese", "Korean",
             "Portuguese", "Russian", "Spanish"}

    @dataclass(frozen=True)
    class ForcedAlignItem:
        text: str
        start_time: float
        end_time: float

    class ForcedAlignResult(list):
        pass

    def _kept(c):
        return c == "'" or unicodedata.category(c)[0] in "LN"

    def _han(c):
        return 0x4E00 <= ord(c) <= 0x9FFF or 0x3400 <= ord(c) <= 0x4DBF

    def split_units(text):
        """As upstream's tokenize_space_lang: whitespace words cleaned, Han characters alone."""
        out = []
        for seg in text.split():
            buf = ""
            for c in (c for c in seg if _kept(c)):
                if _han(c):
                    if buf:
                        out.append(buf)
                        buf = ""
                    out.append(c)
                else:
                    buf += c
            if buf:
                out.append(buf)
        return out

    class Qwen3ForcedAligner:
        def __init__(self, energy, frame, threshold, merge_frames):
            self.energy, self.frame, self.threshold, self.merge = energy, frame, threshold, merge_frames

        @classmethod
        def from_pretrained(cls, path, dtype=None, device_map=None, **kwargs):
            with open(os.path.join(path, "config.json")) as f:  # OSError when missing, as Hugging Face
                cfg = json.load(f)
            weights = os.path.join(path, "energy.pt")
            if not os.path.isfile(weights):
                raise OSError(f"no file named energy.pt in {path}")
            conv = torch.nn.Conv1d(1, 1, cfg["frame"], stride=cfg["frame"], bias=False)
            conv.load_state_dict(torch.load(weights))
            return cls(conv.to(dtype or torch.float32), cfg["frame"], cfg["threshold"], cfg["merge_frames"])

        @torch.inference_mode()
        def align(self, audio, text, language):
            audio = audio if isinstance(audio, list) else [audio]
            text = text if isinstance(text, list) else [text]
            language = language if isinstance(language, list) else [language] * len(audio)
            assert len(audio) == len(text) == len(language)
            CALLS.append([(len(x) / sr, lang) for (x, sr), lang in zip(audio, language)])
            out = []
            for (x, sr), t, lang in zip(audio, text, language):
                assert sr == 16000 and lang in NAMES
                units = split_units(t)
                e = self.energy(torch.as_tensor(np.asarray(x, np.float32) ** 2)[None, None])[0, 0].numpy()
                voiced = np.flatnonzero(e > self.threshold)
                segs = []
                for f in voiced:
                    if segs and f - segs[-1][1] <= self.merge:
                        segs[-1][1] = f
                    else:
                        segs.append([f, f])
                hop = self.frame / sr
                if len(segs) > len(units) > 0:
                    # speech the text does not mention (neighbours in the chunk's margins): keep
                    # the run of segments whose lengths best match the units' lengths, as a model
                    # that reads the text would
                    n = len(units)
                    length = np.array([b - a + 1 for a, b in segs], np.float64)
                    want = np.array([len(u) for u in units], np.float64)

                    def mismatch(s0):
                        got = length[s0:s0 + n]
                        return float(np.sum((got / got.sum() - want / want.sum()) ** 2))

                    s0 = min(range(len(segs) - n + 1), key=mismatch)
                    segs = segs[s0:s0 + n]
                if len(segs) == len(units):
                    times = [(a * hop, (b + 1) * hop) for a, b in segs]
                else:  # spread the units over the voiced span by length
                    a, b = (voiced[0] * hop, (voiced[-1] + 1) * hop) if len(voiced) else (0.0, len(x) / sr)
                    n = np.cumsum([0] + [len(u) for u in units]) / max(1, sum(len(u) for u in units))
                    times = [(a + (b - a) * n[i], a + (b - a) * n[i + 1]) for i in range(len(units))]
                out.append(ForcedAlignResult(ForcedAlignItem(u, round(s, 3), round(f, 3))
                                             for u, (s, f) in zip(units, times)))
            return out
''')


@pytest.fixture
def standin(tmp_path, monkeypatch):
    """The stand-in package importable as qwen_asr, and a model folder it loads from."""
    pkg = tmp_path / "site" / "qwen_asr"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(STANDIN)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "qwen_asr", raising=False)
    model_dir = tmp_path / "Qwen3-ForcedAligner-0.6B"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps({"frame": 160, "threshold": 1e-7, "merge_frames": 6}))
    torch.save({"weight": torch.full((1, 1, 160), 1 / 160)}, model_dir / "energy.pt")
    yield importlib.import_module("qwen_asr"), model_dir
    sys.modules.pop("qwen_asr", None)


def spaced_words(text: str, language: str, gap: float = 0.3):
    """Each token said alone by espeak, separated by silence; truth from espeak's word events."""
    parts, truth, t = [], [], 0.2
    sr = 22050
    parts.append(np.zeros(int(0.2 * sr), np.float32))
    for tok in tokenize(text):
        c = espeak_clip(tok.text, language, lead=0.0, tail=0.0)
        assert c.sample_rate == sr
        (a, b), = c.words
        parts += [c.samples[:int(round(b * sr))], np.zeros(int(gap * sr), np.float32)]
        truth.append((t + a, t + b))
        t += int(round(b * sr)) / sr + int(gap * sr) / sr
    return AudioData(np.concatenate(parts), sr), truth


def load(model_dir, **kw) -> Qwen3Aligner:
    e = Qwen3Aligner(str(model_dir), device="cpu", **kw)
    e.load()
    e.warmup()
    return e


# ---- the engine through the stand-in --------------------------------------------------------------

def test_engine_identity_and_languages():
    info = Qwen3Aligner.info
    assert info.name == "qwen3-forced-aligner" and info.kind == "align" and info.plugin is True
    assert sorted(info.languages) == sorted(["zh", "yue", "en", "fr", "de", "it", "ja", "ko", "pt", "ru", "es"])
    assert LANGUAGE_NAMES["yue"] == "Cantonese" and LANGUAGE_NAMES["zh"] == "Chinese"
    assert LANGUAGE_NAMES["en"] == "English" and LANGUAGE_NAMES["pt"] == "Portuguese"


def test_long_audio_is_cut_into_chunks_aligned_in_one_batch(standin):
    qwen, model_dir = standin
    text = ("Please call Stella, and ask her to bring these things with her from the store: "
            "six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack "
            "for her brother Bob. We also need a small plastic snake and a big toy frog for the kids.")
    audio, truth = spaced_words(text, "en")
    assert audio.duration > 30
    engine = load(model_dir, max_chunk_s=8.0)
    qwen.CALLS.clear()
    seen = []
    out = engine.run(audio, text, "en", seen.append)

    assert [w.text for w in out.words] == [t.text for t in tokenize(text)]
    errors = [max(abs(w.start - a), abs(w.end - b)) for w, (a, b) in zip(out.words, truth)]
    assert max(errors) < 0.04, errors
    assert out.notes["chunks"] >= 4
    assert len(qwen.CALLS) == 1  # every chunk in one align() call
    assert all(secs <= 8.0 + 1e-9 for secs, _ in qwen.CALLS[0]) and {lang for _, lang in qwen.CALLS[0]} == {"English"}
    assert seen and seen == sorted(seen) and seen[-1] <= 1.0


def test_chinese_characters_and_punctuation_map_to_transcript_tokens(standin):
    _, model_dir = standin
    text = "今天天气很好，我们去公园。"
    audio, truth = spaced_words(text, "zh")
    out = load(model_dir).run(audio, text, "zh", lambda _: None)
    assert [w.text for w in out.words] == ["今", "天", "天", "气", "很", "好，", "我", "们", "去", "公", "园。"]
    errors = [max(abs(w.start - a), abs(w.end - b)) for w, (a, b) in zip(out.words, truth)]
    # espeak's Chinese word events and the stand-in's energy onsets differ by up to ~55 ms; a
    # wrong offset or mapping would be off by a whole character (>= 0.5 s).
    assert max(errors) < 0.08, errors
    assert out.notes["chunks"] == 1


def test_batch_of_jobs_equals_one_by_one(standin):
    qwen, model_dir = standin
    engine = load(model_dir, max_chunk_s=6.0)
    jobs = [("The quick brown fox jumps over the lazy dog near the river bank.", "en"),
            ("请你把窗户关上", "zh"),
            ("Guten Morgen, wie geht es Ihnen heute?", "de")]
    audios = [spaced_words(t, lang)[0] for t, lang in jobs]
    single = [engine.run(a, t, lang, lambda _: None) for a, (t, lang) in zip(audios, jobs)]
    qwen.CALLS.clear()
    batch = engine.run_batch([Task(kind="align", report=lambda _: None, audio=a, transcript=t, language=lang)
                              for a, (t, lang) in zip(audios, jobs)])
    assert len(qwen.CALLS) == 1 and {lang for _, lang in qwen.CALLS[0]} == {"English", "Chinese", "German"}
    for s, b in zip(single, batch):
        assert [(w.text, w.start, w.end) for w in s.words] == [(w.text, w.start, w.end) for w in b.words]


def test_bad_jobs_fail_alone(standin):
    _, model_dir = standin
    engine = load(model_dir)
    audio, _ = spaced_words("Hello there", "en")

    def cancelled(_):
        raise Cancelled("gone")

    out = engine.run_batch([Task(kind="align", report=lambda _: None, audio=audio, transcript="Hello there", language="nl"),
                            Task(kind="align", report=lambda _: None, audio=audio, transcript=" ... ", language="en"),
                            Task(kind="align", report=cancelled, audio=audio, transcript="Hello there", language="en"),
                            Task(kind="align", report=lambda _: None, audio=audio, transcript="Hello there", language="en")])
    assert isinstance(out[0], EngineInputError) and out[0].code == "UNSUPPORTED_LANGUAGE"
    assert isinstance(out[1], EngineInputError) and out[1].code == "EMPTY_TRANSCRIPT"
    assert isinstance(out[2], Cancelled)
    assert [w.text for w in out[3].words] == ["Hello", "there"]


def test_loading_errors_are_clear(standin, tmp_path, monkeypatch):
    _, model_dir = standin
    assert Qwen3Aligner.available(str(model_dir)) and not Qwen3Aligner.available(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="does not exist"):
        Qwen3Aligner(str(tmp_path / "nowhere"), device="cpu").load()
    (model_dir / "energy.pt").unlink()
    with pytest.raises(ValueError, match="could not be loaded"):
        Qwen3Aligner(str(model_dir), device="cpu").load()
    monkeypatch.setitem(sys.modules, "qwen_asr", None)  # as if not installed
    with pytest.raises(RuntimeError, match="qwen_asr package is not installed"):
        Qwen3Aligner(str(model_dir), device="cpu").load()
    with pytest.raises(ValueError):
        Qwen3Aligner(str(model_dir), max_chunk_s=301)


# ---- the chunk planner on minutes of real speech -------------------------------------------------

def test_planner_cuts_minutes_of_speech_in_pauses():
    """~2.5 minutes of espeak sentences, rough times from our CPU aligner, a 60 s limit."""
    text = " ".join(sentences.EN * 6)
    clip = espeak_clip(text, "en", rate=160)
    assert clip.duration > 150
    x = resample(clip.samples, clip.sample_rate, 16000)
    rough = Aligner()
    rough.load()
    words = rough.run(AudioData(x, 16000), text, "en", lambda _: None).words
    chunks = plan_chunks([(w.start, w.end) for w in words], clip.duration, 60.0)

    assert len(chunks) >= 3
    assert chunks[0].start == 0 and chunks[-1].end == clip.duration
    assert all(c.end - c.start <= 60.0 for c in chunks)
    assert all(a.end == b.start and a.last == b.first for a, b in zip(chunks, chunks[1:]))
    assigned = [i for c in chunks for i in range(c.first, c.last)]
    assert assigned == list(range(len(clip.words)))  # every word once, in order
    for c in chunks[:-1]:  # each cut in a pause of the true timing, between its two words
        before, after = clip.words[c.last - 1], clip.words[c.last]
        assert before[1] <= c.end <= after[0], (c, before, after)


def test_planner_edge_cases():
    # short audio: one chunk
    assert [(c.first, c.last) for c in plan_chunks([(0.5, 1.0)], 2.0, 10.0)] == [(0, 1)]
    # no pause before the limit: cut at the limit, the straddling word goes where its middle is
    words = [(0.0, 4.0), (4.0, 8.0), (8.0, 12.0)]
    cs = plan_chunks(words, 12.0, 5.0)
    assert all(c.end - c.start <= 5.0 for c in cs)
    assert [i for c in cs for i in range(c.first, c.last)] == [0, 1, 2]
    # a long silence holds no words
    cs = plan_chunks([(0.1, 0.5), (20.0, 20.5)], 21.0, 8.0)
    assert all(c.end - c.start <= 8.0 for c in cs) and [i for c in cs for i in range(c.first, c.last)] == [0, 1]
    # the widest late gap wins over an earlier narrow one
    cs = plan_chunks([(0, 1), (1.1, 4), (4.05, 6), (7, 9.5)], 9.5, 8.0)
    assert cs[0].end == pytest.approx(6.5) and (cs[0].first, cs[0].last) == (0, 3)


# ---- mapping units onto transcript tokens ---------------------------------------------------------

def test_units_map_onto_tokens_with_punctuation_numbers_and_apostrophes():
    text = "“Well — it's 3.5 km, isn't it?”"
    toks = tokenize(text)
    assert [t.text for t in toks] == ["“Well —", "it's", "3.5", "km,", "isn't", "it?”"]
    units = [("Well", 0.0, 0.4), ("it's", 0.5, 0.7), ("35", 0.8, 1.4), ("km", 1.5, 1.9), ("isn't", 2.0, 2.3),
             ("it", 2.3, 2.5)]
    assert unit_times_to_tokens(toks, units) == [(0.0, 0.4), (0.5, 0.7), (0.8, 1.4), (1.5, 1.9), (2.0, 2.3),
                                                 (2.3, 2.5)]


def test_units_split_differently_from_tokens():
    # Japanese: upstream segments words (nagisa), our tokens are characters -> shared in proportion
    toks = tokenize("今日は晴れ")
    assert [t.text for t in toks] == ["今", "日", "は", "晴", "れ"]
    times = unit_times_to_tokens(toks, [("今日は", 0.0, 0.6), ("晴れ", 0.7, 1.1)])
    assert np.allclose(times, [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.7, 0.9), (0.9, 1.1)])
    # a hyphenated token is one unit upstream ("allezvous"); case and width differences are matched
    toks = tokenize("Comment allez-vous ? ＡＢＣ")
    times = unit_times_to_tokens(toks, [("comment", 0.0, 0.3), ("allezvous", 0.4, 0.9), ("abc", 1.0, 1.2)])
    assert np.allclose(times, [(0.0, 0.3), (0.4, 0.9), (1.0, 1.2)])


def test_a_token_the_aligner_dropped_gets_an_empty_span_in_order():
    toks = tokenize("one two three")
    times = unit_times_to_tokens(toks, [("one", 0.0, 0.3), ("three", 0.8, 1.2)])
    assert times == [(0.0, 0.3), (0.3, 0.3), (0.8, 1.2)]
