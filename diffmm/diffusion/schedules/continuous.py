"""Continuous-time schedules: the VP and sub-VP SDEs (Song et al. 2021), the VE SDE
(NCSN), and EDM's σ(t) = t with Karras et al.'s (2022) ρ-spaced grid.

Each is written as the marginal z_t = α(t) z_0 + σ(t) ε; the drift f and diffusion g of the
SDE follow from α and σ (f = d log α/dt, g² = dσ²/dt − 2 f σ²), so every sampler, including
Euler–Maruyama on the reverse SDE, works on these through a :class:`SamplingGrid`.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.schedules.base import NoiseSchedule


def _uniform(batch_size: int, low: float, high: float, generator, device) -> Tensor:
    u = torch.rand(batch_size, generator=generator, device=device, dtype=torch.float64)
    return low + (high - low) * u


class VPSchedule(NoiseSchedule):
    """Variance-preserving SDE with β(t) = β₀ + (β₁ − β₀) t on t ∈ [t_min, 1].

    log α(t) = −¼ t² (β₁ − β₀) − ½ t β₀ and σ(t) = √(1 − α²). Grad-TTS uses β₀ = 0.05, β₁ = 20;
    score SDE uses 0.1 and 20. ``time_scale`` multiplies t for networks trained on step
    indices (999 for a DDPM-style embedding).
    """

    def __init__(
        self,
        beta_min: float = 0.1,
        beta_max: float = 20.0,
        t_min: float = 1e-3,
        time_scale: float = 1.0,
    ) -> None:
        if not 0 <= beta_min < beta_max:
            raise ValueError("VP schedule needs 0 ≤ beta_min < beta_max")
        if not 0 < t_min < 1:
            raise ValueError("t_min must lie in (0, 1)")
        self.beta_min, self.beta_max, self.t_min, self.time_scale = (
            beta_min,
            beta_max,
            t_min,
            time_scale,
        )

    def beta(self, t: Tensor) -> Tensor:
        """β(t) = β₀ + (β₁ − β₀) t."""
        return self.beta_min + (self.beta_max - self.beta_min) * t

    def integral_beta(self, t: Tensor) -> Tensor:
        """∫₀ᵗ β(s) ds."""
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2

    def alpha(self, t: Tensor) -> Tensor:
        return torch.exp(-0.5 * self.integral_beta(torch.as_tensor(t, dtype=torch.float64)))

    def sigma(self, t: Tensor) -> Tensor:
        return torch.sqrt(
            -torch.expm1(-self.integral_beta(torch.as_tensor(t, dtype=torch.float64)))
        )

    def t_from_log_snr(self, log_snr: Tensor) -> Tensor:
        """Inverse of λ(t): solve ∫β = log(1 + e^{−λ}) for t."""
        target = torch.log1p(torch.exp(-torch.as_tensor(log_snr, dtype=torch.float64)))
        a = 0.5 * (self.beta_max - self.beta_min)
        return (-self.beta_min + torch.sqrt(self.beta_min**2 + 4 * a * target)) / (2 * a)

    def model_time(self, t: Tensor) -> Tensor:
        return torch.as_tensor(t, dtype=torch.float64) * self.time_scale

    def alpha_sigma_from_model_time(self, model_time: Tensor) -> tuple[Tensor, Tensor]:
        t = torch.as_tensor(model_time, dtype=torch.float64) / self.time_scale
        return self.alpha(t), self.sigma(t)

    def sample_training_time(self, batch_size: int, *, generator=None, device=None) -> Tensor:
        return _uniform(batch_size, self.t_min, 1.0, generator, device)

    def default_grid(self, num_steps: int | None = None) -> SamplingGrid:
        """``num_steps`` times evenly spaced from 1 to t_min, then the data (a final denoising step)."""
        n = 1000 if num_steps is None else num_steps
        if n < 1:
            raise ValueError("the number of sampling steps must be at least 1")
        return self.grid_from_times(torch.linspace(1.0, self.t_min, n, dtype=torch.float64))


class SubVPSchedule(VPSchedule):
    """Sub-VP SDE (Song et al. 2021 eq. 29): same α as VP, σ(t) = 1 − α(t)², always below VP's."""

    def sigma(self, t: Tensor) -> Tensor:
        return -torch.expm1(-self.integral_beta(torch.as_tensor(t, dtype=torch.float64)))

    def t_from_log_snr(self, log_snr: Tensor) -> Tensor:
        # α²/(1−α²)² = e^λ; with u = α² this is e^λ u² − (2e^λ + 1) u + e^λ = 0 (root below 1).
        e = torch.exp(torch.as_tensor(log_snr, dtype=torch.float64))
        b = 2 * e + 1
        u = (b - torch.sqrt(b**2 - 4 * e**2)) / (2 * e)
        target = -torch.log(u)
        a = 0.5 * (self.beta_max - self.beta_min)
        return (-self.beta_min + torch.sqrt(self.beta_min**2 + 4 * a * target)) / (2 * a)


