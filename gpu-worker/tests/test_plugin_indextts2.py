"""The IndexTTS2 plug-in: everything that is ours, driven by a stand-in of the upstream package.

The real `indextts` package and its weights cannot be installed here, so the test writes a small
`indextts.infer_v2` into a temporary folder on sys.path. Its IndexTTS2 has upstream's constructor
and infer() signatures, really loads a torch module's weights from the model folder (the file
named by config.yaml's gpt_checkpoint), and makes speech of the text (espeak-ng, passed through
that module) written as a 22.05 kHz int16 wav like upstream. It records every call it gets.
The upstream model itself is not exercised by these tests.
"""

from __future__ import annotations

import importlib
import os
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # gpu-worker/ is not installed

from voxgraph_worker.engines.base import Cancelled, EngineInputError
from voxgraph_worker.engines.synth_indextts2 import (EMOTION_ORDER, IndexTts2Synthesizer, emotion_vector,
                                                     missing_files)
from voxgraph_worker.engines.support.tokens import tokenize
from voxgraph_eval.metrics import boundary_error
from voxgraph_eval.speech import espeak_clip
from engine_support import nothing
from voxgraph_eval.metrics import periodicity

STAND_IN = textwrap.dedent('''
    """Stand-in for upstream indextts.infer_v2 (tests only)."""
    import os
    import numpy as np
    import soundfile as sf
    import torch
    import yaml
    from voxgraph_worker.engines.support import espeak

    CALLS = []

    class Vocoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(1, 1, 3, padding=1, bias=False)

        def forward(self, x):
            return self.conv(x)

    class IndexTTS2:
        def __init__(self, cfg_path="checkpoints/config.yaml", model_dir="checkpoints", use_fp16=False,
                     device=None, use_cuda_kernel=None, use_deepspeed=False):
            with open(cfg_path) as f:
                self.cfg = yaml.safe_load(f)
            self.vocoder = Vocoder()
            state = torch.load(os.path.join(model_dir, self.cfg["gpt_checkpoint"]), map_location="cpu")
            self.vocoder.load_state_dict(state)
            CALLS.append(("init", dict(cfg_path=cfg_path, model_dir=model_dir, use_fp16=use_fp16, device=device,
                                       use_cuda_kernel=use_cuda_kernel, use_deepspeed=use_deepspeed)))

        def infer(self, spk_audio_prompt, text, output_path, emo_audio_prompt=None, emo_alpha=1.0,
                  emo_vector=None, use_emo_text=False, emo_text=None, use_random=False, interval_silence=200,
                  verbose=False, max_text_tokens_per_segment=120, **kw):
            assert os.path.isfile(spk_audio_prompt)
            CALLS.append(("infer", dict(prompt=os.path.basename(spk_audio_prompt), text=text,
                                        emo_vector=emo_vector, emo_alpha=emo_alpha, use_random=use_random)))
            s = espeak.synthesize(text, espeak.Voice(language="en", variant="m3", rate=150))
            x = np.interp(np.arange(0, len(s.samples), s.sample_rate / 22050), np.arange(len(s.samples)), s.samples)
            lead = np.zeros(int(0.3 * 22050))
            x = np.concatenate([lead, x, lead]).astype(np.float32)
            with torch.no_grad():
                y = self.vocoder(torch.from_numpy(x)[None, None])[0, 0].numpy()
            wav = np.clip(32767 * y, -32767, 32767).astype(np.int16)
            sf.write(output_path, wav, 22050, subtype="PCM_16")
            return output_path
''')


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """The stand-in package on sys.path; yields its module (for its call log)."""
    pkg = tmp_path / "site" / "indextts"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "infer_v2.py").write_text(STAND_IN)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in ("indextts", "indextts.infer_v2"):
        sys.modules.pop(name, None)
    module = importlib.import_module("indextts.infer_v2")
    yield module
    for name in ("indextts", "indextts.infer_v2"):
        sys.modules.pop(name, None)


def make_model_dir(root, voices=("alice", "bob"), folder="voices", gain=0.8):
    """A model folder as upstream expects it: config.yaml naming every checkpoint file, those files,
    and speaker prompts. The gpt checkpoint holds the stand-in's weights (a 3-tap filter)."""
    import torch

    d = root / "IndexTTS-2"
    (d / "qwen0.6bemo4-merge").mkdir(parents=True)
    (d / "config.yaml").write_text(textwrap.dedent("""
        dataset:
          bpe_model: bpe.model
        gpt_checkpoint: gpt.pth
        s2mel_checkpoint: s2mel.pth
        w2v_stat: wav2vec2bert_stats.pt
        emo_matrix: feat2.pt
        spk_matrix: feat1.pt
        qwen_emo_path: qwen0.6bemo4-merge
        version: "2.0"
    """))
    torch.save({"conv.weight": torch.tensor([[[0.0, gain, 0.0]]])}, d / "gpt.pth")
    for name in ("s2mel.pth", "wav2vec2bert_stats.pt", "feat1.pt", "feat2.pt", "bpe.model"):
        (d / name).write_bytes(b"\0" * 16)
    if voices:
        (d / folder).mkdir()
        for i, v in enumerate(voices):
            sf.write(d / folder / f"{v}.wav", 0.1 * np.sin(np.arange(16000) * (0.05 + 0.01 * i)), 16000)
    return str(d)


