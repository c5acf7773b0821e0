"""FRCRN (Zhao et al. 2022, arXiv:2206.07293) as published by ModelScope (damo/speech_frcrn_ans_cirm_16k).

A re-implementation of ModelScope's `modelscope/models/audio/ans/{frcrn,unet,complex_nn,conv_stft,
se_module_complex}.py` and `layers/uni_deep_fsmn.py`, with the same module names, so the published
`pytorch_model.bin` (a state dict of the FRCRN module) loads key for key. Differences, none of which
changes a weight's name or the maths of the published configuration:

- only `model_depth` 14 is built (the published model; upstream's 10 and 20 cannot run with its fixed
  128-wide FSMN either), and two sizes upstream hard-codes are configuration keys of ours, `channels`
  (128) and `fsmn_order` (20), so tests can build a tiny model;
- FSMN layers reshape explicitly instead of upstream's `squeeze()`, which breaks on batch 1;
- STFT, iSTFT and mask application run in float32 even under autocast (the iSTFT's `+ 1e-8`
  vanishes in fp16 and turns silent edges into NaN);
- inference returns only the final waveform (upstream's `wav_l2`); training losses are not ported.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.signal import get_window


@dataclass(frozen=True)
class FrcrnConfig:
    """The `model` section of ModelScope's configuration.json (published values as defaults)."""

    complex: bool = True
    model_complexity: int = 45  # only used by upstream's depth-20 variant
    model_depth: int = 14
    log_amp: bool = False  # unused upstream too
    padding_mode: str = "zeros"
    win_len: int = 640
    win_inc: int = 320
    fft_len: int = 640
    win_type: str = "hann"
    channels: int = 128  # ours: upstream hard-codes 128
    fsmn_order: int = 20  # ours: upstream hard-codes 20

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FrcrnConfig":
        known = {f.name for f in fields(cls)}
        cfg = cls(**{k: v for k, v in d.items() if k in known})
        if cfg.model_depth != 14:
            raise ValueError(f"FRCRN model_depth {cfg.model_depth} is not supported (only 14, the published model)")
        if not cfg.complex:
            raise ValueError("only the complex FRCRN (complex: true, the published model) is supported")
        if cfg.fft_len != 640 or cfg.win_len > cfg.fft_len:
            # The depth-14 kernels bring exactly 321 frequency bins down to 1.
            raise ValueError(f"FRCRN depth 14 needs fft_len 640 (got {cfg.fft_len}) and win_len <= fft_len")
        if cfg.channels < 8 or cfg.channels % 2:
            raise ValueError("channels must be an even number >= 8 (squeeze-excitation reduces by 8)")
        return cfg


# ---- STFT as fixed convolutions (conv_stft.py) -------------------------------------------------

def _stft_kernels(win_len: int, fft_len: int, win_type: str, inverse: bool):
    window = np.ones(win_len) if win_type in (None, "None") else get_window(win_type, win_len, fftbins=True) ** 0.5
    basis = np.fft.rfft(np.eye(fft_len))[:win_len]
    kernel = np.concatenate([basis.real, basis.imag], 1).T
    if inverse:
        kernel = np.linalg.pinv(kernel).T
    kernel = (kernel * window)[:, None, :]
    return torch.from_numpy(kernel.astype(np.float32)), torch.from_numpy(window[None, :, None].astype(np.float32))


class ConvSTFT(nn.Module):
    def __init__(self, win_len: int, win_inc: int, fft_len: int, win_type: str):
        super().__init__()
        kernel, _ = _stft_kernels(win_len, fft_len, win_type, inverse=False)
        self.weight = nn.Parameter(kernel, requires_grad=False)
        self.stride = win_inc

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, samples) -> (B, 2*bins, frames)
        return F.conv1d(x.unsqueeze(1), self.weight, stride=self.stride)


class ConviSTFT(nn.Module):
    def __init__(self, win_len: int, win_inc: int, fft_len: int, win_type: str):
        super().__init__()
        kernel, window = _stft_kernels(win_len, fft_len, win_type, inverse=True)
        self.weight = nn.Parameter(kernel, requires_grad=False)
        self.stride = win_inc
        self.register_buffer("window", window)
        self.register_buffer("enframe", torch.eye(win_len)[:, None, :])

    def forward(self, spec: torch.Tensor) -> torch.Tensor:  # (B, 2*bins, frames) -> (B, 1, samples)
        out = F.conv_transpose1d(spec, self.weight, stride=self.stride)
        coff = F.conv_transpose1d(self.window.repeat(1, 1, spec.size(-1)) ** 2, self.enframe, stride=self.stride)
        return out / (coff + 1e-8)


