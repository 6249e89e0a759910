"""The schedule interface shared by discrete (DDPM) and continuous (SDE, EDM) diffusions.

A schedule says how much signal and noise a sample carries at training time t: in
whitened coordinates z_t = α(t) z_0 + σ(t) ε. It also says what the network receives as
its time input, how training times are drawn, and which grid a sampler walks.

Names. Throughout the engine α is the signal scale, as in VDM (Kingma et al. 2021) and EDM:
``alpha(t)``, ``SamplingGrid.alphas`` and the samplers' α_t are all α_t = √ᾱ_t for DDPM (1 for
VE and EDM). DDPM's per-step 1 − β_n, which Ho et al. write α_n, is never called alpha here:
it is ``DiscreteSchedule.one_minus_betas``, α²_{n|n−1} in VDM's notation. ᾱ_n keeps the papers'
name ``alphas_cumprod`` (ᾱ_n = α_n²).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import torch
from torch import Tensor

from diffmm.diffusion.grid import SamplingGrid


class NoiseSchedule(ABC):
    """z_t = α(t) z_0 + σ(t) ε; subclasses define α, σ and the time conventions."""

    @abstractmethod
    def alpha(self, t: Tensor) -> Tensor:
        """Signal scale α(t) (√ᾱ_t for DDPM)."""

    @abstractmethod
    def sigma(self, t: Tensor) -> Tensor:
        """Noise scale σ(t) (√(1-ᾱ_t) for DDPM, σ for VE/EDM)."""

    @abstractmethod
    def model_time(self, t: Tensor) -> Tensor:
        """The time input the network was trained with at schedule time t."""

    @abstractmethod
    def sample_training_time(
        self, batch_size: int, *, generator: torch.Generator | None = None, device=None
    ) -> Tensor:
        """Draw training times t for a batch (the schedule's default proposal)."""

    @abstractmethod
    def default_grid(self, num_steps: int | None = None) -> SamplingGrid:
        """The schedule's own grid of ``num_steps`` transitions ending at data (None: its default count)."""

    def log_snr_grid(self, num_steps: int | None = None) -> SamplingGrid:
        """A grid through the default grid's noise range, evenly spaced in log-SNR λ.

        DPM-Solver's recommended spacing (Lu et al. 2022, "logSNR" skip type). Continuous
        schedules invert λ with ``t_from_log_snr``; discrete ones override this.
        """
        span = self.default_grid(num_steps).without_data_endpoint().log_snr()
        n = span.numel()
        return self.grid_at_log_snr(
            torch.linspace(float(span[0]), float(span[-1]), n, dtype=torch.float64)
        )

    def angle_grid(self, num_steps: int | None = None) -> SamplingGrid:
        """N points evenly spaced in the angle φ = arctan(σ/α), then the data.

        φ runs through N + 1 even steps from the noisiest to the least noisy level of the
        default grid, and that last level is replaced by the data (φ = 0), so none of the N
        network calls is spent there (at σ = √β₀ = 0.01 on DDPM's schedule, a step changes
        almost nothing). On the cosine schedule, α = cos φ with φ linear in t, this is the
        time-uniform grid. ``num_steps=None`` is the default grid itself.
        """
        if num_steps is None:
            return self.default_grid(None)
        if num_steps < 1:
            raise ValueError("the number of sampling steps must be at least 1")
        span = self.default_grid(None).without_data_endpoint()
        phi_max = math.atan2(float(span.sigmas[0]), float(span.alphas[0]))
        phi_min = math.atan2(float(span.sigmas[-1]), float(span.alphas[-1]))
        k = torch.arange(num_steps, dtype=torch.float64)
        phi = phi_max - k * (phi_max - phi_min) / num_steps
        return self.grid_at_log_snr(-2 * torch.log(torch.tan(phi)))  # λ = log(α²/σ²)

    def grid_at_log_snr(self, log_snr: Tensor) -> SamplingGrid:
        """A grid through the given λ (noisiest first), ending at data."""
        return self.grid_from_times(self.t_from_log_snr(log_snr))

    def t_from_log_snr(self, log_snr: Tensor) -> Tensor:
        """Inverse of :meth:`log_snr`."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form inverse of λ(t)")

    def grid(self, num_steps: int | None = None, spacing: str = "default") -> SamplingGrid:
        """A sampling grid ending at data: ``spacing`` is "default" (the schedule's own: even
        respacing for DDPM, uniform t for SDEs, Karras's ρ-grid for EDM), "log_snr" or "angle"."""
        if spacing == "default":
            return self.default_grid(num_steps)
        if spacing == "log_snr":
            return self.log_snr_grid(num_steps)
        if spacing == "angle":
            return self.angle_grid(num_steps)
        raise ValueError(f"unknown grid spacing {spacing!r}; known: default, log_snr, angle")

    @abstractmethod
    def alpha_sigma_from_model_time(self, model_time: Tensor) -> tuple[Tensor, Tensor]:
        """Invert :meth:`model_time`: the (α, σ) a network input time stands for.

        Exact networks (the analytic mixture in tests) use it, which makes every test also
        check that samplers hand the network the time form it was trained with.
        """

    def log_snr(self, t: Tensor) -> Tensor:
        """λ(t) = log(α² / σ²)."""
        return 2 * (torch.log(self.alpha(t)) - torch.log(self.sigma(t)))

    def drift_and_diffusion(self, t: Tensor) -> tuple[Tensor, Tensor]:
        """SDE coefficients (f(t), g(t)) of dz = f z dt + g dw with this schedule's marginals.

        f = d log α/dt and g² = dσ²/dt − 2 f σ² (Kingma et al. 2021, appendix A), by autograd
        in float64 through :meth:`alpha` and :meth:`sigma`, so every continuous schedule gets
        them without a hand derivation. VP: f = −½β(t), g² = β(t).
        """
        t = torch.as_tensor(t, dtype=torch.float64).detach().clone().requires_grad_(True)
        with torch.enable_grad():
            log_alpha = torch.log(self.alpha(t))
            var = self.sigma(t) ** 2
            f = _elementwise_derivative(log_alpha, t)
            g_squared = _elementwise_derivative(var, t) - 2 * f * var.detach()
        return f, g_squared.clamp_min(0).sqrt()

    def grid_from_times(self, times: Tensor) -> SamplingGrid:
        """A grid through the given schedule times (noisiest first), ending at data."""
        times = times.to(torch.float64)
        return SamplingGrid(
            self.alpha(times).to(torch.float64),
            self.sigma(times).to(torch.float64),
            self.model_time(times).to(torch.float64),
        ).with_data_endpoint()


def _elementwise_derivative(y: Tensor, t: Tensor) -> Tensor:
    """dy/dt for y computed elementwise from t (zero where y does not depend on t)."""
    if not y.requires_grad:
        return torch.zeros_like(t).detach()
    (grad,) = torch.autograd.grad(y.sum(), t, allow_unused=True)
    return torch.zeros_like(t).detach() if grad is None else grad
