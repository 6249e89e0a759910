"""Predictor–corrector sampling (Song et al. 2021, Alg. 2 and 3; corrector Alg. 4 and 5).

Predictor, the reverse-diffusion step t → s with α_{t|s} = α_t/α_s and score −ε̂/σ_t:
    z_s = (z_t + σ²_{t|s} ∇log p_t) / α_{t|s} + σ_{t|s} ξ.
Corrector, Langevin MCMC at level s with a step fixed by the signal-to-noise ratio r:
    ε = 2 a (r ‖ξ‖ / ‖∇log p_s‖)²,  z ← z + ε ∇log p_s + √(2ε) ξ,
where a = 1 for VE and a = 1 − β = α²_{t|s} for VP, as in the paper. The final step into
the data returns the denoised estimate.
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
def sample_pc(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
    snr: float = 0.16,
    corrector_steps: int = 1,
) -> Tensor:
    """Reverse-diffusion predictor + Langevin corrector from ``x`` (data coordinates, point 0)."""
    if snr <= 0 or corrector_steps < 0:
        raise ValueError("predictor–corrector needs snr > 0 and corrector_steps ≥ 0")
    z = prior.whiten(x)
    for i in range(grid.num_steps):
        step = grid.transition(i)
        alpha_t, sigma_t, alpha_s, sigma_s = step
        pred = predict_at(denoiser, z, grid, i, prior=prior, cond=cond)
        if sigma_s == 0:
            z = pred.x0
            report(callback, i, grid.num_steps, z, pred.x0, prior)
            continue
        alpha_ts = alpha_t / alpha_s
        variance_ts = transition_variance(*step)
        z = (z - (variance_ts / sigma_t) * pred.eps) / alpha_ts + math.sqrt(
            variance_ts
        ) * gaussian_noise(z, generator)
        for _ in range(corrector_steps):
            pred = predict_at(denoiser, z, grid, i + 1, prior=prior, cond=cond)
            score = -pred.eps / sigma_s
            noise = gaussian_noise(z, generator)
            # Per-example norms averaged over the batch, as in the paper's reference code:
            # a per-example ratio explodes for samples sitting on a mode (score ≈ 0).
            ratio = _mean_norm(noise) / _mean_norm(score)
            step_size = 2 * alpha_ts**2 * (snr * ratio) ** 2
            z = z + step_size * score + math.sqrt(2 * step_size) * noise
        report(callback, i, grid.num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)


def _mean_norm(v: Tensor) -> float:
    return float(v.flatten(1).norm(dim=1).mean())
