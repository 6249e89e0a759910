"""``diffmm restore`` on waveforms: gap filling and bandwidth extension with a tiny
random-weight unconditional DiffWave bundle (800-sample clips at 8 kHz): the plumbing only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from diffmm.audio.restoration import bandwidth_measurement, gap_measurement, parse_gaps, segments
from diffmm.bundle import export_bundle
from diffmm.cli.main import main
from diffmm.diffusion.inverse import LowPassOperator
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.restoration import Restorer

RATE, CLIP = 8000, 800


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model_cfg = DiffWaveConfig(2, 4, 2, None)
    config = {
        "model": vars(model_cfg),
        "diffusion": {"num_steps": 20, "beta_start": 1e-4, "beta_end": 0.05},
        "sample_rate": RATE,
        "data_shape": [1, CLIP],
    }
    path = tmp_path_factory.mktemp("restore_audio") / "bundle"
    return export_bundle(path, family="diffwave", config=config, model=DiffWave(model_cfg))


def test_gap_filling_keeps_the_signal_outside_the_gaps(bundle: Path, tmp_path: Path) -> None:
    t = np.arange(1900) / RATE
    wave = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    sf.write(tmp_path / "in.wav", wave, RATE, subtype="FLOAT")
    out = tmp_path / "filled.wav"
    argv = ["restore", str(bundle), "gap-fill", "-i", str(tmp_path / "in.wav"), "-o", str(out)]
    assert main([*argv, "--gaps", "0.01-0.03,0.2-0.21", "--steps", "5"]) == 0
    filled, rate = sf.read(out, dtype="float32")
    assert rate == RATE and filled.shape == wave.shape
    gap = np.zeros(len(wave), bool)
    gap[80:240] = gap[1600:1680] = True
    # written as 16-bit PCM: known samples within one quantisation step
    assert np.abs(filled[~gap] - wave[~gap]).max() <= 1 / 32768 + 1e-7
    assert np.abs(filled[gap] - wave[gap]).max() > 1e-3  # the gap was sampled, not copied


def test_bandwidth_extension_keeps_the_low_band(bundle: Path) -> None:
    low_rate = 4000
    wave = np.random.default_rng(0).normal(0, 0.1, 1000).astype(np.float32)
    measurement, length = bandwidth_measurement(wave, low_rate, RATE, CLIP)
    assert length == 2000 and measurement.num_examples == 3
    restored = Restorer(DiffusionGenerator.from_bundle(bundle)).restore(
        measurement, method="ddnm", steps=5
    )
    # the restored clips' band below 2 kHz is the input's; above it is the model's
    low_band = LowPassOperator(low_rate / RATE)
    torch.testing.assert_close(low_band(restored), measurement.y, atol=1e-5, rtol=0)
    assert (restored - low_band(restored)).abs().max() > 1e-3


def test_gaps_and_segments() -> None:
    assert parse_gaps("0.5-0.7, 1.2-1.25") == [(0.5, 0.7), (1.2, 1.25)]
    mask = gap_measurement(np.ones(1500, np.float32), 1000, [(0.1, 0.2)], 1000).operator.mask
    assert mask.shape == (2, 1, 1000)
    assert not mask.flatten()[100:200].any() and mask.flatten()[200:].all()
    assert segments(np.ones(3, np.float32), 2).flatten().tolist() == [1, 1, 1, 0]


def test_bad_audio_input_is_a_one_line_error(bundle: Path, tmp_path: Path, capsys) -> None:
    sf.write(tmp_path / "in.wav", np.zeros(400, np.float32), RATE)
    for extra, message in [
        (["gap-fill", "--gaps", "0.2-0.1"], "0 ≤ start < end"),
        (["gap-fill", "--gaps", "1.0-1.1"], "starts after the end"),
        (["bandwidth"], "needs input below the model's rate"),
        (["inpaint"], "does not apply to a diffwave bundle"),
    ]:
        argv = ["restore", str(bundle), extra[0], "-i", str(tmp_path / "in.wav")]
        assert main([*argv, "-o", str(tmp_path / "o.wav"), *extra[1:]]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err, err