def infer_calls(upstream):
    return [c for kind, c in upstream.CALLS if kind == "infer"]


# --- the folder ------------------------------------------------------------------------------

def test_available_checks_config_and_every_checkpoint(tmp_path):
    assert not IndexTts2Synthesizer.available(str(tmp_path / "nowhere"))
    assert not IndexTts2Synthesizer.available(str(tmp_path))  # a folder without config.yaml
    d = make_model_dir(tmp_path)
    assert IndexTts2Synthesizer.available(d) and missing_files(d) == []
    os.remove(os.path.join(d, "s2mel.pth"))
    assert not IndexTts2Synthesizer.available(d)
    assert missing_files(d) == ["s2mel.pth"]
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write("{ not: yaml: at all")
    assert missing_files(d) == ["config.yaml"]


def test_load_fails_clearly_for_a_missing_folder_or_file(tmp_path, upstream):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        IndexTts2Synthesizer(str(tmp_path / "nowhere"), device="cpu").load()
    d = make_model_dir(tmp_path)
    os.remove(os.path.join(d, "feat1.pt"))
    with pytest.raises(FileNotFoundError, match="feat1.pt"):
        IndexTts2Synthesizer(d, device="cpu").load()
    assert upstream.CALLS == []  # upstream never started on an incomplete folder


def test_load_builds_upstream_and_warms_up_once(tmp_path, upstream):
    d = make_model_dir(tmp_path)
    engine = IndexTts2Synthesizer(d, device="cpu")
    assert engine.info.plugin and engine.info.name == "indextts2"
    assert upstream.CALLS == []  # constructing reads nothing
    engine.load()
    kind, init = upstream.CALLS[0]
    assert kind == "init"
    assert init == dict(cfg_path=os.path.join(d, "config.yaml"), model_dir=d, use_fp16=False, device="cpu",
                        use_cuda_kernel=False, use_deepspeed=False)
    warm = infer_calls(upstream)
    assert len(warm) == 1 and len(warm[0]["text"].split()) <= 6 and warm[0]["emo_vector"] is None
    engine.run("Good morning.", "neutral", None, "en", nothing)
    assert len(infer_calls(upstream)) == 2  # no second warm-up
    assert IndexTts2Synthesizer(d).info.device == "cuda"  # the default device


# --- voices ------------------------------------------------------------------------------------

def test_voices_are_the_speaker_prompts(tmp_path, upstream):
    engine = IndexTts2Synthesizer(make_model_dir(tmp_path, voices=("bob", "alice")), device="cpu")
    engine.load()
    assert engine.info.voices == {"zh": ["alice", "bob"], "en": ["alice", "bob"]}
    engine.run("Hello there.", "neutral", "bob", "en", nothing)
    assert infer_calls(upstream)[-1]["prompt"] == "bob.wav"
    engine.run("Hello there.", "neutral", None, "en", nothing)
    assert infer_calls(upstream)[-1]["prompt"] == "alice.wav"  # the first one by name is the default
    with pytest.raises(EngineInputError) as e:
        engine.run("Hello there.", "neutral", "carol", "en", nothing)
    assert e.value.code == "UNKNOWN_VOICE"


def test_bundled_example_prompts_are_the_fallback(tmp_path, upstream):
    engine = IndexTts2Synthesizer(make_model_dir(tmp_path, voices=("voice_01",), folder="examples"), device="cpu")
    engine.load()
    assert engine.info.voices["en"] == ["voice_01"]


def test_no_prompt_at_all_is_unknown_voice(tmp_path, upstream):
    engine = IndexTts2Synthesizer(make_model_dir(tmp_path, voices=()), device="cpu")
    engine.load()
    assert infer_calls(upstream) == []  # nothing to warm up with
    with pytest.raises(EngineInputError) as e:
        engine.run("Hello there.", "neutral", None, "en", nothing)
    assert e.value.code == "UNKNOWN_VOICE"


# --- emotion -----------------------------------------------------------------------------------

