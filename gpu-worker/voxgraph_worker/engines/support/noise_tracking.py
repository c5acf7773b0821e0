"""Noise power per STFT bin, in torch, for batches of rows of different lengths.

Offline (non-causal) minimum statistics refined MCRA-style: the minimum of the smoothed
periodogram over a centred window, times its bias, marks where speech is absent; the noise is
then the plain mean of the periodogram over the absent frames nearby, which has neither the
minimum's bias nor its variance. Every operation is along time only, so bins can be processed in
any grouping, and frames outside a row's valid range (batch padding) never enter a result.
"""

from __future__ import annotations

from functools import lru_cache

import torch

SMOOTH_S = 0.12  # periodogram smoothing before the minimum search
MIN_WINDOW_S = 2.0  # minimum search span: longer than a word, shorter than noise changes
ABSENT_RATIO = 4.0  # smoothed power below this many times the minimum: no speech there
AVERAGE_S = 2.0  # span of the mean over speech-absent frames
MIN_ABSENT_S = 0.064  # fewer absent frames than this nearby: keep the minimum-statistics value


def odd_frames(seconds: float, frames_per_s: float) -> int:
    return max(1, int(round(seconds * frames_per_s))) | 1


def moving_sum(x: torch.Tensor, w: int) -> torch.Tensor:
    """Centred sum over w (odd) frames along the last axis, zeros outside."""
    t, h = x.shape[-1], w // 2
    c = torch.nn.functional.pad(x, (h + 1, h)).cumsum(-1)
    return c[..., w:w + t] - c[..., :t]


def masked_mean(x: torch.Tensor, valid: torch.Tensor, w: int) -> torch.Tensor:
    """Centred mean over the valid frames among w; `valid` is 1.0/0.0 and broadcasts over x."""
    if w <= 1:
        return x
    return moving_sum(x * valid, w) / moving_sum(valid.expand_as(x), w).clamp_min(1e-9)


def sliding_min(x: torch.Tensor, w: int) -> torch.Tensor:
    """Centred minimum over w (odd) frames along the last axis, +inf outside. By doubling: after
    step j every frame holds the minimum of the 2^j frames from it, and a window of w is the
    minimum of two such spans that overlap. log2(w) element-wise minima over the whole tensor: on a
    CPU several times faster than the van Herk / Gil-Werman scheme through torch's cummin (1 s
    clips: 2.2 against 15 ms for five rows of 257 bins), and the same result bit for bit."""
    t, h = x.shape[-1], w // 2
    m = torch.nn.functional.pad(x, (h, h), value=float("inf"))  # t + w - 1 frames
    k = 1
    while 2 * k <= w:
        m = torch.minimum(m[..., :-k], m[..., k:])
        k *= 2
    return torch.minimum(m[..., :t], m[..., w - k:w - k + t])


@lru_cache(maxsize=16)
def min_stats_bias(smooth_frames: int, window_frames: int) -> float:
    """Mean / expected minimum of a smoothed noise periodogram (exponential, like a noise-only
    STFT bin), simulated once for these settings."""
    g = torch.Generator().manual_seed(0)
    p = torch.randn(64, 2, 20 * window_frames + 200, generator=g).pow(2).sum(1)
    s = masked_mean(p, torch.ones(1, 1), smooth_frames)
    m = sliding_min(s, window_frames)[:, window_frames:-window_frames]
    return float(p.mean() / m.mean())


def noise_power(power: torch.Tensor, valid: torch.Tensor, frames_per_s: float) -> torch.Tensor:
    """power: (..., frames) periodogram; valid: (..., 1 or bins, frames) 1.0 where the frame is real."""
    k = odd_frames(SMOOTH_S, frames_per_s)
    w = odd_frames(MIN_WINDOW_S, frames_per_s)
    smooth = masked_mean(power, valid, k)
    floor = sliding_min(torch.where(valid > 0, smooth, torch.full_like(smooth, float("inf"))), w)
    floor = floor * min_stats_bias(k, w)
    absent = ((smooth < ABSENT_RATIO * floor) & (valid > 0)).to(power.dtype)
    a = odd_frames(AVERAGE_S, frames_per_s)
    count = moving_sum(absent, a)
    mean = moving_sum(power * absent, a) / count.clamp_min(1.0)
    noise = torch.where(count >= MIN_ABSENT_S * frames_per_s, mean, floor)
    return noise.clamp_min(1e-12)
