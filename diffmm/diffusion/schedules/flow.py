"""The straight (optimal-transport) path of conditional flow matching (Lipman et al. 2023;
Matcha-TTS, Mehta et al. 2024) as a schedule: z_t = (1 − t) z_0 + (σ_min + (1 − σ_min) t) ε.

Matcha-TTS writes the path from noise (its t = 0) to data (t = 1) as
x = (1 − (1 − σ_min) t') ε + t' x_1; here t = 1 − t' runs from data to noise like every
schedule of the engine, so α(t) = 1 − t and σ(t) = σ_min + (1 − σ_min) t. Paired with the
``flow`` parameterization (the network predicts u = ε − z_0, the velocity of the straight
path, see ``diffmm.diffusion.denoiser``), its loss is flow matching, and every sampler of the
engine runs on it: the probability-flow ODE of this marginal is the flow's ODE, and Euler on it
(DDIM) is the Euler step z_s = z_t + (s − t) û of Matcha-TTS up to the σ_min term.

α vanishes at t = 1, where the samplers' z/α is undefined, so the grids start at
``t_max`` = 1 − 10⁻³: the sample drawn there from N(0, (α² + σ²) I) differs from the path's
marginal by the data's share α z_0 ≈ 10⁻³ z_0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from diffmm.diffusion.grid import SamplingGrid
from diffmm.diffusion.schedules.base import NoiseSchedule


class FlowMatchingSchedule(NoiseSchedule):
    """α(t) = 1 − t, σ(t) = σ_min + (1 − σ_min) t; training t ~ U(0, 1); the network's time
    input is t · ``time_scale``."""

    def __init__(
        self, sigma_min: float = 1e-4, t_max: float = 1.0 - 1e-3, time_scale: float = 1.0
    ) -> None:
        if not 0 <= sigma_min < 1:
            raise ValueError(f"sigma_min must lie in [0, 1), got {sigma_min}")
        if not 0 < t_max < 1:
            raise ValueError(f"t_max must lie in (0, 1), got {t_max}")
        self.sigma_min, self.t_max, self.time_scale = sigma_min, t_max, time_scale

    def alpha(self, t: Tensor) -> Tensor:
        return 1.0 - torch.as_tensor(t, dtype=torch.float64)

    def sigma(self, t: Tensor) -> Tensor:
        t = torch.as_tensor(t, dtype=torch.float64)
        return self.sigma_min + (1.0 - self.sigma_min) * t

    def t_from_log_snr(self, log_snr: Tensor) -> Tensor:
        """Solve (1 − t) / (σ_min + (1 − σ_min) t) = r = e^{λ/2} for t."""
        r = torch.exp(0.5 * torch.as_tensor(log_snr, dtype=torch.float64))
        return (1.0 - r * self.sigma_min) / (1.0 + r * (1.0 - self.sigma_min))

    def model_time(self, t: Tensor) -> Tensor:
        return torch.as_tensor(t, dtype=torch.float64) * self.time_scale

    def alpha_sigma_from_model_time(self, model_time: Tensor) -> tuple[Tensor, Tensor]:
        t = torch.as_tensor(model_time, dtype=torch.float64) / self.time_scale
        return self.alpha(t), self.sigma(t)

    def sample_training_time(self, batch_size: int, *, generator=None, device=None) -> Tensor:
        return torch.rand(batch_size, generator=generator, device=device, dtype=torch.float64)

    def default_grid(self, num_steps: int | None = None) -> SamplingGrid:
        """``num_steps`` Euler steps evenly spaced in t from t_max to the data (Matcha: 2-10)."""
        n = 10 if num_steps is None else num_steps
        if n < 1:
            raise ValueError("the number of sampling steps must be at least 1")
        times = torch.linspace(self.t_max, 0.0, n + 1, dtype=torch.float64)[:-1]
        return self.grid_from_times(times)
