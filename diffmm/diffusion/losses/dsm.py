"""Denoising score matching over noise scales (Vincent 2011; NCSN, Song & Ermon 2019).

For x̃ = x + σ ε the kernel's score is ∇ log q_σ(x̃ | x) = −(x̃ − x)/σ², and NCSN minimises
Σ_σ λ(σ) E‖s_θ(x̃, σ) + (x̃ − x)/σ²‖² with λ(σ) = σ², which makes every scale's term O(1).
NCSN's constant ½ is dropped, so the loss equals the ε-loss of the same score network
(ε̂ = −σ s_θ). With a prior N(μ, diag σ_p²) the noise is σ σ_p ε in data units and λ = (σ σ_p)².
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser, expand_as
from diffmm.diffusion.losses.output import LossOutput, masked_mean
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.schedules.base import NoiseSchedule


def dsm_loss(
    denoiser: Denoiser,
    x0: Tensor,
    schedule: NoiseSchedule,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    t: Tensor | None = None,
    noise: Tensor | None = None,
    mask: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> LossOutput:
    """Per-example λ(σ) ‖s_θ(x̃, σ) − ∇ log q_σ(x̃ | x)‖² (masked mean over dimensions).

    ``schedule`` is variance exploding (α = 1: a VESchedule, NCSN's ladder when it has
    ``num_scales``); ``denoiser`` must use the score parameterization.
    """
    if denoiser.parameterization != "score":
        raise ValueError(
            f"DSM trains a score network; the denoiser predicts {denoiser.parameterization!r}"
        )
    if x0.ndim < 2:
        raise ValueError(f"x0 needs a batch and a data dimension, got shape {tuple(x0.shape)}")
    batch = x0.shape[0]
    if t is None:
        t = schedule.sample_training_time(batch, generator=generator, device=x0.device)
    t = torch.as_tensor(t, device=x0.device)
    if not torch.allclose(schedule.alpha(t), torch.ones((), dtype=torch.float64)):
        raise ValueError("DSM over noise scales needs a variance-exploding schedule (α = 1)")
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    sigma = expand_as(schedule.sigma(t).reshape(batch), x0)
    prior_std = torch.as_tensor(prior.std, dtype=x0.dtype, device=x0.device)
    noise_std = sigma * prior_std  # per element, in data units
    x_noisy = x0 + noise_std * noise
    kernel_score = -(x_noisy - x0) / noise_std**2
    model_time = schedule.model_time(t)
    score = denoiser.network_output(prior.whiten(x_noisy), model_time, prior=prior, cond=cond)[0]
    loss = masked_mean(noise_std**2 * (score - kernel_score) ** 2, mask)
    return LossOutput(loss=loss, t=t, terms={"dsm": loss})
