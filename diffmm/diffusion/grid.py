"""A sampling grid: the noise levels a sampler walks through, from the prior towards data.

Every sampler in :mod:`diffmm.diffusion.samplers` sees the diffusion only through a grid:
at point i the (whitened) sample is z = α_i z_0 + σ_i ε, and the network is called with
``model_times[i]``, the time in the form it was trained with (integer step, fractional
step, continuous t or σ). A grid may end at the data itself (α = 1, σ = 0); the last
transition then returns the denoised estimate, as in DDPM's final step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class SamplingGrid:
    """Points ordered from most to least noisy. All tensors are float64 of length N + 1."""

    alphas: Tensor  # signal scales α_i (√ᾱ for DDPM, never DDPM's per-step 1 − β)
    sigmas: Tensor  # noise scales σ_i
    model_times: Tensor

    def __post_init__(self) -> None:
        n = self.alphas.numel()
        if n < 2 or self.sigmas.numel() != n or self.model_times.numel() != n:
            raise ValueError("a sampling grid needs at least two points and equal-length tensors")
        if bool((self.sigmas < 0).any()) or bool((self.alphas <= 0).any()):
            raise ValueError("grid needs α > 0 and σ ≥ 0 at every point")
        snr = self.alphas[:-1] / self.sigmas[:-1]
        snr_next = torch.where(
            self.sigmas[1:] > 0, self.alphas[1:] / self.sigmas[1:].clamp_min(1e-300), torch.inf
        )
        if bool((snr_next <= snr).any()):
            raise ValueError("grid points must go strictly from noisier to cleaner (rising SNR)")
        if bool((self.sigmas[:-1] == 0).any()):
            raise ValueError("only the last grid point may be noise-free data")

    @property
    def num_steps(self) -> int:
        """Number of transitions (network evaluations for a first-order sampler)."""
        return self.alphas.numel() - 1

    @property
    def ends_at_data(self) -> bool:
        return bool(self.sigmas[-1] == 0)

    @property
    def prior_scale(self) -> float:
        """Standard deviation of z at the first point if the data had unit variance: √(α² + σ²).

        1 for variance-preserving schedules, ≈ σ_max for variance-exploding ones.
        """
        return float(torch.sqrt(self.alphas[0] ** 2 + self.sigmas[0] ** 2))

    def log_snr(self) -> Tensor:
        """λ_i = log(α_i² / σ_i²); +inf at a data point."""
        return 2 * (torch.log(self.alphas) - torch.log(self.sigmas))

    def transition(self, i: int) -> tuple[float, float, float, float]:
        """(α_t, σ_t, α_s, σ_s) for the step from point i (time t) to point i + 1 (time s)."""
        return (
            float(self.alphas[i]),
            float(self.sigmas[i]),
            float(self.alphas[i + 1]),
            float(self.sigmas[i + 1]),
        )

    def with_data_endpoint(self) -> SamplingGrid:
        """Append the data point (α=1, σ=0) unless the grid already ends there."""
        if self.ends_at_data:
            return self
        one = torch.ones(1, dtype=torch.float64)
        return SamplingGrid(
            torch.cat([self.alphas, one]),
            torch.cat([self.sigmas, torch.zeros(1, dtype=torch.float64)]),
            torch.cat([self.model_times, torch.full((1,), float("nan"), dtype=torch.float64)]),
        )

    def without_data_endpoint(self) -> SamplingGrid:
        """Drop a final data point, e.g. for annealed Langevin dynamics, which only visits noise levels."""
        if not self.ends_at_data:
            return self
        return SamplingGrid(self.alphas[:-1], self.sigmas[:-1], self.model_times[:-1])
