"""The reverse-step variance p(z_s | z_t) = N(·, Σ_θ) for each variance type.

Between grid points t → s the two natural choices are the two variances a
:class:`~diffmm.diffusion.posterior.DDPMPosterior` carries: β = σ²_{t|s} (the forward transition
variance, "fixed large") and β̃ (the true posterior variance, "fixed small"); Ho et al. (2020)
found both work. iDDPM ("learned_range") learns v ∈ [−1, 1] and uses
log Σ = ((v+1)/2) log β + (1 − (v+1)/2) log β̃ (Nichol & Dhariwal 2021 eq. 15); "learned"
takes log Σ straight from the network.
"""

from __future__ import annotations

import torch
from torch import Tensor


def step_log_variance(
    variance: str,
    log_beta: Tensor | float,
    log_beta_tilde: Tensor | float,
    variance_output: Tensor | None = None,
) -> Tensor:
    """log Σ_θ for one reverse step; ``log_beta_tilde`` must already be clipped away from −∞."""
    log_beta = torch.as_tensor(log_beta)
    log_beta_tilde = torch.as_tensor(log_beta_tilde)
    if variance == "fixed_small":
        return log_beta_tilde
    if variance == "fixed_large":
        return log_beta
    if variance_output is None:
        raise ValueError(f"variance type {variance!r} needs the network's variance output")
    if variance == "learned":
        return variance_output
    if variance == "learned_range":
        frac = (variance_output + 1) / 2
        return frac * log_beta.to(variance_output) + (1 - frac) * log_beta_tilde.to(variance_output)
    raise ValueError(f"unknown variance type {variance!r}")
