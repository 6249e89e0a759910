"""DDPM ancestral sampling (Ho et al. 2020, Alg. 2), with iDDPM's learned variances.

Each step t → s draws from p(z_s | z_t) = N(c_t z_t + c_0 ẑ_0, Σ_θ): the true posterior
q(z_s | z_t, z_0) with z_0 replaced by the network's estimate. Σ_θ is β̃ ("fixed_small"),
β = σ²_{t|s} ("fixed_large") or learned between them (Nichol & Dhariwal 2021). Written on the
generic grid, the same code samples a full, respaced or DiffWave fast schedule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.posterior import DDPMPosterior
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.common import (
    StepCallback,
    gaussian_noise,
    predict_at,
    report,
    variance_type,
)
from diffmm.diffusion.variance import step_log_variance


@torch.no_grad()
def sample_ddpm(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
) -> Tensor:
    """Ancestral sampling from ``x`` (data coordinates, grid point 0) to the last grid point."""
    z = prior.whiten(x)
    variance = variance_type(denoiser)
    for i in range(grid.num_steps):
        step = grid.transition(i)
        pred = predict_at(denoiser, z, grid, i, prior=prior, cond=cond)
        posterior = DDPMPosterior.between(*step)
        mean = posterior.coef_xt * z + posterior.coef_x0 * pred.x0
        if step[3] == 0:
            # Into the data itself: β̃ = 0, the mean is ẑ_0 and no noise is added.
            z = mean
        else:
            log_variance = step_log_variance(
                variance,
                math.log(posterior.transition_variance),
                math.log(posterior.variance),
                pred.variance_output,
            ).to(z)
            z = mean + torch.exp(0.5 * log_variance) * gaussian_noise(z, generator)
        report(callback, i, grid.num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)
