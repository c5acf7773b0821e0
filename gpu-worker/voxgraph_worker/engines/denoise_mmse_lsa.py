"""The default denoiser `mmse-lsa`: STFT OM-LSA gain over an offline noise tracker, in torch.

Every channel of every clip is one row; rows of one sample rate are padded to one length and go
through one STFT / noise / gain / overlap-add computation (on a CPU that saves only per-call
overhead, 1.0-1.45x for 8 x 10 s; the gain is meant for GPUs, not measured here). Long clips are cut
into pieces (rows too) so memory stays bounded. Frames past a row's end are masked out of every
time window, so a clip's output does not depend on what it was batched with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from .base import AudioData, Cancelled, Engine, EngineInfo, ReportProgress, Task, report_all
from .support.om_lsa import om_lsa_gain
from .support.noise_tracking import noise_power

_FRAME_S = 0.032  # 512 points at 16 kHz
_PIECE_S = 30.0
_CONTEXT_S = 2.0  # seen on both sides of a piece: as long as the noise tracker's windows reach
_MAX_ROWS = 16  # rows per tensor computation (bounds memory on long batches)
_BIN_GROUPS = 20  # noise + gain run per group of bins: progress steps, smaller temporaries
_GROUP_ELEMENTS = 1 << 19  # …of about this many spectrum cells (4 MiB of complex64) each, so short
# clips take one group: twenty rounds of small tensor calls cost more than the clip's arithmetic.


def frame_len(sr: int) -> int:
    n = 1
    while n < _FRAME_S * sr:
        n *= 2
    return n


@dataclass
class _Row:
    task: int  # index of the task it belongs to
    channel: int
    start: int  # where its core goes in the output
    core: slice  # the part of the row (in its own samples) that is output
    samples: np.ndarray  # float32, with context


def _rows(k: int, x2: np.ndarray, sr: int) -> list[_Row]:
    """Pieces of every channel: independent rows, each with context on both sides so the noise
    tracker is settled at its edges."""
    core, ctx, total = int(_PIECE_S * sr), int(_CONTEXT_S * sr), x2.shape[1]
    out = []
    for c in range(x2.shape[0]):
        for a in range(0, total, core):
            b = min(total, a + core)
            lo, hi = max(0, a - ctx), min(total, b + ctx)
            out.append(_Row(k, c, a, slice(a - lo, b - lo), x2[c, lo:hi]))
    return out


class MmseLsaDenoiser(Engine):
    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        # ~30 s of stereo 48 kHz: spectrum (complex64) + power, noise, gain temporaries per bin
        # group + overlap-add frames, 2 rows; measured from the tensor sizes, not on a GPU.
        self.info = EngineInfo(kind="denoise", name="mmse-lsa", version="2.0", device=device, max_batch=16,
                               memory_mb_per_item=200.0)
        self._windows: dict[int, torch.Tensor] = {}

    def load(self) -> None:
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"device {self.device} requested but CUDA is not available")
        self.info.device = self.device

    def warmup(self) -> None:
        self.run(AudioData(np.zeros(16000, np.float32), 16000), lambda _: None)

    def release(self) -> None:
        self._windows.clear()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    def run(self, audio: AudioData, report: ReportProgress) -> AudioData:
        """One clip; Cancelled raised by `report` propagates."""
        return self._process([audio], report, lambda: [False])[0]

    def run_batch(self, tasks: list[Task]) -> list[object]:
        """Clips of one sample rate share each computation; a task cancelled meanwhile gets
        Cancelled and its remaining rows are skipped. Any other error (out of memory included)
        concerns the whole computation and is raised."""
        try:
            outs = self._process([t.audio for t in tasks], lambda f: report_all(tasks, f),
                                 lambda: [t.cancelled for t in tasks])
        except Cancelled:  # every task was cancelled
            return [Cancelled("cancelled") for _ in tasks]
        return [Cancelled("cancelled") if t.cancelled else o for t, o in zip(tasks, outs)]

    def _process(self, audios: list[AudioData], report: ReportProgress,
                 cancelled: Callable[[], list[bool]]) -> list[Optional[AudioData]]:
        chans = [(np.asarray(a.samples, np.float32)[:, None] if a.samples.ndim == 1
                  else np.asarray(a.samples, np.float32)).T for a in audios]
        outs = [np.zeros_like(c) for c in chans]
        by_rate: dict[int, list[_Row]] = {}
        for k, (a, c) in enumerate(zip(audios, chans)):
            by_rate.setdefault(a.sample_rate, []).extend(r for r in _rows(k, c, a.sample_rate) if len(r.samples))
        # Similar lengths together: less padding. Stable, so a batch's order does not matter.
        chunks = []
        for sr, rows in sorted(by_rate.items()):
            rows.sort(key=lambda r: len(r.samples))
            chunks += [(sr, rows[i:i + _MAX_ROWS]) for i in range(0, len(rows), _MAX_ROWS)]
        steps = max(1, sum(self._groups(rows, sr) + 2 for sr, rows in chunks))
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            report(min(0.99, done / steps))

        for sr, rows in chunks:
            skip = cancelled()
            live = [r for r in rows if not skip[r.task]]
            if not live:
                done += self._groups(rows, sr) + 2
                continue
            ys = self._denoise_rows([r.samples for r in live], sr, step)
            for r, y in zip(live, ys):
                outs[r.task][r.channel, r.start:r.start + (r.core.stop - r.core.start)] = y[r.core]
        report(1.0)
        return [AudioData(o[0].copy() if a.samples.ndim == 1 else o.T.copy(), a.sample_rate)
                for a, o in zip(audios, outs)]

    def _denoise_rows(self, rows: list[np.ndarray], sr: int, step: Callable[[], None]) -> list[np.ndarray]:
        n = frame_len(sr)
        hop = n // 4
        # Whole frames cover every sample. Reflect, not zeros: zero frames would be the minimum
        # the noise tracker finds, leaving the first and last second undenoised.
        padded = [np.pad(x, (n, n + (-(len(x) + n) % hop)), mode="reflect" if len(x) > 1 else "edge")
                  for x in rows]
        width = max(len(p) for p in padded)
        batch = np.zeros((len(rows), width), np.float32)
        for i, p in enumerate(padded):
            batch[i, :len(p)] = p
        dev = torch.device(self.device)
        with torch.no_grad():
            x = torch.from_numpy(batch).to(dev)
            win = self._window(n, dev)
            spec = torch.stft(x, n, hop, window=win, center=False, return_complex=True)  # (rows, bins, frames)
            frames = torch.tensor([1 + (len(p) - n) // hop for p in padded], device=dev)
            valid = (torch.arange(spec.shape[-1], device=dev)[None, :] < frames[:, None]).to(torch.float32)[:, None, :]
            step()
            bins = spec.shape[1]
            groups = self._groups(rows, sr)
            for g in range(groups):
                sl = slice(g * bins // groups, (g + 1) * bins // groups)
                part = spec[:, sl]
                power = part.real.square() + part.imag.square()
                gain = om_lsa_gain(power, noise_power(power, valid, sr / hop), valid)
                spec[:, sl] = part * gain
                step()
            # Overlap-add; Hann^2 at 75 % overlap sums to a constant.
            pieces = torch.fft.irfft(spec, n, dim=1) * win[None, :, None]
            y = torch.nn.functional.fold(pieces, (1, width), (1, n), stride=(1, hop))[:, 0, 0]
            y = (y / (win.square().sum() / hop)).cpu().numpy()
            step()
        return [y[i, n:n + len(r)] for i, r in enumerate(rows)]

    @staticmethod
    def _groups(rows: list, sr: int) -> int:
        """Bin groups for a computation over these rows (a function of their sizes alone)."""
        n = frame_len(sr)
        cells = sum(len(r.samples) if isinstance(r, _Row) else len(r) for r in rows) // (n // 4) * (n // 2 + 1)
        return min(_BIN_GROUPS, max(1, -(-cells // _GROUP_ELEMENTS)))

    def _window(self, n: int, dev: torch.device) -> torch.Tensor:
        if n not in self._windows:
            self._windows[n] = torch.hann_window(n, device=dev)
        return self._windows[n]
