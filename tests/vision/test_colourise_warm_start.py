"""``diffmm restore BUNDLE colorize --warm-start T0``: SDEdit's / CCDF's warm start.

With an untrained UNet (its output layer starts at zero, so ε̂ = 0) the result has a closed
form. DDIM from x_t₀ = α_t₀ g + σ_t₀ ε, g the grey image in every channel, gives
x̂₀ = x_t₀ / α_t₀ = g + (σ_t₀/α_t₀) ε; DDNM projects it onto luma = y, which keeps g and
removes ε's component along the luma weights w; later steps leave the projected x̂₀ as it is.
So every sample is g + (σ_t₀/α_t₀) (I − w wᵀ/‖w‖²) ε, with α_t₀² = Π_{k≤t₀} (1 − β_k) of the
bundle's linear schedule. Started from noise instead (the option ignored), x̂₀ = x_T/α_T is
clipped to ±1 and nowhere near it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig
from diffmm.diffusion.inverse import ChannelMeanOperator, Measurement
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image import ImageModelConfig, ImageUNet
from diffmm.models.restoration import Restorer
from diffmm.vision.pixels import uint8_to_signed

pytestmark = pytest.mark.vision

STEPS, BETA_END = 20, 0.2
WEIGHTS = np.array([0.299, 0.587, 0.114])


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("warm_start")
    cfg = ImageModelConfig(
        in_channels=3,
        model_channels=8,
        channel_mult=[1, 2],
        num_res_blocks=1,
        attention_resolutions=[2],
        dropout=0.0,
    )
    diffusion = DiffusionConfig(
        schedule="linear", num_steps=STEPS, beta_end=BETA_END, clip_x0=[-1.0, 1.0]
    )
    torch.manual_seed(0)
    generator = DiffusionGenerator("image", ImageUNet(cfg).eval(), diffusion, (3, 8, 8))
    greys = np.random.default_rng(0).integers(120, 137, (2, 8, 8), dtype=np.uint8)
    (work / "grey").mkdir()
    for i, grey in enumerate(greys):
        Image.fromarray(grey).save(work / "grey" / f"grey_{i}.png")
    return {"work": work, "generator": generator, "bundle": generator.export(work / "bundle"),
            "greys": greys}  # fmt: skip


def colorize(setup: dict, name: str, *options: str) -> np.ndarray:
    work = setup["work"]
    raw = work / f"{name}.npy"
    argv = ["restore", str(setup["bundle"]), "colorize", "-i", str(work / "grey")]
    argv += ["-o", str(work / f"{name}.npz"), "--samples-npy", str(raw), "--method", "ddnm"]
    argv += ["--sampler", "ddim", "--steps", str(STEPS), "--num-samples", "2", *options]
    assert main(argv) == 0
    return np.load(raw).astype(np.float64)  # (K·N, 3, 8, 8), sample k of image i at k·N + i


@pytest.mark.parametrize("start_time", [1, 2])
def test_warm_start_matches_the_closed_form(setup: dict, start_time: int) -> None:
    samples = colorize(setup, f"warm_{start_time}", "--warm-start", str(start_time))
    alpha_bar = np.prod(1 - np.linspace(1e-4, BETA_END, STEPS)[: start_time + 1])
    ratio = np.sqrt((1 - alpha_bar) / alpha_bar)  # σ_t₀ / α_t₀
    grey = uint8_to_signed(torch.from_numpy(setup["greys"])).double().numpy()
    grey = np.tile(grey[:, None], (2, 3, 1, 1))
    eps = torch.randn(samples.shape, generator=torch.Generator().manual_seed(0)).double().numpy()
    along_w = np.einsum("c,nchw->nhw", WEIGHTS, eps) / (WEIGHTS @ WEIGHTS)
    expected = grey + ratio * (eps - WEIGHTS[None, :, None, None] * along_w[:, None])
    np.testing.assert_allclose(samples, expected, atol=2e-5, rtol=0)


def test_without_warm_start_the_samples_are_far_from_grey(setup: dict) -> None:
    samples = colorize(setup, "cold")
    grey = uint8_to_signed(torch.from_numpy(setup["greys"])).double().numpy()
    assert np.abs(samples - np.tile(grey[:, None], (2, 3, 1, 1))).mean() > 0.3


def test_warm_start_walks_only_the_grid_below_t0(setup: dict) -> None:
    generator = setup["generator"]
    calls = []
    hook = generator.model.register_forward_hook(lambda *_: calls.append(1))
    y = torch.zeros(1, 1, 8, 8)
    measurement = Measurement(ChannelMeanOperator(3, tuple(WEIGHTS)), y)
    try:
        Restorer(generator).restore(
            measurement, method="ddnm", sampler="ddim", steps=STEPS,
            start=y.expand(-1, 3, -1, -1), start_time=5,
        )  # fmt: skip
    finally:
        hook.remove()
    assert len(calls) == 6  # model times 5, 4, 3, 2, 1, 0


def test_bad_warm_starts_are_one_line_errors(setup: dict, capsys) -> None:
    work, bundle = setup["work"], str(setup["bundle"])
    grey = str(work / "grey" / "grey_0.png")
    cases = [
        (["super-resolution", "--warm-start", "3"], "--warm-start applies to colorize"),
        (["colorize", "--method", "ddnm", "--warm-start", "-1"], "below every noisy point"),
    ]
    for argv, message in cases:
        assert main(["restore", bundle, *argv, "-i", grey, "-o", str(work / "bad.npz")]) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]  # after any progress bar
        assert err.startswith("diffmm restore: error:") and message in err, err
