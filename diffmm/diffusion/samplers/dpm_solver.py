"""DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) and its SDE variant, multistep solvers in
data-prediction form on the half log-SNR λ = log(α/σ).

With h_i = λ_i − λ_{i−1}, r_i = h_{i−1}/h_i and a noise level η ∈ [0, 1],
    z_i = (σ_i/σ_{i−1}) e^{−η h_i} z_{i−1} + α_i (1 − e^{−(1+η) h_i}) D_i
          + σ_i √(1 − e^{−2η h_i}) ξ,
    D_i = (1 + 1/(2 r_i)) ẑ_0(t_{i−1}) − 1/(2 r_i) ẑ_0(t_{i−2}),
and D = ẑ_0(t_{i−1}) (first order) on the first step. η = 0 is the probability-flow ODE solver
(DPM-Solver++(2M)); η = 1 is SDE-DPM-Solver++(2M), whose first-order step is exactly the DDPM
posterior q(z_s | z_t, ẑ_0) with variance β̃, so it keeps ancestral sampling's fresh noise at a
second-order multistep's cost. A step into the data (σ = 0, λ = ∞) is first order and
noise-free; there the update reduces to z = α ẑ_0.
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


def _multistep(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    eta: float,
    prior: GaussianPrior,
    cond: Mapping[str, Any] | None,
    generator: torch.Generator | None,
    callback: StepCallback | None,
) -> Tensor:
    z = prior.whiten(x)
    half_log_snr = 0.5 * grid.log_snr()
    previous_x0: Tensor | None = None
    previous_h: float | None = None
    for i in range(grid.num_steps):
        _, sigma_t, alpha_s, sigma_s = grid.transition(i)
        pred = predict_at(denoiser, z, grid, i, prior=prior, cond=cond)
        if sigma_s == 0:
            z = alpha_s * pred.x0
        else:
            h = float(half_log_snr[i + 1] - half_log_snr[i])
            if previous_x0 is None or previous_h is None:
                d = pred.x0
            else:
                half_inv_r = 0.5 * h / previous_h
                d = (1 + half_inv_r) * pred.x0 - half_inv_r * previous_x0
            z = (sigma_s / sigma_t) * math.exp(-eta * h) * z - alpha_s * math.expm1(
                -(1 + eta) * h
            ) * d
            if eta > 0:
                z = z + sigma_s * math.sqrt(-math.expm1(-2 * eta * h)) * gaussian_noise(
                    z, generator
                )
            previous_h = h
        previous_x0 = pred.x0
        report(callback, i, grid.num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)


@torch.no_grad()
def sample_dpmpp_2m(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
) -> Tensor:
    """DPM-Solver++(2M) from ``x`` (data coordinates, grid point 0) to the last grid point.

    Deterministic: ``generator`` is accepted for the common signature and not used.
    """
    return _multistep(denoiser, x, grid, 0.0, prior, cond, generator, callback)


@torch.no_grad()
def sample_dpmpp_2m_sde(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
    eta: float = 1.0,
) -> Tensor:
    """SDE-DPM-Solver++(2M) (η = 1; 0 < η < 1 injects less noise) from ``x`` to the last
    grid point. The noise ξ is drawn from ``generator``."""
    if not 0 <= eta <= 1:
        raise ValueError(f"DPM-Solver++(2M) SDE needs 0 ≤ eta ≤ 1, got {eta}")
    return _multistep(denoiser, x, grid, eta, prior, cond, generator, callback)