def test_emotion_vector_mapping():
    assert EMOTION_ORDER == ("happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm")

    def named(emotion, intensity):
        v = emotion_vector(emotion, intensity)
        return None if v is None else {k: round(x, 6) for k, x in zip(EMOTION_ORDER, v) if x}

    assert named("happy", 1.0) == {"happy": 0.8}
    assert named("angry", 0.5) == {"angry": 0.4}
    assert named("sad", 1.0) == {"sad": 0.6, "melancholic": 0.2}
    assert named("excited", 0.5) == {"happy": 0.225, "surprised": 0.175}
    assert named("calm", 0.25) == {"calm": 0.2}
    assert named("neutral", 1.0) is None and named("angry", 0.0) is None
    for emotion in ("happy", "sad", "angry", "calm", "excited", "whisper"):
        sums = [sum(emotion_vector(emotion, i)) for i in (0.25, 0.5, 0.75, 1.0)]
        assert sums == sorted(sums) and sums[-1] <= 0.8 + 1e-9
    for bad in (-0.1, 1.1, float("nan")):
        with pytest.raises(EngineInputError) as e:
            emotion_vector("happy", bad)
        assert e.value.code == "INVALID_INTENSITY"
    with pytest.raises(EngineInputError) as e:
        emotion_vector("bored", 0.5)
    assert e.value.code == "UNKNOWN_EMOTION"


def test_run_passes_the_vector_and_no_randomness(tmp_path, upstream):
    engine = IndexTts2Synthesizer(make_model_dir(tmp_path), device="cpu")
    engine.load()
    engine.run("I am so angry with you.", "angry", None, "en", nothing, intensity=0.75)
    call = infer_calls(upstream)[-1]
    assert call["emo_vector"] == pytest.approx([0, 0.6, 0, 0, 0, 0, 0, 0])
    assert call["emo_alpha"] == 1.0 and call["use_random"] is False
    assert call["text"] == "I am so angry with you."


# --- output ------------------------------------------------------------------------------------

def test_output_is_mono_float32_of_the_written_wav_with_aligned_words(tmp_path, upstream):
    d = make_model_dir(tmp_path, gain=0.5)
    engine = IndexTts2Synthesizer(d, device="cpu")
    engine.load()
    text = "Please call Stella and ask her to bring these things with her from the store."
    out = engine.run(text, "neutral", None, "en", nothing)
    assert out.sample_rate == 22050 and out.samples.ndim == 1 and out.samples.dtype == np.float32
    # the stand-in's speech through its loaded weights (gain 0.5), int16 -> float
    ref = espeak_clip(text, "en", "m3", 150, lead=0.3, tail=0.3)
    assert 0.4 < np.abs(out.samples).max() / np.abs(ref.samples).max() < 0.6
    assert [w.text for w in out.words] == [t.text for t in tokenize(text)]
    # word times come from our aligner: compare with espeak's exact times (0.3 s lead)
    assert boundary_error(out.words, ref.words) < 0.08
    prev = 0.0
    for w in out.words:
        assert prev <= w.start <= w.end <= out.duration + 1e-6
        prev = w.end


def test_whisper_is_calm_plus_whispered_output(tmp_path, upstream):
    engine = IndexTts2Synthesizer(make_model_dir(tmp_path), device="cpu")
    engine.load()
    plain = engine.run("Can you keep a secret?", "whisper", None, "en", nothing, intensity=0.0)
    whispered = engine.run("Can you keep a secret?", "whisper", None, "en", nothing, intensity=1.0)
    assert infer_calls(upstream)[-1]["emo_vector"] == pytest.approx([0, 0, 0, 0, 0, 0, 0, 0.8])
    # measured 0.47 -> 0.32 on the stand-in's voice (unchanged output would give the same value)
    assert periodicity(whispered.samples, 22050) < periodicity(plain.samples, 22050) - 0.1
    assert [w.text for w in whispered.words] == ["Can", "you", "keep", "a", "secret?"]


def test_cancel_before_the_upstream_call(tmp_path, upstream):
    engine = IndexTts2Synthesizer(make_model_dir(tmp_path), device="cpu")
    engine.load()
    before = len(infer_calls(upstream))

    def cancelled(_: float) -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        engine.run("Hello there.", "happy", None, "en", cancelled)
    assert len(infer_calls(upstream)) == before
    fractions = []
    engine.run("Hello there.", "happy", None, "en", fractions.append)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)


@pytest.mark.parametrize("args, code", [
    (("hello", "neutral", None, "fr"), "UNSUPPORTED_LANGUAGE"),
    (("   ", "neutral", None, "en"), "EMPTY_TEXT"),
    (("hello", "happy", None, "en", 7), "INVALID_INTENSITY"),
])
def test_rejects_bad_input(tmp_path, upstream, args, code):
    engine = IndexTts2Synthesizer(make_model_dir(tmp_path), device="cpu")
    engine.load()
    text, emotion, voice, language, *rest = args
    with pytest.raises(EngineInputError) as e:
        engine.run(text, emotion, voice, language, nothing, **({"intensity": rest[0]} if rest else {}))
    assert e.value.code == code
