"""The one inference precision option: fp32 is untouched, bf16 reaches the network of every
inference object (and its command), fp16 off a GPU is a one-line error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_generation_bundle import toy_generator

from diffmm.audio.mel import get_mel_preset
from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.forecaster import Forecaster
from diffmm.models.precision import inference_precision
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.models.vocoder import FAST_BETAS, Vocoder
from diffmm.timeseries import MultivariateSeries, TimeFeatureSpec


def tiny_vocoder() -> Vocoder:
    preset = get_mel_preset("hifigan", sample_rate=8000, n_mels=8, hop_length=32, fmax=4000.0)
    torch.manual_seed(0)
    model = DiffWave(DiffWaveConfig(2, 8, 2, preset.n_mels, preset.hop_length)).eval()
    torch.nn.init.normal_(model.output_projection.weight, std=0.05)  # not the zero init
    diffusion = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)
    return Vocoder(model, diffusion, preset, FAST_BETAS)


def tiny_forecaster() -> tuple[Forecaster, MultivariateSeries]:
    target = (10 + np.random.default_rng(0).gamma(2.0, 1.0, size=(3, 60))).astype(np.float32)
    series = MultivariateSeries(target, np.isfinite(target), "2016-01-01", "D", ["x", "y", "z"])
    features = TimeFeatureSpec("D")
    torch.manual_seed(0)
    cfg = TimeGradModelConfig(3, [1, 7], features.num_features, 7, 5, hidden_size=8, dropout=0.0)
    model = TimeGrad(cfg).eval()
    torch.nn.init.normal_(model.epsilon.output_projection.weight, std=0.3)
    diffusion = DiffusionConfig(num_steps=20, beta_start=1e-4, beta_end=0.1)
    return Forecaster([TimeGradPredictor(model, diffusion, features, series.item_ids)]), series


def close_but_not_equal(low: torch.Tensor, full: torch.Tensor) -> None:
    """bf16 changed the network's arithmetic (so the option reached it), by a bf16-sized amount
    (bf16 keeps 8 bits of mantissa: ~0.4% per value, a few % after a sampler's steps)."""
    assert low.dtype == torch.float32 and not torch.equal(low, full)
    assert float((low - full).abs().max()) < 0.05 * float(full.abs().max())


def test_fp32_is_no_autocast_and_fp16_needs_a_gpu() -> None:
    with inference_precision("fp32", "cpu"):
        assert not torch.is_autocast_enabled("cpu")
    with inference_precision("bf16", "cpu"):
        assert torch.is_autocast_enabled("cpu")
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16
    with pytest.raises(DiffmmError, match="needs a GPU"), inference_precision("fp16", "cpu"):
        pass
    with (
        pytest.raises(DiffmmError, match="unknown precision 'fp64'"),
        inference_precision("fp64", "cpu"),
    ):
        pass


def test_every_inference_object_runs_its_network_in_the_chosen_precision() -> None:
    generator = toy_generator()
    options = {"sampler": "ddim", "steps": 10, "seed": 1}
    full = generator.sample(64, **options)
    torch.testing.assert_close(generator.sample(64, dtype="fp32", **options), full, rtol=0, atol=0)
    close_but_not_equal(generator.sample(64, dtype="bf16", **options), full)

    vocoder = tiny_vocoder()
    mels = [torch.randn(8, 7, generator=torch.Generator().manual_seed(1)) - 3.0]
    full = vocoder.vocode(mels, generator=torch.Generator().manual_seed(2))
    low = vocoder.vocode(mels, generator=torch.Generator().manual_seed(2), dtype="bf16")
    for a, b in zip(low, full):
        close_but_not_equal(a, b)

    forecaster, series = tiny_forecaster()
    options = {"num_windows": 1, "num_samples": 4, "sampler": "ddim", "steps": 4, "seed": 0}
    full = forecaster.forecast(series, **options).samples
    low = forecaster.forecast(series, dtype="bf16", **options).samples
    assert low.dtype == full.dtype and not np.array_equal(low, full)
    assert np.abs(low - full).max() < 0.05 * np.abs(full).max()


def test_the_commands_pass_the_option_on(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bundle = toy_generator(num_classes=None).export(tmp_path / "bundle")
    outputs = {}
    for dtype in ("fp32", "bf16"):
        out = tmp_path / f"{dtype}.npy"
        argv = ["sample", str(bundle), "-o", str(out), "-n", "32", "--steps", "8", "--dtype", dtype]
        assert main(argv) == 0
        assert f"cpu, {dtype})" in capsys.readouterr().out
        outputs[dtype] = np.load(out)
    assert not np.array_equal(outputs["fp32"], outputs["bf16"])
    argv = ["sample", str(bundle), "-o", str(tmp_path / "x.npy"), "--dtype", "fp16"]
    assert main(argv) == 2
    assert "needs a GPU" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()
