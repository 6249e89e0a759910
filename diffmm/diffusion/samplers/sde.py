"""Euler–Maruyama on the reverse-time SDE (Anderson 1982; Song et al. 2021, eq. 6).

For the forward SDE dz = f z dt + g dw with marginals z_t = α_t z_0 + σ_t ε, the reverse SDE
is dz = [f z − g² ∇log p_t(z)] dt + g dw̄, with f = d log α/dt and ∇log p_t = −ε̂/σ_t. Over a
grid step t → s, f Δt ≈ a = log(α_t/α_s) and g² Δt ≈ σ²_{t|s}, the transition variance:
    z_s = z − a z − σ²_{t|s} ε̂/σ_t + σ_{t|s} ξ.
The final step into the data returns the Tweedie estimate ẑ_0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.posterior import transition_variance
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.common import StepCallback, gaussian_noise, predict_at, report


@torch.no_grad()
def sample_euler_maruyama(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
) -> Tensor:
    """Euler–Maruyama from ``x`` (data coordinates, grid point 0) to the last grid point."""
    z = prior.whiten(x)
    for i in range(grid.num_steps):
        step = grid.transition(i)
        alpha_t, sigma_t, alpha_s, sigma_s = step
        pred = predict_at(denoiser, z, grid, i, prior=prior, cond=cond)
        if sigma_s == 0:
            z = pred.x0
        else:
            drift = math.log(alpha_t / alpha_s)  # f Δt
            diffusion_sq = transition_variance(*step)  # g² Δt
            z = (
                (1 - drift) * z
                - (diffusion_sq / sigma_t) * pred.eps
                + math.sqrt(diffusion_sq) * gaussian_noise(z, generator)
            )
        report(callback, i, grid.num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)
