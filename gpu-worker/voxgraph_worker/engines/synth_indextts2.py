"""IndexTTS2 (bilibili, zero-shot emotional TTS) as a plug-in synthesize engine.

Written against the upstream `indextts` package (github.com/index-tts/index-tts,
indextts/infer_v2.py): `IndexTTS2(cfg_path, model_dir, use_fp16, device, use_cuda_kernel,
use_deepspeed)` and `infer(spk_audio_prompt, text, output_path, emo_vector=[8 floats],
emo_alpha, use_random, verbose)`, which writes a 22.05 kHz int16 wav. NOT RUN HERE: neither the
package nor its weights could be installed on the development machine; the tests drive this
module with a small stand-in `indextts.infer_v2` that reads weights from the model folder.
Upstream also fetches some parts from the Hugging Face hub at construction (w2v-bert-2.0 feature
extractor, MaskGCT semantic codec, CAMPPlus, BigVGAN): they must be in the HF cache offline.

- Voices: reference speaker prompts `{model_dir}/voices/*.wav` (name = file stem), else the
  `examples/*.wav` that the upstream repository bundles.
- Emotion: our emotion at full strength as an 8-value vector in upstream's order [happy, angry,
  sad, afraid, disgusted, melancholic, surprised, calm], multiplied by intensity; the sum is kept
  at or below 0.8 as upstream's normalize_emo_vec does (more makes the voice unstable). neutral,
  and intensity 0, pass no vector (the speaker prompt's own manner). IndexTTS2 has no whisper
  emotion: whisper is calm plus our LPC whisper of the output (synth_whisper), mixed min(1, 2i).
- Word times: upstream gives none, so the output is aligned with our own CPU aligner (align.Aligner).
- Warm-up happens in load(): the first upstream inference is much slower (~55 %), so load()
  synthesises one short sentence.
- Cancellation: progress is reported before and after the upstream call and during alignment;
  the upstream call itself cannot be interrupted.
"""

from __future__ import annotations

import glob
import os
import tempfile
from typing import Optional

import numpy as np

from .align_auto import Aligner
from .base import AudioData, Engine, EngineInfo, EngineInputError, ReportProgress
from .support.emotion import check_emotion, check_intensity
from .support.synth_audio import SynthAudio
from .support.synth_whisper import whisperize

EMOTION_ORDER = ("happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm")
# full strength (intensity 1); every row sums to 0.8, upstream's ceiling
EMOTION_VECTORS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"happy": 0.8},
    "sad": {"sad": 0.6, "melancholic": 0.2},
    "angry": {"angry": 0.8},
    "calm": {"calm": 0.8},
    "excited": {"happy": 0.45, "surprised": 0.35},
    "whisper": {"calm": 0.8},
}
MAX_EMOTION_SUM = 0.8
# config.yaml keys of the files upstream's constructor reads from model_dir, with the names the
# released IndexTTS-2 folder uses (for a config that leaves a key out)
CHECKPOINT_KEYS = {
    "gpt_checkpoint": "gpt.pth",
    "s2mel_checkpoint": "s2mel.pth",
    "w2v_stat": "wav2vec2bert_stats.pt",
    "emo_matrix": "feat2.pt",
    "spk_matrix": "feat1.pt",
    "dataset.bpe_model": "bpe.model",
    "qwen_emo_path": "qwen0.6bemo4-merge",  # a folder (the text-to-emotion model)
}
WARMUP_TEXT = "Hello, this is a warm-up."


def emotion_vector(emotion: str, intensity: float) -> Optional[list[float]]:
    """Upstream's emo_vector for our emotion at an intensity, or None for the prompt's own manner."""
    check_emotion(emotion)
    k = check_intensity(intensity)
    row = EMOTION_VECTORS[emotion]
    vec = [row.get(name, 0.0) * k for name in EMOTION_ORDER]
    total = sum(vec)
    if total <= 0.0:
        return None
    if total > MAX_EMOTION_SUM:
        vec = [v * MAX_EMOTION_SUM / total for v in vec]
    return vec