class VESchedule(NoiseSchedule):
    """Variance-exploding SDE: α = 1, σ(t) = σ_min (σ_max / σ_min)^t on t ∈ [t_min, 1].

    With ``num_scales`` set it is NCSN's discrete geometric ladder σ_1 > … > σ_L (Song & Ermon
    2019): training draws one of the L levels and ``time_input="index"`` hands the network
    the level's index, as NCSN's conditional network expects.
    """

    def __init__(
        self,
        sigma_min: float = 0.01,
        sigma_max: float = 50.0,
        *,
        num_scales: int | None = None,
        t_min: float = 1e-5,
        time_input: Literal["sigma", "log_sigma", "t", "index"] = "sigma",
    ) -> None:
        if not 0 < sigma_min < sigma_max:
            raise ValueError("VE schedule needs 0 < sigma_min < sigma_max")
        if time_input == "index" and num_scales is None:
            raise ValueError("time_input='index' needs a discrete ladder (num_scales)")
        if time_input not in ("sigma", "log_sigma", "t", "index"):
            raise ValueError(f"unknown VE time input {time_input!r}")
        self.sigma_min, self.sigma_max = sigma_min, sigma_max
        self.num_scales, self.t_min, self.time_input = num_scales, t_min, time_input

    def alpha(self, t: Tensor) -> Tensor:
        return torch.ones_like(torch.as_tensor(t, dtype=torch.float64))

    def sigma(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t, dtype=torch.float64)
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def t_from_log_snr(self, log_snr: Tensor) -> Tensor:
        sigma = torch.exp(-0.5 * torch.as_tensor(log_snr, dtype=torch.float64))
        return torch.log(sigma / self.sigma_min) / math.log(self.sigma_max / self.sigma_min)

    def ladder_times(self) -> Tensor:
        """t of the L levels of the discrete ladder, largest σ first."""
        if self.num_scales is None:
            raise ValueError("this VE schedule has no discrete ladder (num_scales)")
        return torch.linspace(1.0, 0.0, self.num_scales, dtype=torch.float64)

    def model_time(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t, dtype=torch.float64)
        if self.time_input == "sigma":
            return self.sigma(t)
        if self.time_input == "log_sigma":
            return torch.log(self.sigma(t))
        if self.time_input == "t":
            return t
        return ((1.0 - t) * (self.num_scales - 1)).round()

    def alpha_sigma_from_model_time(self, model_time: Tensor) -> tuple[Tensor, Tensor]:
        mt = torch.as_tensor(model_time, dtype=torch.float64)
        if self.time_input == "sigma":
            sigma = mt
        elif self.time_input == "log_sigma":
            sigma = torch.exp(mt)
        elif self.time_input == "t":
            sigma = self.sigma(mt)
        else:
            sigma = self.sigma(1.0 - mt / (self.num_scales - 1))
        return torch.ones_like(sigma), sigma

    def sample_training_time(self, batch_size: int, *, generator=None, device=None) -> Tensor:
        if self.num_scales is None:
            return _uniform(batch_size, self.t_min, 1.0, generator, device)
        idx = torch.randint(0, self.num_scales, (batch_size,), generator=generator, device=device)
        return self.ladder_times().to(device)[idx]

    def default_grid(self, num_steps: int | None = None) -> SamplingGrid:
        """The discrete ladder (if any and num_steps is None) or geometric σ from σ_max to σ_min."""
        if num_steps is None and self.num_scales is not None:
            return self.grid_from_times(self.ladder_times())
        n = 1000 if num_steps is None else num_steps
        if n < 1:
            raise ValueError("the number of sampling steps must be at least 1")
        return self.grid_from_times(torch.linspace(1.0, self.t_min, n, dtype=torch.float64))


def karras_sigmas(
    num_steps: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0
) -> Tensor:
    """Karras et al. (2022) eq. 5: σ_i = (σ_max^{1/ρ} + i/(N−1)(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ."""
    if num_steps < 1:
        raise ValueError("the number of sampling steps must be at least 1")
    if num_steps == 1:
        return torch.tensor([sigma_max], dtype=torch.float64)
    ramp = torch.linspace(0, 1, num_steps, dtype=torch.float64)
    inv_max, inv_min = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    return (inv_max + ramp * (inv_min - inv_max)) ** rho


class EDMSchedule(NoiseSchedule):
    """EDM (Karras et al. 2022): t = σ, α = 1; training σ is log-normal(P_mean, P_std).

    The network receives σ itself; EDM's preconditioning (c_in, c_skip, c_out, c_noise = ¼ ln σ)
    belongs to the network wrapper, not to the schedule.
    """

    def __init__(
        self,
        sigma_min: float = 0.002,
        sigma_max: float = 80.0,
        rho: float = 7.0,
        p_mean: float = -1.2,
        p_std: float = 1.2,
    ) -> None:
        if not 0 < sigma_min < sigma_max:
            raise ValueError("EDM schedule needs 0 < sigma_min < sigma_max")
        self.sigma_min, self.sigma_max, self.rho = sigma_min, sigma_max, rho
        self.p_mean, self.p_std = p_mean, p_std

    def alpha(self, t: Tensor) -> Tensor:
        return torch.ones_like(torch.as_tensor(t, dtype=torch.float64))

    def sigma(self, t: Tensor) -> Tensor:
        return torch.as_tensor(t, dtype=torch.float64)

    def t_from_log_snr(self, log_snr: Tensor) -> Tensor:
        return torch.exp(-0.5 * torch.as_tensor(log_snr, dtype=torch.float64))

    def model_time(self, t: Tensor) -> Tensor:
        return torch.as_tensor(t, dtype=torch.float64)

    def alpha_sigma_from_model_time(self, model_time: Tensor) -> tuple[Tensor, Tensor]:
        sigma = torch.as_tensor(model_time, dtype=torch.float64)
        return torch.ones_like(sigma), sigma

    def sample_training_time(self, batch_size: int, *, generator=None, device=None) -> Tensor:
        n = torch.randn(batch_size, generator=generator, device=device, dtype=torch.float64)
        return torch.exp(self.p_mean + self.p_std * n)

    def default_grid(self, num_steps: int | None = None) -> SamplingGrid:
        n = 18 if num_steps is None else num_steps
        return self.grid_from_times(karras_sigmas(n, self.sigma_min, self.sigma_max, self.rho))
