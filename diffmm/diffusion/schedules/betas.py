"""Discrete β schedules β_1..β_T (float64), named as in the papers that introduced them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor


def linear_betas(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> Tensor:
    """Linearly spaced β (Ho et al. 2020: 1e-4 → 0.02 over T = 1000)."""
    return torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)


def quadratic_betas(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> Tensor:
    """√β linearly spaced, then squared."""
    return torch.linspace(beta_start**0.5, beta_end**0.5, num_steps, dtype=torch.float64) ** 2


def sigmoid_betas(
    num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02, width: float = 6.0
) -> Tensor:
    """β following a logistic curve over [-width, width] between beta_start and beta_end."""
    s = torch.sigmoid(torch.linspace(-width, width, num_steps, dtype=torch.float64))
    return beta_start + (beta_end - beta_start) * s


def cosine_betas(num_steps: int, s: float = 0.008, max_beta: float = 0.999) -> Tensor:
    """Nichol & Dhariwal (2021) eq. 17: ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2).

    β_t = 1 − ᾱ_t / ᾱ_{t−1}, clipped at ``max_beta`` to avoid the singularity at t = T.
    """
    steps = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    alphas_cumprod = f / f[0]
    betas = 1 - alphas_cumprod[1:] / alphas_cumprod[:-1]
    return betas.clamp(max=max_beta)


def explicit_betas(betas: Sequence[float]) -> Tensor:
    """A user-given β list (e.g. DiffWave's fast inference schedule)."""
    out = torch.as_tensor(list(betas), dtype=torch.float64)
    if out.ndim != 1 or out.numel() == 0:
        raise ValueError("an explicit β schedule must be a non-empty list of numbers")
    return out


BETA_SCHEDULES: dict[str, Callable[..., Tensor]] = {
    "linear": linear_betas,
    "quadratic": quadratic_betas,
    "sigmoid": sigmoid_betas,
    "cosine": cosine_betas,
}


def named_betas(name: str, num_steps: int, **kwargs: float) -> Tensor:
    """β for a schedule by name: one of ``linear``, ``quadratic``, ``sigmoid``, ``cosine``."""
    try:
        fn = BETA_SCHEDULES[name]
    except KeyError:
        known = ", ".join(sorted(BETA_SCHEDULES))
        raise ValueError(f"unknown beta schedule {name!r}; known: {known}") from None
    return fn(num_steps, **kwargs)
