"""Full-reference image quality: PSNR and SSIM (Wang, Bovik, Sheikh & Simoncelli 2004).

SSIM uses the paper's 11 × 11 Gaussian window of σ = 1.5, K₁ = 0.01, K₂ = 0.03, valid
(unpadded) filtering, per channel, averaged over the map; images are (N, C, H, W) on a known
``data_range`` (2 for the models' [−1, 1], 255 for 8-bit).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F


def psnr(reference: Tensor, estimate: Tensor, data_range: float = 2.0) -> Tensor:
    """Per image 10 log₁₀(range² / MSE) in dB, shape (N,)."""
    mse = (reference.double() - estimate.double()).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(data_range**2 / mse.clamp_min(1e-20))


def gaussian_window(size: int = 11, sigma: float = 1.5) -> Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim(reference: Tensor, estimate: Tensor, data_range: float = 2.0) -> Tensor:
    """Per image mean SSIM, shape (N,), for (N, C, H, W) images at least 11 pixels a side."""
    if reference.shape != estimate.shape or reference.ndim != 4:
        raise ValueError(
            f"SSIM needs two (N, C, H, W) batches of one shape, got {tuple(reference.shape)} "
            f"and {tuple(estimate.shape)}"
        )
    channels = reference.shape[1]
    window = gaussian_window().expand(channels, 1, -1, -1)
    x, y = reference.double(), estimate.double()

    def blur(v: Tensor) -> Tensor:
        return F.conv2d(v, window, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return index.flatten(1).mean(1)


def mean_db(values: Tensor) -> float:
    """The mean of per-image PSNRs, ignoring the infinities of exact copies."""
    finite = values[torch.isfinite(values)]
    return float(finite.mean()) if finite.numel() else math.inf
