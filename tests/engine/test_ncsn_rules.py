"""NCSNv2's rules: technique 2's overlap, technique 4's step size against the paper's CIFAR-10
choice (ε = 6.2e-6 for T = 5), and σ₁ as the data's diameter."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.diffusion.ncsn_rules import (
    ladder_ratio,
    langevin_step_lr,
    largest_pairwise_distance,
    ncsnv2_rules,
    overlap,
    variance_ratio,
)


def test_the_ladder_ratio_gives_half_overlap_and_cifar_sized_ladders() -> None:
    gamma = ladder_ratio(3072)
    assert overlap(gamma, 3072) == pytest.approx(0.5, abs=1e-9)
    assert overlap(gamma * 1.01, 3072) < 0.5 < overlap(gamma / 1.01, 3072)
    levels = math.log(50 / 0.01) / math.log(gamma) + 1
    assert 200 < levels < 240  # NCSNv2 used L = 232 for CIFAR-10 (overlap ≈ 0.57)
    assert ladder_ratio(784) > gamma  # fewer dimensions: shells are thicker, levels sparser


def test_the_step_size_reproduces_the_papers_cifar10_choice() -> None:
    gamma = (50 / 0.01) ** (1 / 231)  # the paper's ladder: 232 levels from 50 to 0.01
    step = langevin_step_lr(gamma, 5, 0.01)
    assert step == pytest.approx(6.2e-6, rel=0.01)
    ratio = variance_ratio(step, gamma, 5, 0.01)
    assert ratio <= variance_ratio(step * 1.2, gamma, 5, 0.01)
    assert ratio <= variance_ratio(step / 1.2, gamma, 5, 0.01)
    best = [variance_ratio(langevin_step_lr(gamma, t, 0.01), gamma, t, 0.01) for t in (5, 50, 1000)]
    assert 1.0 < best[2] < best[1] < best[0] and best[2] < 1.002  # more steps: nearer to 1


def test_sigma_max_is_the_diameter_of_the_data() -> None:
    points = torch.randn(40, 2, 3, generator=torch.Generator().manual_seed(0))  # D = 6
    flat = points.reshape(40, -1).double()
    diameter = float((flat[:, None] - flat[None]).norm(dim=-1).max())
    assert largest_pairwise_distance(points, batch_size=7) == pytest.approx(diameter)
    rules = ncsnv2_rules(points, sigma_min=0.01, steps_per_level=5)
    assert rules.sigma_max == pytest.approx(diameter) and rules.dimension == 6
    expected = math.ceil(math.log(diameter / 0.01) / math.log(rules.gamma)) + 1
    assert rules.num_scales == expected and "num_scales L" in rules.describe()
    with pytest.raises(ValueError, match="D ≥ 5"):
        ncsnv2_rules(torch.randn(10, 3))
