"""The DDPM posterior q(z_s | z_t, z_0) between two noise levels s < t: the one place it is written.

A noise level is a pair (α, σ) with z = α z_0 + σ ε. Between levels s < t the forward
transition is q(z_t | z_s) = N(α_{t|s} z_s, σ²_{t|s} I) with α_{t|s} = α_t / α_s and
σ²_{t|s} = σ_t² − α²_{t|s} σ_s², and Bayes' rule inverts it (Kingma et al. 2021, VDM eq. 26-28):

    q(z_s | z_t, z_0) = N(μ̃, β̃ I),
    μ̃ = (α_{t|s} σ_s² / σ_t²) z_t + (α_s σ²_{t|s} / σ_t²) z_0,    β̃ = σ²_{t|s} σ_s² / σ_t².

For consecutive DDPM steps t−1 < t, α_s = √ᾱ_{t−1}, σ_s² = 1 − ᾱ_{t−1}, α_{t|s} = √(1 − β_t) and
σ²_{t|s} = β_t, which is Ho et al. (2020) eq. 7:

    μ̃_t = (√ᾱ_{t−1} β_t / (1 − ᾱ_t)) x_0 + (√(1 − β_t) (1 − ᾱ_{t−1}) / (1 − ᾱ_t)) x_t,
    β̃_t = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t).

The process, the VLB and every sampler take these coefficients from :class:`DDPMPosterior`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import torch
from torch import Tensor

# Samplers step with Python floats; a discrete schedule builds whole per-step tables at once.
Scalar = TypeVar("Scalar", float, Tensor)


def transition_variance(alpha_t: float, sigma_t: float, alpha_s: float, sigma_s: float) -> float:
    """σ²_{t|s} = σ_t² − (α_t/α_s)² σ_s², the variance of q(z_t | z_s) for s < t.

    For consecutive DDPM steps this is β_t (the "fixed large" reverse variance).
    """
    return max(sigma_t**2 - (alpha_t / alpha_s) ** 2 * sigma_s**2, 0.0)


@dataclass(frozen=True)
class DDPMPosterior(Generic[Scalar]):
    """q(z_s | z_t, z_0) = N(coef_xt · z_t + coef_x0 · z_0, variance · I), with the forward
    step's variance beside it since the reverse variance types choose between the two.

    Fields are floats for one step, or tensors holding one entry per step.
    """

    coef_xt: Scalar  # α_{t|s} σ_s² / σ_t²  (guided-diffusion's posterior_mean_coef2)
    coef_x0: Scalar  # α_s σ²_{t|s} / σ_t²  (posterior_mean_coef1)
    variance: Scalar  # β̃ = σ²_{t|s} σ_s² / σ_t²  ("fixed_small")
    transition_variance: Scalar  # σ²_{t|s}, β_t for a DDPM step  ("fixed_large")

    @classmethod
    def from_transition(
        cls,
        *,
        alpha_s: Scalar,
        sigma_s_sq: Scalar,
        alpha_ts: Scalar,
        sigma_ts_sq: Scalar,
        sigma_t_sq: Scalar,
    ) -> DDPMPosterior[Scalar]:
        """The posterior from level s (α_s, σ_s²), the transition (α_{t|s}, σ²_{t|s}) and σ_t².

        σ_t² = α²_{t|s} σ_s² + σ²_{t|s} is passed rather than recomputed because a DDPM schedule
        knows β_t and 1 − ᾱ_t exactly: recovering either from the others by subtraction would
        lose digits where β is small.
        """
        return cls(
            coef_xt=alpha_ts * sigma_s_sq / sigma_t_sq,
            coef_x0=alpha_s * sigma_ts_sq / sigma_t_sq,
            variance=sigma_ts_sq * sigma_s_sq / sigma_t_sq,
            transition_variance=sigma_ts_sq,
        )

    @classmethod
    def between(
        cls, alpha_t: float, sigma_t: float, alpha_s: float, sigma_s: float
    ) -> DDPMPosterior[float]:
        """The posterior between any two levels s < t of a grid, given as (α_t, σ_t, α_s, σ_s)."""
        return cls.from_transition(
            alpha_s=alpha_s,
            sigma_s_sq=sigma_s**2,
            alpha_ts=alpha_t / alpha_s,
            sigma_ts_sq=transition_variance(alpha_t, sigma_t, alpha_s, sigma_s),
            sigma_t_sq=sigma_t**2,
        )

    def log_variance_clipped(self: DDPMPosterior[Tensor]) -> Tensor:
        """log β̃ per step of a chain whose step 0 goes into the data, where β̃ = 0.

        As in iDDPM, log β̃_0 = −∞ is replaced by log β̃_1 (by log β_0 for a one-step chain) so
        that the step-0 decoder and the learned-range interpolation stay finite.
        """
        first = self.variance[1] if self.variance.numel() > 1 else self.transition_variance[0]
        return torch.log(torch.cat([first.reshape(1), self.variance[1:]]))
