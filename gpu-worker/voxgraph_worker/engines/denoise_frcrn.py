"""FRCRN denoiser plug-in: ModelScope's damo/speech_frcrn_ans_cirm_16k loaded from a weights folder.

The folder is ModelScope's layout: `configuration.json` (sizes in its "model" section) and
`pytorch_model.bin` (a state dict of the FRCRN module). The network is our own module
(models/frcrn.py), so neither modelscope nor its dependencies are needed.

Processing, per job: each channel is one row at 16 kHz (other rates are resampled and back),
brought to upstream's input level (its `audio_norm`, -25 dB) and back afterwards, and cut into
windows of at most `window_s` that overlap by `overlap_s` and are cross-faded, so memory does not
grow with the length of the audio. Windows of the same padded length from every job of a batch go
through the network together. Each window's length is rounded up to `_BUCKET` whatever else is in
the batch: the network's squeeze-excitation averages over the whole window, so a window must see
the same padding alone and in a batch for both to give the same result.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .base import AudioData, Cancelled, Engine, EngineInfo, ReportProgress, Task, is_out_of_memory, report_all
from .support.dsp import resample

_SR = 16000
_BUCKET = 8000  # 0.5 s: a multiple of the 320-sample hop
_LEVEL = 10 ** (-25 / 20)  # upstream's audio_norm target
CONFIG_FILE = "configuration.json"
WEIGHTS_FILE = "pytorch_model.bin"


def plan_windows(n: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) windows covering n samples; all have length `window` when n > window (the
    last one is moved back to end at n, overlapping its neighbour by more)."""
    if n <= window:
        return [(0, n)]
    starts = list(range(0, n - window, window - overlap)) + [n - window]
    return [(s, s + window) for s in starts]


def crossfade_weights(windows: list[tuple[int, int]]) -> list[np.ndarray]:
    """Linear ramps over each overlap; the weights of overlapping windows sum to one."""
    out = []
    for k, (a, b) in enumerate(windows):
        w = np.ones(b - a, np.float64)
        if k > 0:
            ov = windows[k - 1][1] - a
            w[:ov] *= (np.arange(ov) + 0.5) / ov
        if k + 1 < len(windows):
            ov = b - windows[k + 1][0]
            w[len(w) - ov:] *= 1.0 - (np.arange(ov) + 0.5) / ov
        out.append(w)
    return out


def level_gain(x: np.ndarray) -> float:
    """The gain of upstream's audio_norm: RMS to -25 dB, then the RMS of the louder-than-average
    samples to -25 dB. 1.0 for silence."""
    p = np.asarray(x, np.float64) ** 2
    if not p.size or p.mean() <= 0:
        return 1.0
    g1 = _LEVEL / np.sqrt(p.mean())
    p = p * g1 * g1
    loud = p[p > p.mean()]
    return float(g1 * (_LEVEL / np.sqrt(loud.mean()))) if loud.size else float(g1)


@dataclass
class _Window:
    task: int
    row: int
    start: int
    samples: np.ndarray  # at 16 kHz, level-normalised