# ---- complex layers (complex_nn.py, se_module_complex.py, uni_deep_fsmn.py) ----------------------
# Complex tensors are real tensors with a trailing axis of 2 (real, imaginary), as upstream.

class UniDeepFsmn(nn.Module):
    """Feed-forward sequential memory: a causal depthwise filter of `lorder` taps along the sequence."""

    def __init__(self, input_dim: int, output_dim: int, lorder: int, hidden_size: int):
        super().__init__()
        self.lorder = lorder
        self.linear = nn.Linear(input_dim, hidden_size)
        self.project = nn.Linear(hidden_size, output_dim, bias=False)
        self.conv1 = nn.Conv2d(output_dim, output_dim, (lorder, 1), (1, 1), groups=output_dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, seq, feat) -> same
        p = self.project(F.relu(self.linear(x)))
        p = p.transpose(1, 2).unsqueeze(-1)  # (N, feat, seq, 1)
        out = p + self.conv1(F.pad(p, [0, 0, self.lorder - 1, 0]))
        return x + out.squeeze(-1).transpose(1, 2)


class ComplexUniDeepFsmn(nn.Module):
    """Two complex FSMN layers along time over the flattened (channel x freq) bottleneck."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, order: int):
        super().__init__()
        self.fsmn_re_L1 = UniDeepFsmn(n_in, n_hidden, order, n_hidden)
        self.fsmn_im_L1 = UniDeepFsmn(n_in, n_hidden, order, n_hidden)
        self.fsmn_re_L2 = UniDeepFsmn(n_hidden, n_out, order, n_hidden)
        self.fsmn_im_L2 = UniDeepFsmn(n_hidden, n_out, order, n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, c, h, T, 2)
        b, c, h, t, d = x.shape
        x = x.reshape(b, c * h, t, d).transpose(1, 2)
        re1 = self.fsmn_re_L1(x[..., 0]) - self.fsmn_im_L1(x[..., 1])
        im1 = self.fsmn_re_L1(x[..., 1]) + self.fsmn_im_L1(x[..., 0])
        re = self.fsmn_re_L2(re1) - self.fsmn_im_L2(im1)
        im = self.fsmn_re_L2(im1) + self.fsmn_im_L2(re1)
        return torch.stack((re, im), -1).transpose(1, 2).reshape(b, c, h, t, d)


class ComplexUniDeepFsmn_L1(nn.Module):
    """The frequency recurrence: one complex FSMN layer along frequency, per time frame."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, order: int):
        super().__init__()
        self.fsmn_re_L1 = UniDeepFsmn(n_in, n_hidden, order, n_hidden)
        self.fsmn_im_L1 = UniDeepFsmn(n_in, n_hidden, order, n_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, c, h, T, 2)
        b, c, h, t, d = x.shape
        x = x.transpose(1, 3).reshape(b * t, h, c, d)
        re = self.fsmn_re_L1(x[..., 0]) - self.fsmn_im_L1(x[..., 1])
        im = self.fsmn_re_L1(x[..., 1]) + self.fsmn_im_L1(x[..., 0])
        return torch.stack((re, im), -1).reshape(b, t, h, c, d).transpose(1, 3)


class ComplexConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, kernel_size, stride=1, padding=0, **kw):
        super().__init__()
        self.conv_re = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, **kw)
        self.conv_im = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, **kw)

    def forward(self, x):
        re = self.conv_re(x[..., 0]) - self.conv_im(x[..., 1])
        im = self.conv_re(x[..., 1]) + self.conv_im(x[..., 0])
        return torch.stack((re, im), -1)


class ComplexConvTranspose2d(nn.Module):
    def __init__(self, cin: int, cout: int, kernel_size, stride=1, padding=0):
        super().__init__()
        self.tconv_re = nn.ConvTranspose2d(cin, cout, kernel_size, stride=stride, padding=padding)
        self.tconv_im = nn.ConvTranspose2d(cin, cout, kernel_size, stride=stride, padding=padding)

    def forward(self, x):
        re = self.tconv_re(x[..., 0]) - self.tconv_im(x[..., 1])
        im = self.tconv_re(x[..., 1]) + self.tconv_im(x[..., 0])
        return torch.stack((re, im), -1)


