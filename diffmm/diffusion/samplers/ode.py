"""Euler and Heun on the probability-flow ODE (Song et al. 2021; Karras et al. 2022, Alg. 1).

In the scaled variables y = z/α and ς = σ/α the marginals are y = z_0 + ς ε, and the
probability-flow ODE takes the form shared by VP, VE, EDM and discrete schedules alike
(Song, Meng & Ermon 2021, eq. 14):
    dy/dς = ε̂(α y, ς).
Euler on it is DDIM with η = 0; Heun adds Karras et al.'s second-order correction, except on
a final step into ς = 0, where the slope cannot be evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.common import StepCallback, predict_at, report


@torch.no_grad()
def sample_euler(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
) -> Tensor:
    """Euler's method on the probability-flow ODE (deterministic; ``generator`` unused)."""
    return _solve_pf_ode(denoiser, x, grid, prior, cond, callback, second_order=False)


@torch.no_grad()
def sample_heun(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
) -> Tensor:
    """Heun's method (2 network calls per step but the last) on the probability-flow ODE."""
    return _solve_pf_ode(denoiser, x, grid, prior, cond, callback, second_order=True)


def _solve_pf_ode(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    prior: GaussianPrior,
    cond: Mapping[str, Any] | None,
    callback: StepCallback | None,
    *,
    second_order: bool,
) -> Tensor:
    z = prior.whiten(x)
    for i in range(grid.num_steps):
        alpha_t, sigma_t, alpha_s, sigma_s = grid.transition(i)
        scaled_t, scaled_s = sigma_t / alpha_t, sigma_s / alpha_s  # ς_t, ς_s
        pred = predict_at(denoiser, z, grid, i, prior=prior, cond=cond)
        y = z / alpha_t + (scaled_s - scaled_t) * pred.eps
        if second_order and sigma_s > 0:
            corrector = predict_at(denoiser, alpha_s * y, grid, i + 1, prior=prior, cond=cond)
            y = z / alpha_t + (scaled_s - scaled_t) * 0.5 * (pred.eps + corrector.eps)
        z = alpha_s * y
        report(callback, i, grid.num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)
