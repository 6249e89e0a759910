"""DDIM (Song, Meng & Ermon 2021) and its deterministic inversion.

Step t → s (eq. 12, written for any α, σ):
    z_s = α_s ẑ_0 + √(σ_s² − c²) ε̂ + c ξ,   c = η √β̃,
with β̃ the posterior variance of the step. η = 1 is DDPM's "fixed_small" sampler, η = 0 the
deterministic sampler, which is Euler's method on the probability-flow ODE (eq. 14).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike, Prediction
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.posterior import DDPMPosterior
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.common import StepCallback, gaussian_noise, predict_at, report


@torch.no_grad()
def sample_ddim(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
    eta: float = 0.0,
) -> Tensor:
    """DDIM(η) from ``x`` (data coordinates, grid point 0) to the last grid point."""
    if eta < 0:
        raise ValueError(f"DDIM needs eta ≥ 0, got {eta}")
    z = prior.whiten(x)
    for i in range(grid.num_steps):
        step = grid.transition(i)
        alpha_s, sigma_s = step[2], step[3]
        pred = predict_at(denoiser, z, grid, i, prior=prior, cond=cond)
        noise_std = eta * math.sqrt(DDPMPosterior.between(*step).variance)
        if noise_std > sigma_s:
            raise ValueError(
                f"eta={eta} asks for more noise than the step holds (σ_s = {sigma_s:.4g})"
            )
        z = alpha_s * pred.x0 + math.sqrt(sigma_s**2 - noise_std**2) * pred.eps
        if noise_std > 0:
            z = z + noise_std * gaussian_noise(z, generator)
        report(callback, i, grid.num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)


@torch.no_grad()
def ddim_invert(
    denoiser: DenoiserLike,
    x0: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    callback: StepCallback | None = None,
    fixed_point_iterations: int = 0,
) -> Tensor:
    """Encode ``x0`` (data coordinates, last grid point) to grid point 0 with η = 0 DDIM.

    Each step s → t (upwards) applies z_t = α_t ẑ_0 + σ_t ε̂ with ẑ_0 = (z_s − σ_s ε̂)/α_s.
    Plain inversion (``fixed_point_iterations=0``, Dhariwal & Nichol 2021) takes ε̂ at the
    current, cleaner point; from the data point itself, where no network can be called, it
    takes ε̂ at (α_t z_0, t). Each fixed-point iteration re-evaluates ε̂ at the new z_t, which
    converges to the exact inverse of :func:`sample_ddim`'s deterministic step.
    """
    if fixed_point_iterations < 0:
        raise ValueError("fixed_point_iterations must be ≥ 0")
    z = prior.whiten(x0)
    for step_index, t in enumerate(range(grid.num_steps - 1, -1, -1)):
        s = t + 1
        alpha_t, sigma_t, alpha_s, sigma_s = grid.transition(t)
        if sigma_s > 0:
            pred = predict_at(denoiser, z, grid, s, prior=prior, cond=cond)
        else:
            pred = predict_at(denoiser, alpha_t * z, grid, t, prior=prior, cond=cond)
        z_t = _ddim_up(z, pred, alpha_t, sigma_t, alpha_s, sigma_s)
        for _ in range(fixed_point_iterations):
            pred = predict_at(denoiser, z_t, grid, t, prior=prior, cond=cond)
            z_t = _ddim_up(z, pred, alpha_t, sigma_t, alpha_s, sigma_s)
        z = z_t
        report(callback, step_index, grid.num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)


def _ddim_up(
    z_s: Tensor, pred: Prediction, alpha_t: float, sigma_t: float, alpha_s: float, sigma_s: float
) -> Tensor:
    """z_t = α_t (z_s − σ_s ε̂)/α_s + σ_t ε̂: the η = 0 step solved for the noisier point."""
    return alpha_t * (z_s - sigma_s * pred.eps) / alpha_s + sigma_t * pred.eps
