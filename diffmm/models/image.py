"""The image model family: a 2-D ``UNetModel`` (DDPM, iDDPM, ADM, classifier-free guidance, EDM).

Its bundles use the fixed-shape sampling schema of ``DiffusionGenerator`` (``model``,
``diffusion``, ``data_shape`` = [C, H, W]); samples live in [−1, 1], the levels of
``diffmm.vision.uint8_to_signed``. ``ImageModelConfig`` is the ``model:`` section; its
defaults are DDPM's CIFAR-10 network (Ho et al. 2020, App. B: 35.7M parameters).

Two additions around the UNet:
- ``null_class``: one more label embedding, ∅ = ``num_classes``, that classifier-free guidance
  (Ho & Salimans 2022) trains by label dropout and samples with as the unconditional pass;
  ``y=None`` means ∅ for every sample.
- ``preconditioning: edm``: the network becomes EDM's D_θ(x; σ) = c_skip x + c_out F(c_in x;
  ¼ ln σ) (``diffmm.diffusion.edm``); it then predicts x₀ and receives σ as its time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

from diffmm.diffusion.config import DiffusionConfig
from diffmm.diffusion.edm import SIGMA_DATA, edm_scalings
from diffmm.models.registry import register_family
from diffmm.nn.unet import UNetModel


@dataclass
class ImageModelConfig:
    in_channels: int = 3  # 3 for RGB, 1 for grey (Fashion-MNIST)
    model_channels: int = 128
    channel_mult: list[int] = field(default_factory=lambda: [1, 2, 2, 2])
    num_res_blocks: int = 2
    attention_resolutions: list[int] = field(default_factory=lambda: [2])  # downsampling factors
    dropout: float = 0.1
    num_heads: int = 1
    num_head_channels: int = -1  # > 0: fixed head width (ADM), overrides num_heads
    use_scale_shift_norm: bool = False
    resblock_updown: bool = False
    learn_sigma: bool = False  # also output iDDPM's variance interpolation v (2·C channels)
    num_classes: int | None = None
    null_class: bool = False  # a learned ∅ label for classifier-free guidance
    preconditioning: Literal["none", "edm"] = "none"
    sigma_data: float = SIGMA_DATA  # σ_d of EDM's preconditioning
    use_checkpoint: bool = False  # gradient checkpointing: memory for compute
    dims: int = 2  # 2: images (B, C, H, W); 1: sequences (B, C, L), the sketch family's


class ImageUNet(nn.Module):
    """ε̂/x̂₀/v̂(x_t, t[, y]) for (B, C, H, W) images (or (B, C, L) sequences with
    ``dims=1``); see the module docstring."""

    def __init__(self, cfg: ImageModelConfig) -> None:
        super().__init__()
        if cfg.null_class and cfg.num_classes is None:
            raise ValueError("null_class (classifier-free guidance) needs num_classes")
        if cfg.preconditioning not in ("none", "edm"):
            raise ValueError(f"unknown preconditioning {cfg.preconditioning!r}; known: none, edm")
        self.cfg = cfg
        labels = None if cfg.num_classes is None else cfg.num_classes + int(cfg.null_class)
        self.unet = UNetModel(
            dims=cfg.dims,
            in_channels=cfg.in_channels,
            model_channels=cfg.model_channels,
            out_channels=cfg.in_channels * (2 if cfg.learn_sigma else 1),
            num_res_blocks=cfg.num_res_blocks,
            attention_resolutions=tuple(cfg.attention_resolutions),
            dropout=cfg.dropout,
            channel_mult=tuple(cfg.channel_mult),
            num_classes=labels,
            use_checkpoint=cfg.use_checkpoint,
            num_heads=cfg.num_heads,
            num_head_channels=cfg.num_head_channels,
            use_scale_shift_norm=cfg.use_scale_shift_norm,
            resblock_updown=cfg.resblock_updown,
        )

    @property
    def null_label(self) -> int | None:
        """The ∅ label of classifier-free guidance, or None without one."""
        return self.cfg.num_classes if self.cfg.null_class else None

    def forward(self, x: Tensor, timesteps: Tensor, y: Tensor | None = None) -> Tensor:
        if y is None and self.null_label is not None:
            y = torch.full((x.shape[0],), self.null_label, dtype=torch.long, device=x.device)
        if self.cfg.preconditioning == "none":
            return self.unet(x, timesteps, y)
        sigma = torch.as_tensor(timesteps, device=x.device, dtype=torch.float32)
        if sigma.ndim == 0:
            sigma = sigma.expand(x.shape[0])
        c = edm_scalings(sigma.reshape(-1, *[1] * (x.ndim - 1)), self.cfg.sigma_data)
        output = self.unet((c.c_in * x).to(x.dtype), c.c_noise.flatten(), y)
        return (c.c_skip * x + c.c_out * output).to(x.dtype)


def check_image_diffusion(model: ImageModelConfig, diffusion: DiffusionConfig) -> None:
    """A ``ValueError`` for a network that cannot be read the way the diffusion config says."""
    learned = diffusion.variance in ("learned", "learned_range")
    if model.learn_sigma != learned:
        raise ValueError(
            f"model.learn_sigma={model.learn_sigma} but diffusion.variance={diffusion.variance!r}:"
            " a learned variance needs learn_sigma (2·C output channels) and nothing else does"
        )
    if model.preconditioning == "edm" and (
        diffusion.schedule != "edm" or diffusion.parameterization != "x0"
    ):
        raise ValueError(
            "EDM preconditioning makes the network predict x0 at noise level σ: it needs "
            "diffusion.schedule=edm and diffusion.parameterization=x0"
        )


@register_family("image")
def build_image_model(config: dict) -> ImageUNet:
    """Rebuild the network from a bundle's (or recipe's) config dictionary."""
    model = ImageModelConfig(**config["model"])
    if "diffusion" in config:
        check_image_diffusion(model, DiffusionConfig.from_dict(config["diffusion"]))
    return ImageUNet(model)
