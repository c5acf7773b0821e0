"""STFT MMSE log-spectral-amplitude denoiser (Ephraim & Malah 1985) with minimum-statistics noise.

Measured on this machine (notes): +3.2 dB mean SI-SDR over white/pink/babble at 0/5/10 dB,
little help against babble. Files are processed offline, so the noise minimum is taken over a
window centred on each frame rather than a causal one.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter1d
from scipy.signal import lfilter
from scipy.special import exp1

from .base import AudioData, Engine, EngineInfo, ReportProgress

_FRAME_S = 0.032  # 512 points at 16 kHz
_SMOOTH = 0.85  # periodogram smoothing before the minimum search
_MIN_WINDOW_S = 1.5  # span of the minimum search: longer than a word, shorter than noise changes
_DD_ALPHA = 0.98  # decision-directed weight on the previous frame's estimate
_GAIN_FLOOR = 10 ** (-25 / 20)
_XI_MIN = 10 ** (-25 / 10)
_PIECE_S = 30.0
_CONTEXT_S = 1.5
_REPORT_STEPS = 25  # report at least every 4 % of the frames


def _frame_len(sr: int) -> int:
    n = 1
    while n < _FRAME_S * sr:
        n *= 2
    return n


def _min_stats_bias(window_frames: int) -> float:
    """Mean / minimum of a smoothed white-noise periodogram, measured once for these settings."""
    rng = np.random.default_rng(0)
    spec = np.abs(np.fft.rfft(rng.normal(size=(4000, 64)), axis=1)) ** 2
    p = lfilter([1 - _SMOOTH], [1, -_SMOOTH], spec, axis=0)[50:]
    return float(spec.mean() / minimum_filter1d(p, window_frames, axis=0).mean())


class MmseLsaDenoiser(Engine):
    info = EngineInfo(kind="denoise", name="mmse-lsa", version="1.0")

    def __init__(self) -> None:
        self._bias: dict[int, float] = {}

    def load(self) -> None:
        pass

    def warmup(self) -> None:
        self.run(AudioData(np.zeros(16000, np.float32), 16000), lambda _: None)

    def run(self, audio: AudioData, report: ReportProgress) -> AudioData:
        x = audio.samples.astype(np.float32)
        x2 = (x[:, None] if x.ndim == 1 else x).T  # (channels, samples)
        sr = audio.sample_rate
        out = np.empty_like(x2)
        # Independent pieces bound memory; each sees _CONTEXT_S more on both sides so the
        # noise minimum and the decision-directed recursion are settled at its edges.
        core, ctx, total = int(_PIECE_S * sr), int(_CONTEXT_S * sr), x2.shape[1]
        starts = list(range(0, total, core)) or [0]
        for k, a in enumerate(starts):
            b = min(total, a + core)
            lo, hi = max(0, a - ctx), min(total, b + ctx)
            y = self._denoise(x2[:, lo:hi], sr, lambda f, k=k: report((k + f) / len(starts)))
            out[:, a:b] = y[:, a - lo:b - lo]
        report(1.0)
        return AudioData(samples=out[0] if x.ndim == 1 else out.T.copy(), sample_rate=sr)

    def _denoise(self, x: np.ndarray, sr: int, report: ReportProgress) -> np.ndarray:
        """x: (channels, samples); all channels go through the same loop at once."""
        n = _frame_len(sr)
        hop = n // 4
        length = x.shape[1]
        if length == 0:
            return x.copy()
        # Whole frames cover every sample. Reflect, not zeros: zero frames would be the minimum
        # the noise tracker finds, leaving the first and last second undenoised.
        pad = np.pad(x, ((0, 0), (n, n + (-(length + n) % hop))), mode="reflect" if length > 1 else "constant")
        n_frames = 1 + (pad.shape[1] - n) // hop
        win = np.hanning(n + 1)[:n].astype(np.float32)  # periodic Hann
        idx = np.arange(n)[None, :] + hop * np.arange(n_frames)[:, None]
        spec = np.fft.rfft(pad[:, idx] * win, axis=2)  # (channels, frames, bins)
        power = np.abs(spec) ** 2

        # minimum-statistics noise power per bin
        win_frames = max(3, int(_MIN_WINDOW_S * sr / hop))
        if win_frames not in self._bias:
            self._bias[win_frames] = _min_stats_bias(win_frames)
        smooth = lfilter([1 - _SMOOTH], [1, -_SMOOTH], power, axis=1, zi=power[:, :1] * _SMOOTH)[0]
        noise = minimum_filter1d(smooth, win_frames, axis=1, mode="nearest") * self._bias[win_frames]
        noise = np.maximum(noise, 1e-12)

        gamma = power / noise  # a-posteriori SNR
        gain = np.empty_like(gamma)
        # Decision-directed |S(l-1)|^2 / noise(l-1); starts at "no speech" so the first frames are not passed through.
        prev = np.full_like(gamma[:, 0], _XI_MIN)
        step = max(1, -(-n_frames // _REPORT_STEPS))
        for start in range(0, n_frames, step):
            for l in range(start, min(n_frames, start + step)):
                g_l = gamma[:, l]
                xi = np.maximum(_DD_ALPHA * prev + (1 - _DD_ALPHA) * np.maximum(g_l - 1.0, 0.0), _XI_MIN)
                v = np.maximum(xi * g_l / (1.0 + xi), 1e-8)
                g = np.maximum(xi / (1.0 + xi) * np.exp(0.5 * exp1(v)), _GAIN_FLOOR)
                g = np.minimum(g, 1.0)
                gain[:, l] = g
                prev = g * g * g_l
            report(0.95 * min(n_frames, start + step) / n_frames)

        frames = np.fft.irfft(spec * gain, n, axis=2) * win
        out = np.zeros_like(pad, dtype=np.float64)
        for c in range(out.shape[0]):
            _overlap_add(out[c], frames[c], hop)
        out /= np.sum(win.astype(np.float64) ** 2) / hop  # Hann² at 75 % overlap sums to a constant
        return out[:, n:n + length].astype(np.float32)


def _overlap_add(out: np.ndarray, frames: np.ndarray, hop: int) -> None:
    """Overlap-add by hop-sized strips: four vectorised adds instead of one per frame."""
    n_frames, n = frames.shape
    parts = n // hop
    for p in range(parts):
        strip = frames[:, p * hop:(p + 1) * hop].reshape(-1)
        out[p * hop:p * hop + len(strip)] += strip
