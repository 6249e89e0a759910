"""UniPC (Zhao et al. 2023): the unified predictor UniP and corrector UniC in data-prediction
form with B(h) = e^{−h} − 1 ("bh2"), multistep on the half log-SNR λ = log(α/σ).

From grid point i (time s) to i + 1 (time t), with h = λ_t − λ_s and the data estimates
x̂ at the points already visited, both parts are
    z_t = (σ_t/σ_s) z_s + α_t (1 − e^{−h}) x̂_s − α_t B(h) Σ_m ρ_m D_m,
    D_m = (x̂_{s_m} − x̂_s) / r_m,   r_m = (λ_{s_m} − λ_s) / h,
where the first two terms are the DDIM (first-order) step. A p-th order step uses the p − 1
previous points s_1, s_2, … before s. The weights ρ solve R ρ = g, with
R_{km} = r_m^{k−1} and g_k = k! φ̄_{k+1}(h) / B(h), φ̄_{k+1}(h) = (−h)·φ_{k+1}(−h) the
exponential-integrator functions (φ_1(x) = (eᵡ − 1)/x, φ_{k+1}(x) = (φ_k(x) − 1/k!)/x):

- the predictor UniP-p solves the (p − 1)-square system on the previous points; at p = 2 the
  paper takes ρ = ½, which makes UniP-2 exactly DPM-Solver++(2M);
- the corrector UniC-p adds the new point itself (r = 1, D = x̂_t − x̂_s, with x̂_t from the
  network at the predicted z_t) and solves the p-square system; at p = 1 it takes ρ = ½.

The network evaluation UniC needs at z_t is the one the next predictor needs anyway, and it is
kept for the next step's differences, so correction raises the order by one at no extra cost:
N steps take N network calls. No corrector follows the last step (its evaluation would be
spent on the result alone). Orders are lowered to what the history allows at the start and,
as in the paper's code, near the end (step i of N has order min(p, i + 1, N − i)); a step
into the data (σ = 0, h = ∞) is first order and returns α x̂.
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
from diffmm.diffusion.samplers.common import StepCallback, predict_at, report

MAX_ORDER = 3


def unified_weights(h: float, ratios: list[float]) -> list[float]:
    """The weights ρ_m of the differences D_m for step size h and node ratios r_m.

    ``ratios`` are the r_m of the previous points (and, for the corrector, 1 for the new
    point last); the result has one weight per ratio.
    """
    order = len(ratios)
    if order == 1:
        # UniP-2 and UniC-1 as in the paper: ρ = ½, the h → 0 limit of g_1.
        return [0.5]
    b_h = math.expm1(-h)
    # φ̄_{k+1}(h) for k = 1..order by φ̄_{k+1} = φ̄_k/(−h) − 1/k!, starting from φ̄_1 = e^{−h} − 1.
    phi_bar, factorial, g = b_h, 1.0, []
    for k in range(1, order + 1):
        phi_bar = phi_bar / -h - 1.0 / factorial
        g.append(factorial * phi_bar / b_h)
        factorial *= k + 1
    r = torch.tensor(ratios, dtype=torch.float64)
    powers = torch.stack([r**k for k in range(order)])  # R_{km} = r_m^{k−1}
    return torch.linalg.solve(powers, torch.tensor(g, dtype=torch.float64)).tolist()


def unipc_update(
    z_s: Tensor,
    history: list[tuple[float, Tensor]],
    order: int,
    lambda_t: float,
    alpha_t: float,
    sigma_s: float,
    sigma_t: float,
    x0_t: Tensor | None = None,
) -> Tensor:
    """z_t from z_s with the last ``order`` entries of ``history`` ((λ, x̂) per point, s last).

    Without ``x0_t`` this is UniP-order; with it, UniC-order.
    """
    lambda_s, x0_s = history[-1]
    if sigma_t == 0:  # h = ∞: the exponential integrator's limit is the data estimate itself
        return alpha_t * x0_s
    h = lambda_t - lambda_s
    base = (sigma_t / sigma_s) * z_s - alpha_t * math.expm1(-h) * x0_s
    previous = history[-order:-1]
    ratios = [(lambda_m - lambda_s) / h for lambda_m, _ in reversed(previous)]
    differences = [(x0_m - x0_s) / r for (_, x0_m), r in zip(reversed(previous), ratios)]
    if x0_t is not None:
        ratios.append(1.0)
        differences.append(x0_t - x0_s)
    if not differences:
        return base
    weights = unified_weights(h, ratios)
    correction = sum(w * d for w, d in zip(weights, differences))
    return base - alpha_t * math.expm1(-h) * correction


@torch.no_grad()
def sample_unipc(
    denoiser: DenoiserLike,
    x: Tensor,
    grid: SamplingGrid,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
    callback: StepCallback | None = None,
    order: int = 2,
) -> Tensor:
    """UniPC-bh2 of ``order`` (UniP-order with UniC, so accurate to order + 1) from ``x`` (data
    coordinates, grid point 0) to the last grid point; one network call per step.

    Deterministic: ``generator`` is accepted for the common signature and not used. The
    callback sees each step's predicted z (the corrector moves it once the next point's
    network call is in).
    """
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"UniPC order must lie in [1, {MAX_ORDER}], got {order}")
    half_log_snr = (0.5 * grid.log_snr()).tolist()
    num_steps = grid.num_steps
    z_prev = z = prior.whiten(x)
    history: list[tuple[float, Tensor]] = []
    step_order = 1
    for i in range(num_steps):
        _, sigma_i, alpha_next, sigma_next = grid.transition(i)
        pred = predict_at(denoiser, z, grid, i, prior=prior, cond=cond)
        if history:  # UniC on the point just predicted, with the order of the step that led here
            z = unipc_update(
                z_prev,
                history,
                step_order,
                half_log_snr[i],
                float(grid.alphas[i]),
                float(grid.sigmas[i - 1]),
                sigma_i,
                pred.x0,
            )
        history = [*history[-(MAX_ORDER - 1) :], (half_log_snr[i], pred.x0)]
        step_order = min(order, i + 1, num_steps - i)
        z_prev = z
        z = unipc_update(
            z, history, step_order, half_log_snr[i + 1], alpha_next, sigma_i, sigma_next
        )
        report(callback, i, num_steps, z, pred.x0, prior)
    return prior.unwhiten(z)