def _config(model_dir: str) -> Optional[dict]:
    try:
        import yaml

        with open(os.path.join(model_dir, "config.yaml"), encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
        return cfg if isinstance(cfg, dict) else None
    except Exception:  # noqa: BLE001 - missing, unreadable or not YAML: not usable
        return None


def missing_files(model_dir: str) -> list[str]:
    """What upstream's constructor would fail to find in model_dir (empty: it looks complete)."""
    if not os.path.isdir(model_dir):
        return [model_dir]
    cfg = _config(model_dir)
    if cfg is None:
        return ["config.yaml"]
    missing = []
    for key, default in CHECKPOINT_KEYS.items():
        node = cfg
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        name = node if isinstance(node, str) and node else default
        if not os.path.exists(os.path.join(model_dir, name)):
            missing.append(name)
    return missing


def find_voices(model_dir: str) -> dict[str, str]:
    """name -> path of each reference speaker prompt (voices/*.wav, else the bundled examples)."""
    for folder in ("voices", "examples"):
        paths = sorted(glob.glob(os.path.join(model_dir, folder, "*.wav")))
        if paths:
            return {os.path.splitext(os.path.basename(p))[0]: p for p in paths}
    return {}


class IndexTts2Synthesizer(Engine):
    info = EngineInfo(kind="synthesize", name="indextts2", version="2.0", languages=["zh", "en"], plugin=True)
    weights_setting = "INDEXTTS2_MODEL_DIR"
    requires = ("indextts",)  # from https://github.com/index-tts/index-tts

    def __init__(self, model_dir: str, device: str = "cuda") -> None:
        self.model_dir = model_dir
        self.device = device
        self.info = EngineInfo(kind="synthesize", name="indextts2", version="2.0", languages=["zh", "en"],
                               device=device, plugin=True)
        self._tts = None
        self._voices: dict[str, str] = {}
        self._aligner = Aligner()

    @staticmethod
    def available(model_dir: str) -> bool:
        """True when model_dir holds config.yaml and every checkpoint file it names."""
        return not missing_files(model_dir)

    def load(self) -> None:
        missing = missing_files(self.model_dir)
        if missing:
            raise FileNotFoundError(f"IndexTTS2 model folder {self.model_dir!r} lacks: {', '.join(missing)}")
        from indextts.infer_v2 import IndexTTS2  # the upstream package (a plug-in dependency)

        self._tts = IndexTTS2(
            cfg_path=os.path.join(self.model_dir, "config.yaml"), model_dir=self.model_dir,
            use_fp16=self.device.startswith("cuda"), device=self.device,
            use_cuda_kernel=False, use_deepspeed=False,
        )
        self._voices = find_voices(self.model_dir)
        self.info.voices = {lang: list(self._voices) for lang in self.info.languages}
        self._aligner.load()
        if self._voices:  # warm-up here: the first upstream inference is ~55 % slower
            self._infer(WARMUP_TEXT, next(iter(self._voices.values())), None)

    def release(self) -> None:
        self._tts = None
        self._aligner.release()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass

    def _infer(self, text: str, prompt: str, vector: Optional[list[float]]) -> tuple[np.ndarray, int]:
        """One upstream inference; mono float32 samples and their rate."""
        with tempfile.TemporaryDirectory(prefix="vg-indextts2-") as tmp:
            path = os.path.join(tmp, "out.wav")
            result = self._tts.infer(spk_audio_prompt=prompt, text=text, output_path=path,
                                     emo_vector=vector, emo_alpha=1.0, use_random=False, verbose=False)
            if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], np.ndarray):
                sr, data = int(result[0]), result[1]  # (rate, int16 array): what it returns without a path
            else:
                import soundfile as sf

                data, sr = sf.read(path, dtype="int16", always_2d=True)
        data = np.asarray(data)
        x = data.astype(np.float32) / 32768.0 if data.dtype == np.int16 else data.astype(np.float32)
        if x.ndim == 2:
            x = x.mean(axis=1) if x.shape[1] <= 2 else x.mean(axis=0)
        return np.clip(x, -1.0, 1.0).astype(np.float32), sr

    def run(self, text: str, emotion: str, voice: Optional[str], language: str, report: ReportProgress,
            *, intensity: float = 0.5) -> SynthAudio:
        vector = emotion_vector(emotion, intensity)
        if language not in self.info.languages:
            raise EngineInputError("UNSUPPORTED_LANGUAGE", f"IndexTTS2 speaks zh and en, not {language!r}")
        if not self._voices:
            raise EngineInputError("UNKNOWN_VOICE", "no speaker prompt in the model folder (voices/*.wav)")
        if voice is not None and voice not in self._voices:
            raise EngineInputError("UNKNOWN_VOICE", f"unknown voice {voice!r}")
        if not text.strip():
            raise EngineInputError("EMPTY_TEXT", "nothing to say")
        prompt = self._voices[voice] if voice is not None else next(iter(self._voices.values()))
        report(0.0)
        samples, sr = self._infer(text, prompt, vector)  # cannot be interrupted
        report(0.7)
        if emotion == "whisper":
            mix = min(1.0, 2.0 * float(intensity))
            if mix > 0:
                samples = np.clip((1 - mix) * samples + mix * whisperize(samples, sr), -1.0, 1.0).astype(np.float32)
        aligned = self._aligner.run(AudioData(samples, sr), text, language,
                                    lambda f: report(0.7 + 0.3 * min(1.0, max(0.0, f))))
        report(1.0)
        return SynthAudio(samples=samples, sample_rate=sr, words=aligned.words)
