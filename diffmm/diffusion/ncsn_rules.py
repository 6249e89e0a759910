"""NCSNv2's rules for choosing the noise ladder and the Langevin sampler on new data (Song &
Ermon 2020, "Improved techniques for training score-based generative models", §3–4):

- Technique 1: σ₁ (the largest level) ≈ the largest Euclidean distance between training points,
  so that Langevin dynamics can travel between any two modes.
- Technique 2: a geometric ladder σ₁ > … > σ_L with ratio γ = σ_{i−1}/σ_i chosen so that
  Φ(√(2D)(γ − 1) + 3γ) − Φ(√(2D)(γ − 1) − 3γ) ≈ ½ for data of dimension D (neighbouring
  levels' shells overlap enough); L follows from σ₁, σ_L and γ.
- Technique 4: with T steps per level, the base step size ε (the level-i step is ε σ_i²/σ_L²)
  makes the variance ratio after T steps, for a Gaussian of variance σ_{i−1}² sampled at σ_i,
      (1 − ε/σ_L²)^{2T} (γ² − 2ε/(σ_L² − σ_L²(1 − ε/σ_L²)²)) + 2ε/(σ_L² − σ_L²(1 − ε/σ_L²)²)
  as close to 1 as it gets: the ratio stays above 1 and nears it as T grows, so ε is its
  minimiser (for CIFAR-10's ladder, T = 5 gives ε ≈ 6.2e-6, the paper's value).
(Technique 3, s_θ(x, σ) = s_θ(x)/σ, and 5, EMA, belong to the network and the trainer.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import norm
from torch import Tensor

OVERLAP = 0.5  # technique 2's target probability


@dataclass(frozen=True)
class NCSNRules:
    sigma_max: float  # σ₁
    sigma_min: float  # σ_L
    gamma: float  # σ_{i−1}/σ_i
    num_scales: int  # L
    steps_per_level: int  # T
    step_lr: float  # ε
    dimension: int  # D

    def describe(self) -> str:
        return "\n".join(
            [
                f"data dimension D = {self.dimension}",
                f"sigma_max (σ₁, technique 1: largest pairwise distance) = {self.sigma_max:.4g}",
                f"sigma_min (σ_L, chosen) = {self.sigma_min:.4g}",
                f"ratio γ (technique 2: shell overlap {OVERLAP}) = {self.gamma:.5f}",
                f"num_scales L = {self.num_scales}",
                f"steps per level T = {self.steps_per_level}",
                f"step_lr ε (technique 4: variance ratio 1) = {self.step_lr:.4g}",
            ]
        )


def largest_pairwise_distance(points: Tensor, batch_size: int = 1024) -> float:
    """max ‖x_i − x_j‖ over the (N, ...) points, in float64, ``batch_size`` rows at a time."""
    flat = points.reshape(points.shape[0], -1).to(torch.float64)
    return max(
        float(torch.cdist(flat[start : start + batch_size], flat).max())
        for start in range(0, len(flat), batch_size)
    )


def overlap(gamma: float, dimension: int) -> float:
    """Technique 2's Φ(√(2D)(γ − 1) + 3γ) − Φ(√(2D)(γ − 1) − 3γ)."""
    shift = math.sqrt(2 * dimension) * (gamma - 1)
    return float(norm.cdf(shift + 3 * gamma) - norm.cdf(shift - 3 * gamma))


def ladder_ratio(dimension: int) -> float:
    """The γ > 1 whose overlap is ½ (for D ≥ 5 the overlap falls from about 1 as γ grows;
    with √(2D) < 3 the shells always overlap more and the rule cannot be met)."""
    if 2 * dimension <= 9:
        raise ValueError(f"technique 2 needs data of dimension D ≥ 5, got {dimension}")
    return float(brentq(lambda g: overlap(g, dimension) - OVERLAP, 1.0 + 1e-9, 100.0))


def variance_ratio(step_lr: float, gamma: float, steps: int, sigma_min: float) -> float:
    """Technique 4's s_T²/σ_i² for base step ε, T steps, ratio γ."""
    shrink = 1 - step_lr / sigma_min**2
    floor = 2 * step_lr / (sigma_min**2 - sigma_min**2 * shrink**2)
    return shrink ** (2 * steps) * (gamma**2 - floor) + floor


def langevin_step_lr(gamma: float, steps: int, sigma_min: float) -> float:
    """The ε in (0, σ_L²) bringing the variance ratio closest to 1, searched over
    a = ε/σ_L² on a log scale."""
    result = minimize_scalar(
        lambda log_a: (
            (variance_ratio(math.exp(log_a) * sigma_min**2, gamma, steps, sigma_min) - 1) ** 2
        ),
        bounds=(math.log(1e-9), math.log(1 - 1e-9)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return math.exp(result.x) * sigma_min**2


def ncsnv2_rules(
    data: Tensor | np.ndarray,
    *,
    sigma_min: float = 0.01,
    steps_per_level: int = 5,
    max_points: int = 5000,
    seed: int = 0,
) -> NCSNRules:
    """NCSNv2's choices for (N, ...) training data scaled as the model sees it.

    σ₁ is measured on at most ``max_points`` points drawn without replacement (the exact
    maximum is O(N²); a subset underestimates it only slightly for image sets).
    """
    data = torch.as_tensor(data)
    if data.ndim < 2 or len(data) < 2:
        raise ValueError(f"the rules need (N ≥ 2, ...) data, got shape {tuple(data.shape)}")
    if len(data) > max_points:
        pick = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
        data = data[pick[:max_points]]
    dimension = int(data[0].numel())
    sigma_max = largest_pairwise_distance(data)
    gamma = ladder_ratio(dimension)
    num_scales = math.ceil(math.log(sigma_max / sigma_min) / math.log(gamma)) + 1
    step_lr = langevin_step_lr(gamma, steps_per_level, sigma_min)
    return NCSNRules(sigma_max, sigma_min, gamma, num_scales, steps_per_level, step_lr, dimension)
