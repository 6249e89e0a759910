"""EDM's preconditioning and loss weight (Karras et al. 2022, Table 1), the pieces that turn a
raw network F_θ into the denoiser D_θ the EDM schedule (``schedules.EDMSchedule``) trains.

    D_θ(x; σ) = c_skip(σ) x + c_out(σ) F_θ(c_in(σ) x; c_noise(σ))
    c_skip = σ_d² / (σ² + σ_d²),  c_out = σ σ_d / √(σ² + σ_d²),  c_in = 1 / √(σ² + σ_d²),
    c_noise = ¼ ln σ,             λ(σ) = (σ² + σ_d²) / (σ σ_d)²

D_θ predicts x₀ (the engine's ``x0`` parameterization); with λ(σ) the loss
λ(σ)‖D_θ − x₀‖² equals ‖F_θ − F_target‖², unit variance at every σ, which is why the
network's input and output stay well scaled over six decades of noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

SIGMA_DATA = 0.5  # σ_d: the standard deviation of CIFAR-10 scaled to [−1, 1], as in EDM


@dataclass(frozen=True)
class EDMScalings:
    c_skip: Tensor
    c_out: Tensor
    c_in: Tensor
    c_noise: Tensor


def edm_scalings(sigma: Tensor, sigma_data: float = SIGMA_DATA) -> EDMScalings:
    """c_skip, c_out, c_in and c_noise of Table 1 for noise levels σ (any shape, σ > 0)."""
    sigma = torch.as_tensor(sigma)
    total = sigma**2 + sigma_data**2
    return EDMScalings(
        c_skip=sigma_data**2 / total,
        c_out=sigma * sigma_data / total.sqrt(),
        c_in=total.rsqrt(),
        c_noise=sigma.log() / 4,
    )


def edm_loss_weight(sigma: Tensor, sigma_data: float = SIGMA_DATA) -> Tensor:
    """λ(σ) = (σ² + σ_d²) / (σ σ_d)², the weight of ‖D_θ(x; σ) − x₀‖² in EDM's loss."""
    sigma = torch.as_tensor(sigma)
    return (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
