"""The variational bound of a discrete-time diffusion (Ho et al. 2020 eq. 5; Nichol &
Dhariwal 2021 §2-3), term by term, in bits per dimension.

L_vlb = L_T + Σ_{t>1} L_{t−1} + L_0 with L_T = KL(q(x_T | x_0) ‖ p(x_T)),
L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) and L_0 = −log p_θ(x_0 | x_1), a
discretized Gaussian over the 256 levels of 8-bit data scaled to [−1, 1]. In the engine's
0-based step indices, step 0 is the decoder and step n > 0 is a KL term. Every term is a
mean over (valid) dimensions divided by ln 2, as in iDDPM's reported bits/dim.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser
from diffmm.diffusion.losses.output import masked_mean
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.process import GaussianDiffusion, ReverseMoments

LN2 = math.log(2.0)


def normal_kl(mean1: Tensor, logvar1: Tensor, mean2: Tensor, logvar2: Tensor) -> Tensor:
    """KL(N(mean1, e^{logvar1}) ‖ N(mean2, e^{logvar2})) per element, in nats."""
    return 0.5 * (
        logvar2
        - logvar1
        + torch.exp(logvar1 - logvar2)
        + (mean1 - mean2) ** 2 * torch.exp(-logvar2)
        - 1.0
    )


def discretized_gaussian_log_likelihood(
    x: Tensor, mean: Tensor, log_scale: Tensor, num_bins: int = 256
) -> Tensor:
    """log P(x) per element for x on ``num_bins`` evenly spaced levels in [−1, 1] (Ho et al. eq. 13).

    Each level owns the interval of half-width 1/(num_bins − 1) around it; the outermost levels
    take the tails to ∓∞, so the probabilities of all levels sum to one.
    """
    half_bin = 1.0 / (num_bins - 1)
    inv_scale = torch.exp(-log_scale)
    upper = (x - mean + half_bin) * inv_scale
    lower = (x - mean - half_bin) * inv_scale
    log_cdf_upper = torch.special.log_ndtr(upper)
    log_sf_lower = torch.special.log_ndtr(-lower)
    # Φ(u) − Φ(l) cancels badly in the upper tail; there use (1 − Φ(l)) − (1 − Φ(u)).
    centre = 0.5 * (upper + lower)
    delta = torch.where(
        centre > 0,
        torch.special.ndtr(-lower) - torch.special.ndtr(-upper),
        torch.special.ndtr(upper) - torch.special.ndtr(lower),
    )
    log_delta = torch.log(delta.clamp_min(1e-12))
    return torch.where(
        x < -1 + half_bin / 2,
        log_cdf_upper,
        torch.where(x > 1 - half_bin / 2, log_sf_lower, log_delta),
    )


def prior_bits_per_dim(
    diffusion: GaussianDiffusion,
    x0: Tensor,
    prior: GaussianPrior = STANDARD_NORMAL,
    mask: Tensor | None = None,
) -> Tensor:
    """L_T = KL(q(x_T | x_0) ‖ N(μ, diag σ²)) per example in bits/dim (no learned parameters)."""
    last = torch.full((x0.shape[0],), diffusion.num_timesteps - 1, device=x0.device)
    q = diffusion.q_mean_variance(x0, last, prior)
    prior_log_var = 2 * torch.log(torch.as_tensor(prior.std, dtype=x0.dtype, device=x0.device))
    prior_mean = torch.as_tensor(prior.mean, dtype=x0.dtype, device=x0.device)
    kl = normal_kl(q.mean, q.log_variance, prior_mean.expand_as(x0), prior_log_var.expand_as(x0))
    return masked_mean(kl, mask) / LN2


def vlb_term_bits_per_dim(
    diffusion: GaussianDiffusion,
    denoiser: Denoiser,
    x0: Tensor,
    x_t: Tensor,
    t: Tensor,
    *,
    prior: GaussianPrior = STANDARD_NORMAL,
    cond: Mapping[str, Any] | None = None,
    mask: Tensor | None = None,
) -> tuple[Tensor, ReverseMoments]:
    """The VLB term at step t per example (decoder NLL at t = 0, posterior KL otherwise)."""
    t = torch.as_tensor(t, device=x0.device)
    true = diffusion.q_posterior_mean_variance(x0, x_t, t, prior)
    model = diffusion.p_mean_variance(denoiser, x_t, t, prior, cond)
    kl = masked_mean(normal_kl(true.mean, true.log_variance, model.mean, model.log_variance), mask)
    decoder_nll = -masked_mean(
        discretized_gaussian_log_likelihood(x0, model.mean, 0.5 * model.log_variance), mask
    )
    term = torch.where(t == 0, decoder_nll, kl) / LN2
    return term, model
