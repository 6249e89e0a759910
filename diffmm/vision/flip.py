"""Random horizontal flips (the only augmentation of DDPM's CIFAR-10 training)."""

from __future__ import annotations

import torch
from torch import Tensor


def random_horizontal_flip(images: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Mirror each image of a (N, C, H, W) batch left–right with probability ½.

    The coin flips come from ``generator`` alone, so a training step that passes the
    trainer's generator flips the same images again after a resume.
    """
    device = generator.device if generator is not None else images.device
    flip = torch.rand(images.shape[0], generator=generator, device=device) < 0.5
    return torch.where(flip.to(images.device)[:, None, None, None], images.flip(-1), images)
