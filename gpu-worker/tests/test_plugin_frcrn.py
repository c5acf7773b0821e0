"""The FRCRN denoiser plug-in (engines/denoise_frcrn.py, models/frcrn.py).

No published weights can be fetched here: each test writes a model folder in ModelScope's layout
(configuration.json + pytorch_model.bin, a plain state dict of the FRCRN module, as the published
damo/speech_frcrn_ans_cirm_16k) with random weights of a tiny configuration, and loads it through
the engine like a deployment would. What is checked is loading, shapes, batching, windowing and
errors, not denoising quality (random weights do not denoise). All on the CPU.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from voxgraph_eval import noise
from voxgraph_eval.speech import espeak_clip
from voxgraph_worker.engines.base import AudioData, Cancelled, Task
from voxgraph_worker.engines.denoise_frcrn import (FrcrnDenoiser, crossfade_weights, level_gain, plan_windows)
from voxgraph_worker.engines.support.dsp import resample
from voxgraph_worker.models.frcrn import FRCRN, FrcrnConfig

torch.set_num_threads(1)

# The "model" section of the published configuration.json, plus our two size knobs made tiny.
PUBLISHED = {"type": "speech_frcrn_ans_cirm_16k", "complex": True, "model_complexity": 45, "model_depth": 14,
             "log_amp": False, "padding_mode": "zeros", "win_len": 640, "win_inc": 320, "fft_len": 640,
             "win_type": "hann"}
TINY = dict(PUBLISHED, channels=8, fsmn_order=4)


def write_folder(path, model_section, state=None, seed=0):
    path.mkdir(parents=True, exist_ok=True)
    (path / "configuration.json").write_text(json.dumps(
        {"framework": "pytorch", "task": "acoustic-noise-suppression", "model": model_section}))
    if state is None:
        torch.manual_seed(seed)
        model = FRCRN(FrcrnConfig.from_dict(model_section))
        # Non-trivial batch-norm statistics, so that loading them matters.
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        state = model.state_dict()
    torch.save(state, path / "pytorch_model.bin")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("frcrn"), TINY)


@pytest.fixture(scope="module")
def engine(folder):
    e = FrcrnDenoiser(str(folder), device="cpu", window_s=3.0, overlap_s=0.5)
    e.load()
    e.warmup()
    yield e
    e.release()


@pytest.fixture(scope="module")
def noisy():
    """4 s of espeak speech with babble at 5 dB, at espeak's own rate (22050 Hz)."""
    clip = espeak_clip("The quick brown fox jumps over the lazy dog near the river bank.", "en")
    x = noise.add(clip.samples, "babble", 5.0, clip.sample_rate, seed=1)
    return AudioData(x, clip.sample_rate)


def collect():
    seen = []
    return seen, seen.append


def test_engine_identity():
    assert FrcrnDenoiser.info.name == "frcrn" and FrcrnDenoiser.info.kind == "denoise"
    assert FrcrnDenoiser.info.plugin is True
    assert FrcrnDenoiser.info.max_batch > 1 and FrcrnDenoiser.info.memory_mb_per_item > 0


def test_output_is_the_network_on_the_level_normalised_padded_input(engine, folder):
    """A clip shorter than a window: one network call on [320 zeros, clip at -25 dB, zeros to the
    0.5 s bucket, 320 zeros], scaled back by the same gain. The reference module is built from the
    same files independently of the engine, so this also shows the weights were really read."""
    rng = np.random.default_rng(3)
    x = (0.05 * rng.standard_normal(12345)).astype(np.float32)
    out = engine.run(AudioData(x, 16000), lambda _: None)

    ref = FRCRN(FrcrnConfig.from_dict(TINY)).eval()
    ref.load_state_dict(torch.load(folder / "pytorch_model.bin"))
    g = level_gain(x)
    padded = np.zeros(320 + 16000 + 320, np.float32)
    padded[320:320 + len(x)] = x * g
    with torch.inference_mode():
        y = ref(torch.from_numpy(padded)[None])[0].numpy()[320:320 + len(x)] / g
    assert np.allclose(out.samples, y, atol=1e-5)
    assert not np.allclose(out.samples, x, atol=1e-3)  # the network did something


def test_keeps_length_rate_and_channels(engine, noisy):
    seen, report = collect()
    out = engine.run(noisy, report)
    assert out.sample_rate == noisy.sample_rate
    assert out.samples.shape == noisy.samples.shape and out.samples.dtype == np.float32
    assert np.isfinite(out.samples).all() and np.abs(out.samples).max() > 0
    assert seen and seen == sorted(seen) and 0.9 <= seen[-1] <= 1.0

    stereo = AudioData(np.stack([noisy.samples, 0.5 * noisy.samples[::-1]], axis=1), noisy.sample_rate)
    out2 = engine.run(stereo, lambda _: None)
    assert out2.samples.shape == stereo.samples.shape and np.isfinite(out2.samples).all()
    # Each channel is its own row: the left channel comes out as it does alone.
    assert np.allclose(out2.samples[:, 0], out.samples, atol=1e-5)


