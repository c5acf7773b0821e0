"""Decoding inputs to AudioData and encoding results as 16-bit PCM WAV.

soundfile (libsndfile) covers wav/flac/ogg/mp3; anything it cannot read (m4a/aac, webm …) goes
through ffmpeg, decoded to float32 PCM on stdout. An engine that works at one rate and in mono (the
aligners: 16 kHz) gets its input decoded that way: a multi-channel file is mixed down block by
block, so the whole multi-channel signal never sits in memory at once.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from . import protocol
from .engines.base import AudioData
from .outcomes import JobFailure
from .engines.support.dsp import resample


class InputMissing(JobFailure):
    code = "INPUT_MISSING"


class DecodeFailed(JobFailure):
    code = "DECODE_FAILED"


_BLOCK_FRAMES = 1 << 18  # frames per block when mixing down while reading (≈ 5 s at 48 kHz)


def decode(path: Path, timeout: float = 600, sample_rate: int | None = None, mono: bool = False) -> AudioData:
    """The input as float32; at `sample_rate` and in mono when asked (None: as the file is)."""
    path = Path(path)
    if not path.is_file():
        raise InputMissing(f"input object not found: {path.name}")
    try:
        with sf.SoundFile(str(path)) as f:
            rate = f.samplerate
            if mono and f.channels > 1:
                parts = [b.mean(axis=1, dtype=np.float32) for b in f.blocks(_BLOCK_FRAMES, dtype="float32", always_2d=True)]
                samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
            else:
                samples = f.read(dtype="float32", always_2d=False)
    except Exception:  # libsndfile cannot decode this container/codec: try ffmpeg
        return _ffmpeg_decode(path, timeout, sample_rate, mono)
    audio = _checked(AudioData(samples=np.ascontiguousarray(samples, dtype=np.float32), sample_rate=int(rate)))
    if sample_rate and sample_rate != audio.sample_rate:
        audio = AudioData(resample(audio.samples, audio.sample_rate, sample_rate), sample_rate)
    return audio


def _checked(audio: AudioData) -> AudioData:
    if audio.samples.size == 0 or audio.samples.shape[0] == 0:
        raise DecodeFailed("input has no audio samples")
    return audio


def _ffmpeg_decode(path: Path, timeout: float, sample_rate: int | None = None, mono: bool = False) -> AudioData:
    try:
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=channels,sample_rate",
             "-of", "json", str(path)], capture_output=True, timeout=60, check=True)
        streams = json.loads(probe.stdout).get("streams") or []
        if not streams:
            raise DecodeFailed("input has no audio stream")
        source_channels = int(streams[0]["channels"])
        channels = 1 if mono else source_channels
        rate = sample_rate or int(streams[0]["sample_rate"])
    except DecodeFailed:
        raise
    except FileNotFoundError as e:
        raise RuntimeError("ffprobe is not installed") from e  # retryable: a broken host, not bad input
    except (subprocess.CalledProcessError, ValueError, KeyError) as e:
        raise DecodeFailed(f"cannot probe input: {_stderr(e)}") from e
    # A mix-down is the plain mean of the channels, as on the libsndfile path (ffmpeg's own -ac 1
    # weights them by its surround rules).
    mix = (["-af", "pan=mono|c0=" + "+".join(f"{1 / source_channels}*c{i}" for i in range(source_channels))]
           if mono and source_channels > 1 else [])
    try:
        out = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", *mix, "-f", "f32le",
             "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(rate), "-"],
            capture_output=True, timeout=timeout, check=True)
    except FileNotFoundError as e:
        raise RuntimeError("ffmpeg is not installed") from e
    except subprocess.CalledProcessError as e:
        raise DecodeFailed(f"cannot decode input: {_stderr(e)}") from e
    samples = np.frombuffer(out.stdout, dtype="<f4").astype(np.float32)
    if channels > 1:
        samples = samples[: len(samples) - len(samples) % channels].reshape(-1, channels)
    return _checked(AudioData(samples=samples, sample_rate=rate))


def _stderr(e: Exception) -> str:
    err = getattr(e, "stderr", None)
    return (err.decode(errors="replace").strip()[-300:] if isinstance(err, bytes) else str(e)) or str(e)


@dataclass
class EncodedAudio:
    data: bytes
    sha256: str
    duration: float
    sample_rate: int
    channels: int
    format: str  # a key of protocol.AUDIO_FORMATS

    @property
    def info(self) -> dict:
        return protocol.AUDIO_FORMATS[self.format]


# libsndfile's (format, subtype) for each of the contract's result formats.
_SNDFILE = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"), "opus": ("OGG", "OPUS")}
# Opus codes only these rates; another is resampled to 48 kHz (what decoders play Opus at anyway).
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# MPEG audio's rates (LAME refuses others) and channels (libsndfile's MP3 writer takes at most 2).
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


def encode(audio: AudioData, fmt: str = "wav") -> EncodedAudio:
    """A result audio as a file of the contract's format (16-bit where the format has a depth)."""
    if fmt not in _SNDFILE:
        raise ValueError(f"unknown result format {fmt!r}")
    samples = np.asarray(audio.samples, dtype=np.float32)
    if samples.ndim not in (1, 2) or samples.shape[0] == 0:
        raise ValueError(f"engine returned no audio (shape {samples.shape})")
    samples = np.nan_to_num(np.clip(samples, -1.0, 1.0))  # PCM_16 wraps around without clipping
    rate = int(audio.sample_rate)
    if fmt == "opus" and rate not in OPUS_RATES:
        samples, rate = np.clip(resample(samples, rate, 48000), -1.0, 1.0), 48000
    if fmt == "mp3":
        if samples.ndim == 2 and samples.shape[1] > 2:  # more than stereo: mixed down to mono
            samples = samples.mean(axis=1).astype(np.float32)
        if rate not in MP3_RATES:  # the nearest MPEG rate at or above it (48 kHz at most)
            to = next((r for r in MP3_RATES if r >= rate), 48000)
            samples, rate = np.clip(resample(samples, rate, to), -1.0, 1.0), to
    buf = io.BytesIO()
    container, subtype = _SNDFILE[fmt]
    sf.write(buf, samples, rate, format=container, subtype=subtype)
    data = buf.getvalue()
    return EncodedAudio(data=data, sha256=hashlib.sha256(data).hexdigest(), duration=samples.shape[0] / float(rate),
                        sample_rate=rate, channels=1 if samples.ndim == 1 else int(samples.shape[1]), format=fmt)


def encode_wav(audio: AudioData) -> EncodedAudio:
    return encode(audio, "wav")
