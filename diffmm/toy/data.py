"""Classic 2-D toy distributions, each standardised to roughly unit scale."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


def swiss_roll(n: int, generator: torch.Generator, noise: float = 0.05) -> Tensor:
    """A 2-D swiss roll: radius grows with angle over 1.5 turns."""
    angle = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator, dtype=torch.float64))
    points = torch.stack([angle * torch.cos(angle), angle * torch.sin(angle)], 1) / 10.0
    return points + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)


def eight_gaussians(n: int, generator: torch.Generator, std: float = 0.08) -> Tensor:
    """Eight equal Gaussians on a circle of radius 1.5."""
    k = torch.randint(0, 8, (n,), generator=generator)
    centers = 1.5 * torch.stack([torch.cos(k * math.pi / 4), torch.sin(k * math.pi / 4)], 1).to(
        torch.float64
    )
    return centers + std * torch.randn(n, 2, generator=generator, dtype=torch.float64)


def two_moons(n: int, generator: torch.Generator, noise: float = 0.05) -> Tensor:
    """Two interleaved half circles, centred."""
    upper = torch.rand(n, generator=generator) < 0.5
    angle = math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
    x = torch.where(upper, torch.cos(angle), 1 - torch.cos(angle))
    y = torch.where(upper, torch.sin(angle), 0.5 - torch.sin(angle))
    points = torch.stack([x - 0.5, y - 0.25], 1)
    return points + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)


TOY_DATASETS: dict[str, Callable[[int, torch.Generator], Tensor]] = {
    "swiss_roll": swiss_roll,
    "eight_gaussians": eight_gaussians,
    "two_moons": two_moons,
}


def make_toy_dataset(name: str, n: int, seed: int = 0) -> Tensor:
    """``n`` points (float32, shape (n, 2)) of the named distribution."""
    if name not in TOY_DATASETS:
        raise ValueError(f"unknown toy dataset {name!r}; known: {', '.join(sorted(TOY_DATASETS))}")
    if n < 1:
        raise ValueError("a toy dataset needs at least one point")
    generator = torch.Generator().manual_seed(seed)
    return TOY_DATASETS[name](n, generator).to(torch.float32)
