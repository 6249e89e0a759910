"""The Gaussian diffusion process in guided-diffusion's spirit: one object, every quantity
named as in the papers (Ho et al. 2020; Nichol & Dhariwal 2021), but thin.

It composes a :class:`NoiseSchedule` for α, σ and the network's time input, and reuses the
denoiser (parameterizations) and :func:`step_log_variance` (variance types) rather than
re-deriving them. Inputs and outputs are in *data* coordinates x = μ + σ_prior z; internally
everything is the standard diffusion in whitened z, so a PriorGrad or Grad-TTS prior is only
the ``prior`` argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from diffmm.diffusion.denoiser import Denoiser, expand_as
from diffmm.diffusion.prior import STANDARD_NORMAL, GaussianPrior
from diffmm.diffusion.schedules.base import NoiseSchedule
from diffmm.diffusion.schedules.discrete import DiscreteSchedule
from diffmm.diffusion.variance import step_log_variance


@dataclass
class GaussianMoments:
    """A diagonal Gaussian in data coordinates; ``variance`` and ``log_variance`` have x's shape."""

    mean: Tensor
    variance: Tensor
    log_variance: Tensor


@dataclass
class ReverseMoments(GaussianMoments):
    """p_θ(x_{t−1} | x_t) together with the predictions it was built from."""

    pred_x0: Tensor  # x̂_0 in data coordinates
    eps: Tensor  # ε̂ in whitened coordinates


def _to_data(
    prior: GaussianPrior, mean_z: Tensor, log_variance_z: Tensor, like: Tensor
) -> GaussianMoments:
    """Map N(mean_z, e^{log_var_z}) in z to x = μ + σ_prior z: mean shifts, log-variance gains 2 log σ."""
    log_std = torch.log(torch.as_tensor(prior.std, dtype=like.dtype, device=like.device))
    log_variance = (log_variance_z + 2 * log_std).expand_as(like)
    return GaussianMoments(prior.unwhiten(mean_z), torch.exp(log_variance), log_variance)


class GaussianDiffusion:
    """q(x_t | x_0), the DDPM posterior q(x_{t−1} | x_t, x_0) and the model's p_θ(x_{t−1} | x_t).

    ``t`` is the schedule's own time: integer step indices (B,) for a :class:`DiscreteSchedule`,
    continuous times for SDE/EDM schedules (only the forward process applies to those).
    """

    def __init__(self, schedule: NoiseSchedule) -> None:
        self.schedule = schedule

    @property
    def discrete(self) -> DiscreteSchedule:
        """The schedule, checked to be discrete (posterior and reverse step need consecutive steps)."""
        if not isinstance(self.schedule, DiscreteSchedule):
            raise ValueError(
                "the DDPM posterior and reverse step need a DiscreteSchedule, got "
                f"{type(self.schedule).__name__}"
            )
        return self.schedule

    @property
    def num_timesteps(self) -> int:
        return self.discrete.num_steps

    def _alpha_sigma(self, t: Tensor, like: Tensor) -> tuple[Tensor, Tensor]:
        t = torch.as_tensor(t, device=like.device)
        return expand_as(self.schedule.alpha(t), like), expand_as(self.schedule.sigma(t), like)

    def q_mean_variance(
        self, x0: Tensor, t: Tensor, prior: GaussianPrior = STANDARD_NORMAL
    ) -> GaussianMoments:
        """q(x_t | x_0): in z, N(α_t z_0, σ_t² I) (Ho et al. eq. 4 with α_t = √ᾱ_t)."""
        alpha, sigma = self._alpha_sigma(t, x0)
        return _to_data(prior, alpha * prior.whiten(x0), 2 * torch.log(sigma), x0)

    def q_sample(
        self,
        x0: Tensor,
        t: Tensor,
        noise: Tensor | None = None,
        prior: GaussianPrior = STANDARD_NORMAL,
        *,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """x_t = μ + σ_prior (α_t z_0 + σ_t ε) with z_0 = (x_0 − μ)/σ_prior and ε ~ N(0, I)."""
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        alpha, sigma = self._alpha_sigma(t, x0)
        return prior.unwhiten(alpha * prior.whiten(x0) + sigma * noise)

    def q_posterior_mean_variance(
        self, x0: Tensor, x_t: Tensor, t: Tensor, prior: GaussianPrior = STANDARD_NORMAL
    ) -> GaussianMoments:
        """q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t) (Ho et al. eq. 6-7), in z then mapped to x.

        The coefficients are the schedule's :class:`~diffmm.diffusion.posterior.DDPMPosterior`; the log-variance is
        iDDPM's clipped one (β̃_0 = 0 replaced by β̃_1), as the VLB terms need it finite.
        """
        idx = self.discrete._index(torch.as_tensor(t, device=x_t.device))
        mean_z, log_var_z = self._posterior_z(prior.whiten(x0), prior.whiten(x_t), idx)
        return _to_data(prior, mean_z, log_var_z, x_t)

    def _posterior_z(self, z0: Tensor, z_t: Tensor, idx: Tensor) -> tuple[Tensor, Tensor]:
        sched, device = self.discrete, z_t.device
        coef_x0 = expand_as(sched.posterior.coef_x0.to(device)[idx], z_t)
        coef_xt = expand_as(sched.posterior.coef_xt.to(device)[idx], z_t)
        log_var = expand_as(sched.posterior_log_variance_clipped.to(device)[idx], z_t)
        return coef_x0 * z0 + coef_xt * z_t, log_var

    def p_mean_variance(
        self,
        denoiser: Denoiser,
        x_t: Tensor,
        t: Tensor,
        prior: GaussianPrior = STANDARD_NORMAL,
        cond: Mapping[str, Any] | None = None,
    ) -> ReverseMoments:
        """p_θ(x_{t−1} | x_t): the posterior mean at the predicted x̂_0, and Σ_θ by variance type.

        Σ_θ comes from :func:`step_log_variance` between log β_t ("fixed_large") and the
        clipped log β̃_t ("fixed_small"). As in guided-diffusion, "fixed_large" uses β̃_1 instead
        of β_0 at t = 0: that step is the data decoder, and β_0 (1e-4 for DDPM) is about twice
        β̃_1, a needlessly wide decoder that costs likelihood and changes no sample visibly.
        "learned_range" interpolates between the true log β_t and the clipped log β̃_t.
        """
        sched = self.discrete
        idx = sched._index(torch.as_tensor(t, device=x_t.device))
        z_t = prior.whiten(x_t)
        pred = denoiser.predict(
            z_t,
            sched.alpha(idx),
            sched.sigma(idx),
            sched.model_time(idx),
            prior=prior,
            cond=cond,
        )
        log_beta = torch.log(sched.betas.to(x_t.device))[idx]
        log_beta_tilde = sched.posterior_log_variance_clipped.to(x_t.device)[idx]
        if denoiser.variance == "fixed_large":
            log_beta = torch.where(idx == 0, log_beta_tilde, log_beta)
        log_var_z = step_log_variance(
            denoiser.variance,
            expand_as(log_beta, x_t),
            expand_as(log_beta_tilde, x_t),
            pred.variance_output,
        )
        mean_z, _ = self._posterior_z(pred.x0, z_t, idx)
        moments = _to_data(prior, mean_z, log_var_z, x_t)
        return ReverseMoments(
            moments.mean, moments.variance, moments.log_variance, prior.unwhiten(pred.x0), pred.eps
        )
