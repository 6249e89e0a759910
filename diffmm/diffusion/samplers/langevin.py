"""Annealed Langevin dynamics (Song & Ermon 2019, Alg. 1), the NCSN sampler.

At each noise level σ_i of the grid, largest first, run T Langevin steps
    z ← z + (ε_i/2) ∇log p_i(z) + √ε_i ξ,   ε_i = ε σ_i² / σ_L²,
with the score ∇log p_i = −ε̂/σ_i. NCSNv2 (Song & Ermon 2020) adds one denoising step at the
end, z_0 = (z − σ_L ε̂)/α_L (Tweedie's formula; z + σ_L² ∇log p_L when α = 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import DenoiserLike
from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.samplers.common import StepCallback, gaussian_noise, predict_at, report


@torch.no_grad()
def sample_annealed_langevin(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
    steps_per_level: int = 100,
    step_lr: float = 2e-5,
    denoise: bool = True,
) -> Tensor:
    """Annealed Langevin dynamics over the grid's noise levels (its data endpoint is dropped).

    Defaults are Song & Ermon's (2019) CIFAR-10 settings: T = 100 steps per level, ε = 2e-5.
    ``callback`` is called after each level.
    """
    if steps_per_level < 1 or step_lr <= 0:
        raise ValueError("annealed Langevin needs steps_per_level ≥ 1 and step_lr > 0")
    levels = grid.without_data_endpoint()
    num_levels = levels.alphas.numel()
    smallest_sigma = float(levels.sigmas[-1])
    z = prior.whiten(x)
    for i in range(num_levels):
        sigma = float(levels.sigmas[i])
        step_size = step_lr * (sigma / smallest_sigma) ** 2
        for _ in range(steps_per_level):
            pred = predict_at(denoiser, z, levels, i, prior=prior, cond=cond)
            score = -pred.eps / sigma
            z = z + 0.5 * step_size * score + math.sqrt(step_size) * gaussian_noise(z, generator)
        report(callback, i, num_levels, z, pred.x0, prior)
    last = num_levels - 1
    if denoise:
        z = predict_at(denoiser, z, levels, last, prior=prior, cond=cond).x0
    else:
        z = z / float(levels.alphas[last])
    return prior.unwhiten(z)
