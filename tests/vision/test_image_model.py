"""The image family: paper-size configs, EDM's preconditioning in closed form, the null class
of classifier-free guidance, and bundles that reload and sample bit-identically."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from image_bundles import DIFFUSION, tiny_image_generator
from torch import nn

from diffmm.config import load_config
from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image import ImageModelConfig, ImageUNet, check_image_diffusion

CONFIGS = Path(__file__).resolve().parents[2] / "recipes/configs/image"


def model_section(name: str) -> ImageModelConfig:
    raw = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    return load_config(ImageModelConfig, None, [f"{k}={v}" for k, v in raw["model"].items()])


def test_the_ddpm_config_is_the_papers_35_7m_network() -> None:
    count = sum(p.numel() for p in ImageUNet(model_section("ddpm_cifar10")).parameters())
    assert count == 35_746_307  # Ho et al. 2020: 35.7M


def test_an_untrained_edm_denoiser_is_c_skip_x_and_the_network_sees_c_in_x() -> None:
    """F = 0 at initialisation (zero output conv) gives D = σ_d²/(σ² + σ_d²) x exactly; with
    F the identity, D = (c_skip + c_out c_in) x and F is handed ¼ ln σ as its time."""
    cfg = ImageModelConfig(
        in_channels=1, model_channels=8, channel_mult=[1, 2], num_res_blocks=1,
        attention_resolutions=[], preconditioning="edm", sigma_data=0.5,
    )  # fmt: skip
    model = ImageUNet(cfg)
    x, sigma = torch.randn(4, 1, 8, 8), torch.tensor([0.002, 0.5, 3.0, 80.0])
    c_skip = (0.25 / (sigma**2 + 0.25)).reshape(-1, 1, 1, 1)
    torch.testing.assert_close(model(x, sigma), c_skip * x)

    class Identity(nn.Module):
        def forward(self, h, t, y=None):
            self.time = t
            return h

    model.unet = Identity()
    root = (sigma**2 + 0.25).sqrt().reshape(-1, 1, 1, 1)
    expected = c_skip * x + (sigma.reshape(-1, 1, 1, 1) * 0.5 / root) * x / root
    torch.testing.assert_close(model(x, sigma), expected)
    torch.testing.assert_close(model.unet.time, sigma.log() / 4)


def test_no_label_means_the_null_class() -> None:
    model = tiny_image_generator().model
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([3, 15])
    null = torch.full((2,), model.null_label)
    assert model.null_label == 3
    torch.testing.assert_close(model(x, t), model(x, t, null), rtol=0, atol=0)
    assert not torch.allclose(model(x, t), model(x, t, torch.tensor([0, 1])))


@pytest.mark.parametrize(
    "model, diffusion, message",
    [
        (ImageModelConfig(learn_sigma=True), DiffusionConfig(), "learn_sigma"),
        (ImageModelConfig(), DiffusionConfig(variance="learned_range"), "learn_sigma"),
        (ImageModelConfig(preconditioning="edm"), DiffusionConfig(schedule="edm"), "x0"),
    ],
)
def test_a_network_the_diffusion_cannot_read_is_refused(model, diffusion, message) -> None:
    with pytest.raises(ValueError, match=message):
        check_image_diffusion(model, diffusion)


def test_guided_bundles_reload_and_sample_bit_identically(tmp_path: Path) -> None:
    generator = tiny_image_generator()
    reloaded = DiffusionGenerator.from_bundle(generator.export(tmp_path / "bundle"))
    assert reloaded.family == "image" and reloaded.data_shape == (1, 8, 8)
    assert reloaded.diffusion == DIFFUSION and reloaded.model.null_label == 3
    options = {"sampler": "ddpm", "steps": 6, "batch_size": 3, "seed": 2, "class_label": 1}
    for scale in (None, 3.0):
        expected = generator.sample(5, guidance_scale=scale, **options)
        torch.testing.assert_close(
            reloaded.sample(5, guidance_scale=scale, **options), expected, rtol=0, atol=0
        )
    conditional, guided = (
        generator.sample(5, **options),
        generator.sample(5, guidance_scale=3.0, **options),
    )
    assert not torch.allclose(conditional, guided)
    # s = 1 is the conditional model: ε̂_u + 1·(ε̂_c − ε̂_u) = ε̂_c up to rounding
    torch.testing.assert_close(generator.sample(5, guidance_scale=1.0, **options), conditional)


def test_guidance_needs_a_null_class() -> None:
    plain = tiny_image_generator(null_class=False)
    with pytest.raises(DiffmmError, match="null class"):
        plain.sample(2, guidance_scale=2.0)