def test_level_is_restored(engine, noisy):
    """Upstream normalises to -25 dB; the output is scaled back: 20 dB quieter in, 20 dB quieter out."""
    a = engine.run(noisy, lambda _: None).samples
    b = engine.run(AudioData(noisy.samples * 0.1, noisy.sample_rate), lambda _: None).samples
    assert np.allclose(b, a * 0.1, atol=1e-5)


def test_long_audio_goes_through_overlapping_windows(engine):
    """11 s with 3 s windows: four windows, output the full length with no seam of silence."""
    clip = espeak_clip(" ".join(["Please call Stella and ask her to bring these things with her from the store."] * 3))
    x = noise.add(resample(clip.samples, clip.sample_rate, 16000), "pink", 10.0, 16000, seed=2)
    assert len(x) > 3 * 16000 * 3
    out = engine.run(AudioData(x, 16000), lambda _: None).samples
    assert out.shape == x.shape and np.isfinite(out).all()
    frame = 320
    energy = (out[: len(out) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1)
    assert (energy[:-1] > 0).all()


def test_window_plan_and_crossfade():
    for n, win, ov in [(1000, 3000, 500), (3000, 3000, 500), (3001, 3000, 500), (10_000, 3000, 500),
                       (176_400, 48_000, 8000)]:
        w = plan_windows(n, win, ov)
        assert w[0][0] == 0 and w[-1][1] == n
        assert all(b - a == min(n, win) for a, b in w)
        assert all(w[k + 1][0] < w[k][1] and w[k + 1][1] - w[k][1] >= 0 for k in range(len(w) - 1))
        assert all(w[k][1] - w[k + 1][0] >= ov for k in range(len(w) - 1))
        total = np.zeros(n)
        for (a, b), wt in zip(w, crossfade_weights(w)):
            total[a:b] += wt
        assert np.allclose(total, 1.0)


def test_batch_equals_one_by_one(engine, noisy):
    rng = np.random.default_rng(5)
    short = AudioData((0.1 * rng.standard_normal(9000)).astype(np.float32), 8000)
    stereo = AudioData(np.stack([noisy.samples, noisy.samples * 0.3], 1), noisy.sample_rate)
    long16 = AudioData(resample(np.tile(noisy.samples, 2), noisy.sample_rate, 16000), 16000)
    audios = [noisy, short, stereo, long16]
    single = [engine.run(a, lambda _: None) for a in audios]
    batch = engine.run_batch([Task(kind="denoise", report=lambda _: None, audio=a) for a in audios])
    for s, b, a in zip(single, batch, audios):
        assert isinstance(b, AudioData) and b.sample_rate == a.sample_rate
        assert b.samples.shape == a.samples.shape
        assert np.allclose(s.samples, b.samples, atol=1e-4)


def test_a_cancelled_job_in_a_batch_does_not_stop_the_others(engine, noisy):
    def cancelled(_):
        raise Cancelled("gone")

    out = engine.run_batch([Task(kind="denoise", report=cancelled, audio=noisy),
                            Task(kind="denoise", report=lambda _: None, audio=noisy)])
    assert isinstance(out[0], Cancelled)
    assert isinstance(out[1], AudioData) and out[1].samples.shape == noisy.samples.shape


def test_empty_audio_comes_back_empty(engine):
    out = engine.run(AudioData(np.zeros(0, np.float32), 16000), lambda _: None)
    assert out.samples.shape == (0,)


def test_checkpoint_key_prefixes_are_accepted(tmp_path, folder, noisy, engine):
    """A training checkpoint of upstream's FRCRNDecorator ({"state_dict": {"model.…"}}), or one
    saved from DataParallel ("module.…"), loads to the same network."""
    state = torch.load(folder / "pytorch_model.bin")
    expected = engine.run(noisy, lambda _: None).samples
    for wrapped in ({"state_dict": {"model." + k: v for k, v in state.items()}},
                    {"module." + k: v for k, v in state.items()}):
        d = write_folder(tmp_path / str(len(list(tmp_path.iterdir()))), TINY, state=wrapped)
        e = FrcrnDenoiser(str(d), device="cpu", window_s=3.0, overlap_s=0.5)
        e.load()
        assert np.allclose(e.run(noisy, lambda _: None).samples, expected, atol=1e-6)


def test_broken_folders_give_clear_errors(tmp_path, folder):
    assert FrcrnDenoiser.available(str(folder))
    assert not FrcrnDenoiser.available(str(tmp_path / "nowhere"))
    assert not FrcrnDenoiser.available("")

    def load(path):
        FrcrnDenoiser(str(path), device="cpu").load()

    with pytest.raises(ValueError, match="does not exist"):
        load(tmp_path / "nowhere")

    no_bin = tmp_path / "no_bin"
    no_bin.mkdir()
    (no_bin / "configuration.json").write_text(json.dumps({"model": TINY}))
    with pytest.raises(ValueError, match="pytorch_model.bin"):
        load(no_bin)

    corrupt = write_folder(tmp_path / "corrupt", TINY)
    (corrupt / "pytorch_model.bin").write_bytes(b"not a checkpoint" * 100)
    with pytest.raises(ValueError, match="could not be read"):
        load(corrupt)

    bad_json = write_folder(tmp_path / "bad_json", TINY)
    (bad_json / "configuration.json").write_text("{model:")
    with pytest.raises(ValueError, match="not valid JSON"):
        load(bad_json)

    state = torch.load(folder / "pytorch_model.bin")
    other_size = write_folder(tmp_path / "other_size", dict(TINY, channels=16))
    (other_size / "configuration.json").write_text(json.dumps({"model": TINY}))
    with pytest.raises(ValueError, match="shapes do not match"):
        load(other_size)

    missing = write_folder(tmp_path / "missing", TINY,
                           state={k: v for k, v in state.items() if "unet2.encoder3" not in k
                                  and "unet2.encoders.3" not in k})
    with pytest.raises(ValueError, match="missing"):
        load(missing)

    extra = write_folder(tmp_path / "extra", TINY, state=dict(state, **{"unet.extra.weight": torch.zeros(1)}))
    with pytest.raises(ValueError, match="unexpected"):
        load(extra)

    with pytest.raises(ValueError, match="model_depth"):
        load(write_folder(tmp_path / "depth20", dict(TINY, model_depth=20), state={"x": torch.zeros(1)}))


# ---- the full-size (published) configuration ------------------------------------------------------

def _published_parameter_count(c: int = 128, order: int = 20) -> int:
    """Parameters of upstream's FRCRN at the published configuration, counted layer by layer from
    modelscope/models/audio/ans/unet.py (model_depth 14) without building anything."""
    fsmn = c * c + c + c * c + c * order  # UniDeepFsmn: linear (w, b), project (w), depthwise conv
    cconv = lambda cin, cout, kh, kw: 2 * (cin * cout * kh * kw + cout)  # noqa: E731 (re + im convs)
    cbn = lambda n: 2 * 2 * n  # noqa: E731 (re + im batch norms: weight and bias)
    se = lambda n: 2 * ((n * (n // 8) + n // 8) + (n // 8 * n + n))  # noqa: E731
    enc_k = [(5, 2)] * 6 + [(2, 2)]
    enc_ch = [1] + [c] * 7
    dec_k = [(2, 2), (5, 2), (5, 2), (5, 2), (6, 2), (5, 2), (5, 2)]
    dec_ch = [c // 2] + [c] * 6 + [1]
    unet = 4 * fsmn + 14 * 2 * fsmn  # bottleneck (2 complex layers) + fsmn_enc0..6 + fsmn_dec0..6
    unet += sum(cconv(enc_ch[i], enc_ch[i + 1], *enc_k[i]) + cbn(enc_ch[i + 1]) + se(enc_ch[i + 1]) for i in range(7))
    unet += sum(cconv(dec_ch[i] * 2, dec_ch[i + 1], *dec_k[i]) + cbn(dec_ch[i + 1]) for i in range(7))
    unet += sum(se(dec_ch[i + 1]) for i in range(6)) + cconv(1, 1, 1, 1)
    stft_kernels = 2 * (2 * 321 * 640)  # ConvSTFT and ConviSTFT weights (frozen nn.Parameters)
    return 2 * unet + stft_kernels


def test_full_size_configuration_has_the_published_architecture():
    model = FRCRN(FrcrnConfig.from_dict(PUBLISHED))
    params = sum(p.numel() for p in model.parameters())
    assert params == _published_parameter_count() == 13_963_604
    learned = sum(p.numel() for n, p in model.named_parameters() if not n.startswith(("stft.", "istft.")))
    assert learned == 13_141_844
    # Blocks are registered under both names, as upstream (both are keys of its state dict).
    keys = model.state_dict().keys()
    assert "unet.encoder0.conv.conv_re.weight" in keys and "unet.encoders.0.conv.conv_re.weight" in keys
    assert "unet2.se_layer_dec5.fc_r.0.weight" in keys and "unet.fsmn_dec6.fsmn_re_L1.conv1.weight" in keys


def test_full_size_model_on_one_second():
    torch.manual_seed(0)
    model = FRCRN(FrcrnConfig.from_dict(PUBLISHED)).eval()
    x = torch.from_numpy(resample(espeak_clip("Good morning.").samples[:22050], 22050, 16000))
    x = torch.nn.functional.pad(x, (320, 320 + (-len(x)) % 320))[None]
    with torch.inference_mode():
        y = model(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
