"""The `fast` denoiser: libspeexdsp's preprocessor (spectral noise suppression) through ctypes.

About 5x faster than mmse-lsa (RTF 0.0012 vs 0.0056) and ~1 dB weaker on white+pink noise
(held-out SI-SDRi +6.4 vs +7.4 dB; voxgraph_eval.denoise). The library works
on int16 frames in place, one stateful stream per channel, and its output lags its input by
exactly one frame; we feed one extra frame at the end and drop the first frame of output.
"""

from __future__ import annotations

import ctypes
from typing import Optional

import numpy as np

from .base import AudioData, Engine, EngineInfo, ReportProgress

# speex/speex_preprocess.h
_SET_DENOISE = 0
_SET_AGC = 2
_SET_DEREVERB = 8
_SET_NOISE_SUPPRESS = 18

_FRAME_S = 0.020
_SUPPRESS_DB = -30  # maximum attenuation of noise (library default -15; tuned on espeak speech)
_PRIME_S = 1.0  # the noise estimate adapts over the first frames: settle it on the start first
_REPORT_STEPS = 25

_lib: Optional[ctypes.CDLL] = None


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        lib = ctypes.CDLL("libspeexdsp.so.1")
        lib.speex_preprocess_state_init.restype = ctypes.c_void_p
        lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_preprocess_ctl.restype = ctypes.c_int
        lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_preprocess_run.restype = ctypes.c_int
        lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.speex_preprocess_state_destroy.restype = None
        lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
        _lib = lib
    return _lib


def frame_len(sr: int) -> int:
    return max(2, int(round(_FRAME_S * sr / 2)) * 2)


class _Stream:
    """One preprocessor state: denoise on, AGC and dereverb off (VAD is off by default)."""

    def __init__(self, lib: ctypes.CDLL, frame: int, sr: int, suppress_db: int):
        self._lib = lib
        self.frame = frame
        self._st = lib.speex_preprocess_state_init(frame, sr)
        if not self._st:
            raise RuntimeError("speex_preprocess_state_init failed")
        for request, value in ((_SET_DENOISE, 1), (_SET_AGC, 0), (_SET_DEREVERB, 0),
                               (_SET_NOISE_SUPPRESS, suppress_db)):
            v = ctypes.c_int(value)
            lib.speex_preprocess_ctl(self._st, request, ctypes.byref(v))

    def run(self, buf: np.ndarray, first: int, last: int) -> None:
        """Frames [first, last) of the contiguous int16 buffer, in place."""
        base, step = buf.ctypes.data, self.frame * 2
        for k in range(first, last):
            self._lib.speex_preprocess_run(self._st, base + k * step)

    def close(self) -> None:
        if self._st:
            self._lib.speex_preprocess_state_destroy(self._st)
            self._st = None


class SpeexDenoiser(Engine):
    info = EngineInfo(kind="denoise", name="fast", version="1.0")

    def __init__(self, suppress_db: int = _SUPPRESS_DB) -> None:
        self.suppress_db = suppress_db
        self._lib: Optional[ctypes.CDLL] = None

    def load(self) -> None:
        self._lib = _library()

    def warmup(self) -> None:
        self.run(AudioData(np.zeros(16000, np.float32), 16000), lambda _: None)

    def release(self) -> None:
        self._lib = None

    def run(self, audio: AudioData, report: ReportProgress) -> AudioData:
        lib = self._lib or _library()
        x = np.asarray(audio.samples, np.float32)
        x2 = (x[:, None] if x.ndim == 1 else x).T  # (channels, samples)
        sr, length = audio.sample_rate, x2.shape[1]
        frame = frame_len(sr)
        n_frames = -(-length // frame) + 1  # +1: the frame the output lags by
        out = np.empty_like(x2)
        total = max(1, n_frames * x2.shape[0])
        step = max(1, -(-total // _REPORT_STEPS))
        done = 0
        for c in range(x2.shape[0]):
            buf = np.zeros(n_frames * frame, np.int16)
            buf[:length] = np.clip(np.round(x2[c] * 32767.0), -32768, 32767)
            stream = _Stream(lib, frame, sr, self.suppress_db)
            try:
                # Offline we can settle the noise estimate on the start before processing it for real.
                prime = min(n_frames - 1, int(_PRIME_S * sr) // frame)
                if prime:
                    stream.run(buf[:prime * frame].copy(), 0, prime)
                for a in range(0, n_frames, step):
                    b = min(n_frames, a + step)
                    stream.run(buf, a, b)
                    done += b - a
                    report(min(0.99, done / total))
            finally:
                stream.close()
            out[c] = buf[frame:frame + length].astype(np.float32) / 32768.0
        report(1.0)
        return AudioData(samples=out[0].copy() if x.ndim == 1 else out.T.copy(), sample_rate=sr)
