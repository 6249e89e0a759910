"""Negative log-likelihoods: the discrete VLB (Ho et al. 2020; Nichol & Dhariwal 2021) and
the exact likelihood of the probability-flow ODE (Song et al. 2021, appendix D).

The ODE in whitened coordinates is dz/dt = f(t) z − ½ g(t)² ∇_z log p_t(z) with
∇_z log p_t = −ε̂/σ(t); by the instantaneous change of variables (Chen et al. 2018)
log p_0(z_0) = log p_T(z_T) + ∫_0^T ∇·(dz/dt) dt. The divergence is computed exactly (D
backward passes) or with the Hutchinson–Skilling estimator vᵀ J v, one probe v per solve
(Grathwohl et al. 2019). Data coordinates add the prior's log-determinant −Σ log σ_prior.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses.vlb import prior_bits_per_dim, vlb_term_bits_per_dim
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.process import GaussianDiffusion
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.diffusion.schedules.discrete import DiscreteSchedule


@dataclass
class VLBResult:
    """Bits/dim per example: ``total`` = Σ ``terms`` + ``prior``; ``terms`` is (B, T) by step."""

    total: Tensor
    terms: Tensor
    prior: Tensor


@torch.no_grad()
def vlb_bits_per_dim(
    denoiser: Denoiser,
    x0: Tensor,
    schedule: DiscreteSchedule,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    noise: Tensor | None = None,
    mask: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> VLBResult:
    """The full VLB of 8-bit data x0 in [−1, 1]: every step's term plus the prior term.

    Each step draws its own x_t ~ q(x_t | x_0) unless ``noise`` is given (then the same ε is
    used at every step, which makes the result a deterministic function of ε). As in iDDPM's
    evaluation, a denoiser with ``clip_x0=(-1, 1)`` keeps x̂_0 on the data range.
    """
    diffusion = GaussianDiffusion(schedule)
    steps = schedule.num_steps
    terms = torch.empty(x0.shape[0], steps, dtype=x0.dtype, device=x0.device)
    for step in range(steps):
        t = torch.full((x0.shape[0],), step, device=x0.device, dtype=torch.long)
        x_t = diffusion.q_sample(x0, t, noise, prior, generator=generator)
        terms[:, step], _ = vlb_term_bits_per_dim(
            diffusion, denoiser, x0, x_t, t, prior=prior, cond=cond, mask=mask
        )
    prior_term = prior_bits_per_dim(diffusion, x0, prior, mask)
    return VLBResult(total=terms.sum(1) + prior_term, terms=terms, prior=prior_term)


@dataclass
class ODELikelihood:
    """log p(x) in nats (data coordinates) and bits/dim = −log p(x) / (D ln 2), per example."""

    log_likelihood: Tensor
    bits_per_dim: Tensor
    num_function_evals: int


def ode_log_likelihood(
    denoiser: Denoiser,
    x: Tensor,
    schedule: NoiseSchedule,
    prior: GaussianPrior = STANDARD_NORMAL,
    *,
    cond: Mapping[str, Any] | None = None,
    estimator: Literal["hutchinson", "exact"] = "hutchinson",
    noise: Literal["gaussian", "rademacher"] = "gaussian",
    rtol: float = 1e-5,
    atol: float = 1e-5,
    t_span: tuple[float, float] | None = None,
    generator: torch.Generator | None = None,
) -> ODELikelihood:
    """log p(x) under the probability-flow ODE of a continuous schedule (VP, sub-VP, VE).

    Integrates from t_span[0] (default: the schedule's ``t_min``) to t_span[1] (default 1)
    with RK45, and scores the end point under N(0, (α² + σ²) I), the terminal law in z of
    unit-variance data (N(0, I) for VP, ≈ N(0, σ_max² I) for VE). For EDM pass
    ``t_span=(sigma_min, sigma_max)``. The network is evaluated in x's dtype.
    """
    if isinstance(schedule, DiscreteSchedule):
        raise ValueError("the ODE likelihood needs a continuous schedule; use vlb_bits_per_dim")
    if estimator not in ("hutchinson", "exact"):
        raise ValueError(f"unknown trace estimator {estimator!r}; known: hutchinson, exact")
    if noise not in ("gaussian", "rademacher"):
        raise ValueError(f"unknown probe noise {noise!r}; known: gaussian, rademacher")
    t_start, t_end = t_span if t_span is not None else (getattr(schedule, "t_min", 1e-5), 1.0)
    shape, dtype, device = x.shape, x.dtype, x.device
    batch, dim = shape[0], x[0].numel()
    probe = torch.randn(shape, generator=generator, dtype=dtype, device="cpu").to(device)
    if noise == "rademacher":
        probe = probe.sign()
    evals = 0

    def ode(t: float, state: np.ndarray) -> np.ndarray:
        nonlocal evals
        evals += 1
        z = torch.from_numpy(state[: batch * dim]).to(device=device, dtype=dtype).reshape(shape)
        drift, divergence = _drift_and_divergence(
            denoiser, schedule, z, t, prior, cond, None if estimator == "exact" else probe
        )
        return np.concatenate(
            [drift.reshape(-1).double().cpu().numpy(), divergence.double().cpu().numpy()]
        )

    z0 = prior.whiten(x)
    state0 = np.concatenate([z0.reshape(-1).double().cpu().numpy(), np.zeros(batch)])
    solution = solve_ivp(ode, (t_start, t_end), state0, method="RK45", rtol=rtol, atol=atol)
    if not solution.success:
        raise RuntimeError(f"probability-flow ODE solve failed: {solution.message}")
    end = torch.from_numpy(solution.y[:, -1])
    z_end, integral = end[: batch * dim].reshape(batch, dim), end[batch * dim :]
    t_end_tensor = torch.tensor(t_end, dtype=torch.float64)
    terminal_var = float(schedule.alpha(t_end_tensor) ** 2 + schedule.sigma(t_end_tensor) ** 2)
    log_terminal = -0.5 * (z_end**2).sum(1) / terminal_var - 0.5 * dim * math.log(
        2 * math.pi * terminal_var
    )
    log_std = torch.log(torch.as_tensor(prior.std, dtype=torch.float64)).expand(shape)
    log_p = log_terminal + integral - log_std.reshape(batch, dim).sum(1)
    return ODELikelihood(
        log_likelihood=log_p.to(device),
        bits_per_dim=-log_p.to(device) / (dim * math.log(2)),
        num_function_evals=evals,
    )


def _drift_and_divergence(
    denoiser: Denoiser,
    schedule: NoiseSchedule,
    z: Tensor,
    t: float,
    prior: GaussianPrior,
    cond: Mapping[str, Any] | None,
    probe: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """PF-ODE drift f z + ½ g² ε̂/σ at time t, and its divergence per example (exact if no probe)."""
    t_tensor = torch.tensor(t, dtype=torch.float64)
    f, g = schedule.drift_and_diffusion(t_tensor)
    alpha, sigma = schedule.alpha(t_tensor), schedule.sigma(t_tensor)
    model_time = schedule.model_time(t_tensor)
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        eps = denoiser.predict(z, alpha, sigma, model_time, prior=prior, cond=cond).eps
        drift = float(f) * z + 0.5 * float(g) ** 2 / float(sigma) * eps
        if probe is not None:
            (jvp,) = torch.autograd.grad((drift * probe).sum(), z)
            divergence = (jvp * probe).flatten(1).sum(1)
        else:
            flat = drift.flatten(1)
            divergence = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
            for i in range(flat.shape[1]):
                (row,) = torch.autograd.grad(flat[:, i].sum(), z, retain_graph=True)
                divergence = divergence + row.flatten(1)[:, i]
    return drift.detach(), divergence.detach()
