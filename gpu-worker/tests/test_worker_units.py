"""Worker building blocks without a database: config, storage keys, audio decode/encode."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
import soundfile as sf

from voxgraph_worker import audio_io, config, protocol
from voxgraph_worker.engines.base import AudioData
from voxgraph_worker.storage import LocalStorage

BASE = {"DATABASE_URL": "postgres://x/y", "DATA_DIR": "/tmp/d"}


def test_config_defaults_and_overrides():
    c = config.load(BASE)
    assert (c.concurrency, c.queues, c.poll_seconds, c.heartbeat_seconds) == (1, ("denoise", "align", "synthesize"), 2.0, 5.0)
    assert (c.shutdown_grace_seconds, c.progress_interval_seconds, c.log_level) == (20.0, 0.5, "info")
    assert c.worker_id and c.test_engines is None
    c = config.load({**BASE, "WORKER_CONCURRENCY": "3", "WORKER_QUEUES": "align", "WORKER_ID": "w1", "LOG_LEVEL": "WARN"})
    assert (c.concurrency, c.queues, c.worker_id, c.log_level) == (3, ("align",), "w1", "warning")


@pytest.mark.parametrize("api_level,worker_level", [
    ("fatal", "fatal"), ("error", "error"), ("warn", "warning"), ("info", "info"), ("debug", "debug"),
    ("trace", "debug"), ("silent", "silent"),
])
def test_every_log_level_the_api_accepts_is_understood(api_level, worker_level):
    # src/config.ts's LOG_LEVEL values; npm start passes its LOG_LEVEL to the workers it runs.
    assert config.load({**BASE, "LOG_LEVEL": api_level}).log_level == worker_level


@pytest.mark.parametrize("env", [
    {"DATA_DIR": "/tmp"},
    {"DATABASE_URL": "postgres://x/y"},
    {**BASE, "WORKER_CONCURRENCY": "0"},
    {**BASE, "WORKER_POLL_SECONDS": "soon"},
    {**BASE, "WORKER_QUEUES": "denoise,Bad-Name"},
    {**BASE, "LOG_LEVEL": "chatty"},
])
def test_bad_config_is_refused(env):
    with pytest.raises(config.ConfigError):
        config.load(env)


def test_storage_put_is_atomic_and_keys_cannot_escape(tmp_path):
    s = LocalStorage(tmp_path)
    s.put("t1/a.wav", b"abc")
    assert s.open("t1/a.wav").read() == b"abc" and not list((tmp_path / "objects" / "t1").glob(".tmp-*"))
    s.delete("t1/a.wav")
    s.delete("t1/a.wav")  # idempotent
    for bad in ("../x", "/etc/passwd", "a//b", "a/./b", ""):
        with pytest.raises(ValueError):
            s.path(bad)


def test_encode_wav_clips_and_describes(tmp_path):
    enc = audio_io.encode_wav(AudioData(np.array([0.0, 2.0, -2.0, 0.5], dtype=np.float32), 8000))
    (tmp_path / "x.wav").write_bytes(enc.data)
    data, sr = sf.read(tmp_path / "x.wav", dtype="int16")
    assert sr == 8000 and data[1] == 32767 and data[2] <= -32767 and enc.channels == 1
    assert enc.duration == 4 / 8000 and len(enc.sha256) == 64
    with pytest.raises(ValueError):
        audio_io.encode_wav(AudioData(np.zeros(0, dtype=np.float32), 8000))


@pytest.mark.parametrize("fmt,rate,channels", [(f, r, c) for f in ("wav", "flac", "mp3", "opus")
                                                for r in (8000, 22050, 44000, 48000) for c in (1, 2)])
def test_every_result_format_decodes_back_to_the_same_sound(fmt, rate, channels):
    t = np.arange(int(rate * 0.5)) / rate
    tone = (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    x = tone if channels == 1 else np.stack([tone, 0.5 * tone], axis=1)
    enc = audio_io.encode(AudioData(x, rate), fmt)
    assert enc.format == fmt and enc.info == protocol.AUDIO_FORMATS[fmt]
    # Opus codes 8/12/16/24/48 kHz only: another rate comes back at 48 kHz.
    want_rate = (48000 if fmt == "opus" and rate not in audio_io.OPUS_RATES else
                 44100 if fmt == "mp3" and rate not in audio_io.MP3_RATES else rate)
    assert enc.sample_rate == want_rate and enc.channels == channels
    decoded, sr = sf.read(io.BytesIO(enc.data), dtype="float32", always_2d=True)
    assert sr == want_rate and decoded.shape[1] == channels
    assert abs(decoded.shape[0] / sr - 0.5) < 0.08  # codec priming and padding aside
    # The same loudness per channel (lossy codecs keep the level of a pure tone within 1.5 dB).
    for ch in range(channels):
        level = float(np.sqrt(np.mean(decoded[:, ch] ** 2)))
        expected = 0.4 / np.sqrt(2) * (1 if ch == 0 else 0.5)
        assert abs(20 * np.log10(level / expected)) < 1.5, (fmt, rate, ch, level)
    with pytest.raises(ValueError):
        audio_io.encode(AudioData(x, rate), "aiff")


def test_mp3_takes_more_than_two_channels_mixed_down():
    x = np.tile((0.3 * np.sin(np.arange(8000) / 5)).astype(np.float32)[:, None], (1, 4))
    enc = audio_io.encode(AudioData(x, 16000), "mp3")
    decoded, sr = sf.read(io.BytesIO(enc.data), dtype="float32", always_2d=True)
    assert enc.channels == 1 and decoded.shape[1] == 1 and sr == 16000


def test_inputs_libsndfile_cannot_read_are_decoded_with_ffmpeg(tmp_path):
    sr = 22050
    t = np.arange(sr) / sr
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 300 * t), 0.5 * np.sin(2 * np.pi * 500 * t)], axis=1)
    sf.write(tmp_path / "src.wav", stereo.astype(np.float32), sr)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(tmp_path / "src.wav"), "-c:a", "aac", "-b:a", "96k",
                    str(tmp_path / "in.m4a")], check=True)
    with pytest.raises(Exception):
        sf.read(tmp_path / "in.m4a")  # the premise: libsndfile cannot
    audio = audio_io.decode(tmp_path / "in.m4a")
    assert audio.sample_rate == sr and audio.channels == 2
    assert abs(audio.duration - 1.0) < 0.1 and np.abs(audio.samples).max() > 0.3


@pytest.mark.parametrize("ext", ["wav", "m4a"])  # libsndfile, and the ffmpeg path
def test_inputs_are_decoded_at_the_rate_and_channels_an_engine_asks_for(tmp_path, ext):
    sr = 48000
    t = np.arange(2 * sr) / sr
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 300 * t), 0.25 * np.sin(2 * np.pi * 300 * t)], axis=1)
    sf.write(tmp_path / "src.wav", stereo.astype(np.float32), sr)
    path = tmp_path / "src.wav"
    if ext != "wav":
        path = tmp_path / f"in.{ext}"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(tmp_path / "src.wav"), "-c:a", "aac", str(path)],
                       check=True)
    native = audio_io.decode(path)
    assert (native.sample_rate, native.channels) == (48000, 2)
    audio = audio_io.decode(path, sample_rate=16000, mono=True)
    assert audio.sample_rate == 16000 and audio.samples.ndim == 1
    assert abs(audio.duration - 2.0) < 0.05
    # The mix-down is the mean of the channels: a 300 Hz tone at 0.375.
    mid = audio.samples[4000:28000]
    assert abs(np.sqrt(np.mean(mid ** 2)) * np.sqrt(2) - 0.375) < 0.02


def test_a_job_s_input_memory_is_estimated_at_its_engine_s_rate():
    from voxgraph_worker.engines.base import Engine, EngineInfo
    from voxgraph_worker.runner import ClaimedJob

    class Aligner(Engine):
        info = EngineInfo(kind="align", name="a", version="1", input_sample_rate=16000, input_mono=True)

    class Denoiser(Engine):
        info = EngineInfo(kind="denoise", name="d", version="1")

    data = {"input": {"storageKey": "t/x.wav", "durationSeconds": 60.0, "sampleRate": 48000, "channels": 2}}
    job = lambda e: ClaimedJob(id="j", queue="q", data=data, retry_count=0, expire_seconds=60, heartbeat_seconds=10,
                               engine=e, engine_error=None)
    assert job(Denoiser()).input_bytes() == 60 * 48000 * 2 * 4
    assert job(Aligner()).input_bytes() == 60 * 16000 * 1 * 4
    assert ClaimedJob(id="j", queue="q", data={}, retry_count=0, expire_seconds=60, heartbeat_seconds=10,
                      engine=None, engine_error=None).input_bytes() == 0


def test_missing_and_garbage_inputs(tmp_path):
    with pytest.raises(audio_io.InputMissing):
        audio_io.decode(tmp_path / "nope.wav")
    (tmp_path / "junk.mp3").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(audio_io.DecodeFailed):
        audio_io.decode(tmp_path / "junk.mp3")