class FrcrnDenoiser(Engine):
    """FrcrnDenoiser(model_dir, device="cuda"); engine "frcrn" (plug-in).

    memory_mb_per_item: run_batch puts at most len(tasks) windows (<= 10 s each) through the
    network at once, so a job needs one window's activations whatever its length. Measured on the
    CPU in fp32: one 10 s window of the full-size model grew peak RSS by 639 MiB; at fp16/bf16
    most activations halve, so 800 MiB leaves room for cuDNN workspaces. An estimate: no GPU was
    available to measure it on.
    """

    info = EngineInfo(kind="denoise", name="frcrn", version="1.0", plugin=True, max_batch=16,
                      memory_mb_per_item=800.0)
    weights_setting = "FRCRN_MODEL_DIR"
    requires = ()  # our own module over its weights (voxgraph_worker/models/frcrn.py)

    def __init__(self, model_dir: str, device: str = "cuda", window_s: float = 10.0, overlap_s: float = 1.0):
        if overlap_s <= 0 or window_s <= 2 * overlap_s:
            raise ValueError("window_s must exceed twice overlap_s > 0")
        self.model_dir = model_dir
        self.device = device
        self.window = int(round(window_s * _SR))
        self.overlap = int(round(overlap_s * _SR))
        self.info = replace(type(self).info, device=device)
        self._model = None
        self._torch = None
        self._warm = False

    @staticmethod
    def available(model_dir: Optional[str]) -> bool:
        """Whether the folder looks loadable (both files present); load() checks the contents."""
        return bool(model_dir) and all(os.path.isfile(os.path.join(model_dir, f)) for f in (CONFIG_FILE, WEIGHTS_FILE))

    # ---- lifecycle ------------------------------------------------------------------------------

    def load(self) -> None:
        import torch

        from ..models.frcrn import FRCRN, FrcrnConfig, load_checkpoint

        cfg = FrcrnConfig.from_dict(read_config(self.model_dir))
        model = FRCRN(cfg)
        load_checkpoint(model, read_weights(self.model_dir))
        self._torch = torch
        self._dev = torch.device(self.device)
        self._model = model.to(self._dev).eval()
        self.info.device = str(self._dev)
        self.warmup()

    def warmup(self) -> None:
        if self._model is None or self._warm:
            return
        t = np.linspace(0, 1, _SR // 2, dtype=np.float32)
        self.run(AudioData(0.1 * np.sin(2 * np.pi * 440 * t).astype(np.float32), _SR), lambda _: None)
        self._warm = True

    def release(self) -> None:
        self._model = None
        if self._torch is not None and self.device.startswith("cuda"):
            self._torch.cuda.empty_cache()

    # ---- running --------------------------------------------------------------------------------

    def run(self, audio: AudioData, report: ReportProgress) -> AudioData:
        return self.run_one(Task(kind="denoise", report=report, audio=audio))

    def run_batch(self, tasks: list[Task]) -> list[object]:
        if self._model is None:
            raise RuntimeError("FrcrnDenoiser.run before load()")
        results: list[object] = [None] * len(tasks)
        rows: dict[tuple[int, int], np.ndarray] = {}  # (task, row) -> 16 kHz input
        gains: dict[tuple[int, int], float] = {}
        windows: list[_Window] = []
        for i, t in enumerate(tasks):
            a = t.audio
            x = np.asarray(a.samples, np.float32)
            if x.shape[0] == 0:
                results[i] = AudioData(x.copy(), a.sample_rate)
                continue
            x16 = resample(x, a.sample_rate, _SR)
            x16 = x16[:, None] if x16.ndim == 1 else x16
            for r in range(x16.shape[1]):
                row = np.nan_to_num(x16[:, r])
                g = level_gain(row)
                rows[(i, r)], gains[(i, r)] = row, g
                for s, e in plan_windows(len(row), self.window, self.overlap):
                    windows.append(_Window(i, r, s, (row[s:e] * g).astype(np.float32)))

        enhanced = self._enhance(windows, tasks)

        for i, t in enumerate(tasks):
            if results[i] is not None:
                continue
            if t.cancelled:
                results[i] = Cancelled("job cancelled")
                continue
            a = t.audio
            chans = []
            for r in range(1 if a.samples.ndim == 1 else a.samples.shape[1]):
                row = rows[(i, r)]
                mine = [(w, y) for w, y in zip(windows, enhanced) if w.task == i and w.row == r]
                spans = [(w.start, w.start + len(w.samples)) for w, _ in mine]
                acc = np.zeros(len(row), np.float64)
                norm = np.zeros(len(row), np.float64)
                for (s, e), wt, (_, y) in zip(spans, crossfade_weights(spans), mine):
                    acc[s:e] += wt * y
                    norm[s:e] += wt
                y16 = (acc / np.maximum(norm, 1e-12) / gains[(i, r)]).astype(np.float32)
                y = resample(y16, _SR, a.sample_rate)
                n = a.samples.shape[0]
                chans.append(np.pad(y[:n], (0, max(0, n - len(y)))))
            samples = chans[0] if a.samples.ndim == 1 else np.stack(chans, axis=1)
            results[i] = AudioData(samples.astype(np.float32), a.sample_rate)
        return results

    def _enhance(self, windows: list[_Window], tasks: list[Task]) -> list[Optional[np.ndarray]]:
        """Runs the network over every window; windows of cancelled jobs are skipped (None)."""
        torch = self._torch
        hop = self._model.cfg.win_inc
        edge = self._model.cfg.win_len - hop  # frames past both ends, so every sample has full overlap
        out: list[Optional[np.ndarray]] = [None] * len(windows)
        by_len: dict[int, list[int]] = {}
        for k, w in enumerate(windows):
            by_len.setdefault(-(-len(w.samples) // _BUCKET) * _BUCKET, []).append(k)
        per_call = max(1, min(len(tasks), self.info.max_batch))  # bounded memory: see memory_mb_per_item
        calls = [(n, ks[j:j + per_call]) for n, ks in sorted(by_len.items()) for j in range(0, len(ks), per_call)]
        report_all(tasks, 0.0)
        for c, (n, ks) in enumerate(calls):
            ks = [k for k in ks if not tasks[windows[k].task].cancelled]
            if ks:
                batch = np.zeros((len(ks), edge + n + edge), np.float32)
                for j, k in enumerate(ks):
                    batch[j, edge:edge + len(windows[k].samples)] = windows[k].samples
                try:
                    with torch.inference_mode(), self._autocast():
                        y = self._model(torch.from_numpy(batch).to(self._dev)).float().cpu().numpy()
                except RuntimeError as e:
                    if is_out_of_memory(e) and self.device.startswith("cuda"):
                        torch.cuda.empty_cache()
                    raise
                for j, k in enumerate(ks):
                    out[k] = y[j, edge:edge + len(windows[k].samples)]
            try:
                report_all(tasks, 0.98 * (c + 1) / len(calls))
            except Cancelled:
                break  # every job was cancelled: run_batch answers Cancelled for each
        return out

    def _autocast(self):
        torch = self._torch
        if self._dev.type != "cuda":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)


def read_config(model_dir: str) -> dict:
    """The "model" section of ModelScope's configuration.json; ValueError naming what is wrong."""
    if not model_dir or not os.path.isdir(model_dir):
        raise ValueError(f"FRCRN model folder {model_dir!r} does not exist")
    path = os.path.join(model_dir, CONFIG_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"FRCRN model folder {model_dir!r} has no {CONFIG_FILE}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    section = doc.get("model") if isinstance(doc, dict) else None
    if not isinstance(section, dict):
        raise ValueError(f"{path} has no \"model\" section (ModelScope layout expected)")
    return section


def read_weights(model_dir: str):
    import torch

    path = os.path.join(model_dir, WEIGHTS_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"FRCRN model folder {model_dir!r} has no {WEIGHTS_FILE}")
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)  # tensors only: no code runs
        except TypeError:  # torch < 1.13 has no weights_only
            return torch.load(path, map_location="cpu")
    except Exception as e:
        raise ValueError(f"{path} could not be read as a torch checkpoint: {type(e).__name__}: {e}"[:600]) from None