class ComplexBatchNorm2d(nn.Module):
    """Upstream's 'complex' batch norm: independent norms of the real and imaginary parts."""

    def __init__(self, n: int):
        super().__init__()
        self.bn_re = nn.BatchNorm2d(n)
        self.bn_im = nn.BatchNorm2d(n)

    def forward(self, x):
        return torch.stack((self.bn_re(x[..., 0]), self.bn_im(x[..., 1])), -1)


class SELayer(nn.Module):
    """Complex squeeze-excitation: channel gains from the mean over frequency and time."""

    def __init__(self, channel: int, reduction: int = 8):
        super().__init__()
        self.fc_r = nn.Sequential(nn.Linear(channel, channel // reduction), nn.ReLU(inplace=True),
                                  nn.Linear(channel // reduction, channel), nn.Sigmoid())
        self.fc_i = nn.Sequential(nn.Linear(channel, channel // reduction), nn.ReLU(inplace=True),
                                  nn.Linear(channel // reduction, channel), nn.Sigmoid())

    def forward(self, x):
        b, c = x.shape[:2]
        x_r = x[..., 0].mean(dim=(2, 3))
        x_i = x[..., 1].mean(dim=(2, 3))
        y_r = self.fc_r(x_r) - self.fc_i(x_i)
        y_i = self.fc_r(x_i) + self.fc_i(x_r)
        return x * torch.stack((y_r, y_i), -1).view(b, c, 1, 1, 2)


# ---- the complex U-Net (unet.py) ----------------------------------------------------------------

class Encoder(nn.Module):
    def __init__(self, cin, cout, kernel_size, stride, padding, padding_mode):
        super().__init__()
        self.conv = ComplexConv2d(cin, cout, kernel_size, stride=stride, padding=padding, padding_mode=padding_mode)
        self.bn = ComplexBatchNorm2d(cout)
        self.relu = nn.LeakyReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Decoder(nn.Module):
    def __init__(self, cin, cout, kernel_size, stride, padding):
        super().__init__()
        self.transconv = ComplexConvTranspose2d(cin, cout, kernel_size, stride=stride, padding=padding)
        self.bn = ComplexBatchNorm2d(cout)
        self.relu = nn.LeakyReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.transconv(x)))


class UNet(nn.Module):
    """Depth-14 complex U-Net with FSMN frequency recurrence after each convolution."""

    def __init__(self, cfg: FrcrnConfig):
        super().__init__()
        ch, order = cfg.channels, cfg.fsmn_order
        enc_ch = [1] + [ch] * 7
        enc_k = [(5, 2)] * 6 + [(2, 2)]
        dec_ch = [ch // 2] + [ch] * 6 + [1]
        dec_k = [(2, 2), (5, 2), (5, 2), (5, 2), (6, 2), (5, 2), (5, 2)]
        self.model_length = 7
        self.fsmn = ComplexUniDeepFsmn(ch, ch, ch, order)
        encoders, fsmn_enc, se_enc, decoders, fsmn_dec, se_dec = [], [], [], [], [], []
        # Registration order and names as upstream: each block under "encoder{i}" and again under
        # the ModuleList "encoders.{i}" (both appear in the published state dict).
        for i in range(self.model_length):
            fsmn_enc.append(ComplexUniDeepFsmn_L1(ch, ch, ch, order))
            self.add_module(f"fsmn_enc{i}", fsmn_enc[-1])
            encoders.append(Encoder(enc_ch[i], enc_ch[i + 1], enc_k[i], (2, 1), (0, 1), cfg.padding_mode))
            self.add_module(f"encoder{i}", encoders[-1])
            se_enc.append(SELayer(enc_ch[i + 1], 8))
            self.add_module(f"se_layer_enc{i}", se_enc[-1])
        for i in range(self.model_length):
            fsmn_dec.append(ComplexUniDeepFsmn_L1(ch, ch, ch, order))
            self.add_module(f"fsmn_dec{i}", fsmn_dec[-1])
            decoders.append(Decoder(dec_ch[i] * 2, dec_ch[i + 1], dec_k[i], (2, 1), (0, 1)))
            self.add_module(f"decoder{i}", decoders[-1])
            if i < self.model_length - 1:
                se_dec.append(SELayer(dec_ch[i + 1], 8))
                self.add_module(f"se_layer_dec{i}", se_dec[-1])
        self.add_module("linear", ComplexConv2d(dec_ch[-1], 1, 1))
        self.decoders = nn.ModuleList(decoders)
        self.encoders = nn.ModuleList(encoders)
        self.se_layers_enc = nn.ModuleList(se_enc)
        self.se_layers_dec = nn.ModuleList(se_dec)
        self.fsmn_enc = nn.ModuleList(fsmn_enc)
        self.fsmn_dec = nn.ModuleList(fsmn_dec)

    def forward(self, x):  # (B, 1, 321, T, 2) -> same
        skips = [x]
        for i, encoder in enumerate(self.encoders):
            if i > 0:
                x = self.fsmn_enc[i](x)
            x = encoder(x)
            skips.append(self.se_layers_enc[i](x))
        p = self.fsmn(x)
        n = self.model_length
        for i, decoder in enumerate(self.decoders):
            p = decoder(p)
            if i == n - 1:
                break
            p = self.fsmn_dec[i](p)
            if i < n - 2:
                p = self.se_layers_dec[i](p)
            p = torch.cat([p, skips[n - 1 - i]], dim=1)
        return self.linear(p)


class FRCRN(nn.Module):
    """Two cascaded U-Nets predict a complex ideal ratio mask; the second refines the first."""

    def __init__(self, cfg: Optional[FrcrnConfig] = None):
        super().__init__()
        self.cfg = cfg = cfg or FrcrnConfig()
        self.feat_dim = cfg.fft_len // 2 + 1
        self.stft = ConvSTFT(cfg.win_len, cfg.win_inc, cfg.fft_len, cfg.win_type)
        self.istft = ConviSTFT(cfg.win_len, cfg.win_inc, cfg.fft_len, cfg.win_type)
        self.unet = UNet(cfg)
        self.unet2 = UNet(cfg)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        """wav (B, samples), float32; samples = win_len + k * win_inc. Returns the enhanced (B, samples)."""
        with torch.autocast(wav.device.type, enabled=False):
            spec = self.stft(wav.float())  # (B, 2D, T)
            d = self.feat_dim
            spec = torch.stack((spec[:, :d], spec[:, d:]), -1).unsqueeze(1)  # (B, 1, D, T, 2)
        out1 = self.unet(spec)
        mask = (torch.tanh(self.unet2(out1)) + torch.tanh(out1)).float()
        with torch.autocast(wav.device.type, enabled=False):
            re = spec[..., 0] * mask[..., 0] - spec[..., 1] * mask[..., 1]
            im = spec[..., 0] * mask[..., 1] + spec[..., 1] * mask[..., 0]
            est = torch.cat((re[:, 0], im[:, 0]), 1)
            return self.istft(est).squeeze(1)


# Checkpoint entries computed from the configuration rather than learned (upstream keeps them as
# frozen parameters / buffers): a checkpoint may omit them.
FIXED_KEYS = ("stft.weight", "istft.weight", "istft.window", "istft.enframe")


def load_checkpoint(model: FRCRN, checkpoint: Any) -> None:
    """Load a ModelScope FRCRN checkpoint into `model`, key for key.

    Accepted: the published file (a state dict of FRCRN), a training checkpoint of upstream's
    FRCRNDecorator ({"state_dict": {"model.…": …}}), or either saved from DataParallel ("module.").
    Every learned tensor must be present with the right shape and nothing unknown may be there;
    tolerated as absent are only what is not learned: the STFT kernels (computed from the
    configuration), batch-norm step counters, and the second name of a block registered twice
    ("encoder0" / "encoders.0") when the first is there. Raises ValueError saying what differs.
    """
    sd = checkpoint
    for key in ("state_dict", "model_state_dict"):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not sd or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ValueError("the checkpoint is not a state dict of tensors")
    for _ in range(2):  # "model.module.…" is possible
        for prefix in ("module.", "model."):
            if all(k.startswith(prefix) for k in sd):
                sd = {k[len(prefix):]: v for k, v in sd.items()}
    own = model.state_dict(keep_vars=True)
    names_of: dict[int, list[str]] = {}
    for k, v in own.items():
        names_of.setdefault(id(v), []).append(k)
    sd = dict(sd)
    for k, v in own.items():
        if k in sd:
            continue
        twin = next((t for t in names_of[id(v)] if t in sd), None)
        if twin is not None:
            sd[k] = sd[twin]
        elif k in FIXED_KEYS or k.endswith("num_batches_tracked"):
            sd[k] = v.detach().clone()
    missing = sorted(set(own) - set(sd))
    unexpected = sorted(set(sd) - set(own))
    if missing or unexpected:
        raise ValueError(f"the checkpoint does not match the FRCRN configuration: {len(missing)} missing "
                         f"(e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})")
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise ValueError(f"the checkpoint's tensor shapes do not match the FRCRN configuration: {str(e)[:600]}") from None
