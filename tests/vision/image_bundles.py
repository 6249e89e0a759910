"""Tiny image bundles for the sampling tests: a few thousand parameters, random weights (an
untrained UNet returns exactly 0, which would hide labels and guidance)."""

from __future__ import annotations

import torch

from diffmm.diffusion.config import DiffusionConfig
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image import ImageModelConfig, ImageUNet

DIFFUSION = DiffusionConfig(schedule="linear", num_steps=20, beta_end=0.2, clip_x0=[-1.0, 1.0])


def tiny_image_generator(
    num_classes: int | None = 3, null_class: bool = True, channels: int = 1, side: int = 8
) -> DiffusionGenerator:
    torch.manual_seed(0)
    cfg = ImageModelConfig(
        in_channels=channels,
        model_channels=8,
        channel_mult=[1, 2],
        num_res_blocks=1,
        attention_resolutions=[2],
        dropout=0.0,
        num_classes=num_classes,
        null_class=null_class and num_classes is not None,
    )
    model = ImageUNet(cfg).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    return DiffusionGenerator("image", model, DIFFUSION, (channels, side, side))
