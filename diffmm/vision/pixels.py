"""8-bit pixels ↔ the [−1, 1] data space of the image models.

The discretized Gaussian decoder (Ho et al. 2020, eq. 13; ``diffusion.losses.vlb``) places the
256 levels of 8-bit data on the evenly spaced points x = 2·(u/255) − 1, u ∈ {0, …, 255}, each
owning the bin of half-width 1/255 around it. So the forward map must send u exactly to its
level (a bin centre, −1 and 1 included), and the inverse must pick the nearest level: round,
not floor, and clip what a sampler leaves outside [−1, 1].
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def uint8_to_signed(pixels: Tensor | np.ndarray) -> Tensor:
    """u ∈ {0, …, 255} → x = 2·(u/255) − 1 ∈ [−1, 1] (float32), the decoder's level for u."""
    pixels = torch.as_tensor(pixels)
    if pixels.dtype != torch.uint8:
        raise ValueError(f"8-bit pixels must be uint8, got {pixels.dtype}")
    return pixels.to(torch.float32) * (2.0 / 255.0) - 1.0


def signed_to_uint8(x: Tensor | np.ndarray) -> Tensor:
    """x ∈ [−1, 1] → the nearest 8-bit level u = round((x + 1)·255/2), clipped to {0, …, 255}."""
    x = torch.as_tensor(x, dtype=torch.float32)
    return ((x + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)
