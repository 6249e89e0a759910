"""Sample-set distances against closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from diffmm.metrics import gaussian_mmd, sliced_wasserstein


def test_sliced_wasserstein_of_a_shift_is_its_projected_length() -> None:
    # b = a + (d, 0): every projection θ moves the 1-D law by d·cos θ, so
    # SW₂² = E[d² cos² θ] = d²/2 for θ uniform on the circle.
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(2000, 2, generator=gen, dtype=torch.float64)
    d = 3.0
    swd = sliced_wasserstein(a, a + torch.tensor([d, 0.0]), num_projections=8192, generator=gen)
    assert swd == pytest.approx(d / math.sqrt(2), rel=0.02)


def test_sliced_wasserstein_is_zero_for_identical_sets_and_small_for_same_law() -> None:
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(4000, 3, generator=gen)
    b = torch.randn(4000, 3, generator=gen)
    assert sliced_wasserstein(a, a, generator=gen) == pytest.approx(0.0, abs=1e-12)
    assert sliced_wasserstein(a, b, generator=gen) < 0.05
    assert sliced_wasserstein(a, 2 * b, generator=gen) > 0.4


def test_mmd_separates_laws() -> None:
    gen = torch.Generator().manual_seed(2)
    a, b = torch.randn(1000, 2, generator=gen), torch.randn(1000, 2, generator=gen)
    assert abs(gaussian_mmd(a, b)) < 5e-3
    assert gaussian_mmd(a, b + 1.0) > 0.05


def test_bad_shapes_are_named() -> None:
    with pytest.raises(ValueError, match="differ in dimension"):
        sliced_wasserstein(torch.zeros(10, 2), torch.zeros(10, 3))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        sliced_wasserstein(torch.zeros(10), torch.zeros(10))
