"""The simple loss (Ho et al. 2020, L_simple): regress the network output onto its target.

The noisy input is formed in whitened coordinates, z_t = α z_0 + σ ε, and handed to the
network in data coordinates. The target is what a perfect network of the chosen
parameterization would output for the *true* ε and z_0, so with a prior N(μ, diag σ²) the ε
loss is ‖ε − ε̂‖² in whitened units, which is PriorGrad's ‖ε_x − ε̂_x‖²_{Σ⁻¹} with ε_x = σ ε.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import (
    PARAMETERIZATIONS,
    Denoiser,
    eps_x0_from_output,
    expand_as,
    output_from_eps_x0,
)
from diffmm.diffusion.losses.output import LossOutput, masked_mean
from diffmm.diffusion.losses.weighting import min_snr_weight
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.schedules.base import NoiseSchedule


@dataclass
class NoisedBatch:
    """One training draw: schedule times t, z_0, ε and z_t = α z_0 + σ ε (whitened)."""

    t: Tensor
    z0: Tensor
    noise: Tensor
    z_t: Tensor
    alpha: Tensor  # (B,) float64
    sigma: Tensor  # (B,) float64
    model_time: Tensor

    def broadcast(self) -> tuple[Tensor, Tensor]:
        """α, σ shaped to broadcast over z in its dtype."""
        return expand_as(self.alpha, self.z_t), expand_as(self.sigma, self.z_t)


def noise_batch(
    x0: Tensor,
    schedule: NoiseSchedule,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    t: Tensor | None = None,
    noise: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> NoisedBatch:
    """Draw t (the schedule's proposal unless given) and ε, and form z_t."""
    if x0.ndim < 2:
        raise ValueError(
            f"x0 needs a batch dimension and at least one data dimension, got shape {tuple(x0.shape)}"
        )
    batch = x0.shape[0]
    if t is None:
        t = schedule.sample_training_time(batch, generator=generator, device=x0.device)
    t = torch.as_tensor(t, device=x0.device)
    if t.shape != (batch,):
        raise ValueError(f"t must have shape ({batch},), got {tuple(t.shape)}")
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    elif noise.shape != x0.shape:
        raise ValueError(f"noise shape {tuple(noise.shape)} differs from x0 {tuple(x0.shape)}")
    alpha = schedule.alpha(t).to(torch.float64).reshape(batch)
    sigma = schedule.sigma(t).to(torch.float64).reshape(batch)
    z0 = prior.whiten(x0)
    z_t = expand_as(alpha, z0) * z0 + expand_as(sigma, z0) * noise
    return NoisedBatch(t, z0, noise, z_t, alpha, sigma, schedule.model_time(t))


def regression_loss(
    output: Tensor,
    parameterization: str,
    batch: NoisedBatch,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    target: str | None = None,
    norm: Literal["l2", "l1"] = "l2",
    mask: Tensor | None = None,
    min_snr_gamma: float | None = None,
) -> Tensor:
    """Per-example ‖prediction − target‖ (masked mean) in the ``target`` parameterization."""
    target = parameterization if target is None else target
    if target not in PARAMETERIZATIONS:
        raise ValueError(f"unknown loss target {target!r}; known: {PARAMETERIZATIONS}")
    if norm not in ("l2", "l1"):
        raise ValueError(f"unknown loss norm {norm!r}; known: l2, l1")
    alpha, sigma = batch.broadcast()
    truth = output_from_eps_x0(batch.noise, batch.z0, alpha, sigma, target, prior)
    if target == parameterization:
        prediction = output
    else:
        eps, z0 = eps_x0_from_output(output, batch.z_t, alpha, sigma, parameterization, prior)
        prediction = output_from_eps_x0(eps, z0, alpha, sigma, target, prior)
    diff = prediction - truth
    per_example = masked_mean(diff**2 if norm == "l2" else diff.abs(), mask)
    if min_snr_gamma is not None:
        weight = min_snr_weight(batch.alpha, batch.sigma, min_snr_gamma, target)
        per_example = per_example * weight.to(per_example)
    return per_example


def simple_loss(
    denoiser: Denoiser,
    x0: Tensor,
    schedule: NoiseSchedule,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    t: Tensor | None = None,
    noise: Tensor | None = None,
    target: str | None = None,
    norm: Literal["l2", "l1"] = "l2",
    mask: Tensor | None = None,
    min_snr_gamma: float | None = None,
    generator: torch.Generator | None = None,
) -> LossOutput:
    """L_simple per example for x0 of any shape (B, ...).

    ``target`` defaults to the denoiser's parameterization (eps | x0 | v | score); another
    target converts the prediction first. ``mask`` (1 = valid, broadcastable to x0) excludes
    padding from the mean; ``min_snr_gamma`` applies Hang et al.'s weighting.
    """
    batch = noise_batch(x0, schedule, prior=prior, t=t, noise=noise, generator=generator)
    output, _ = denoiser.network_output(batch.z_t, batch.model_time, prior=prior, cond=cond)
    loss = regression_loss(
        output,
        denoiser.parameterization,
        batch,
        prior=prior,
        target=target,
        norm=norm,
        mask=mask,
        min_snr_gamma=min_snr_gamma,
    )
    return LossOutput(loss=loss, t=batch.t, terms={"mse" if norm == "l2" else "l1": loss})
