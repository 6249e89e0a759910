"""The shared WaveNet-style residual stack: receptive field, circular equivariance, errors."""

from __future__ import annotations

import pytest
import torch

from diffmm.nn.wavenet import ResidualStack


def test_receptive_field_is_the_sum_of_dilations() -> None:
    # Each kernel-3 layer with dilation d sees d samples either side, so with zero padding an
    # input change at position j reaches exactly the outputs with |i − j| ≤ Σ d.
    torch.manual_seed(0)
    stack = ResidualStack(4, 6, 3, 8, condition_channels=2).double()
    reach = sum(2 ** (i % 3) for i in range(6))  # 1+2+4+1+2+4 = 14
    x = torch.randn(1, 4, 64, dtype=torch.float64)
    emb = torch.randn(1, 8, dtype=torch.float64)
    cond = stack.project_condition(torch.randn(1, 2, 64, dtype=torch.float64))
    bumped = x.clone()
    bumped[..., 30] += 1.0
    changed = (stack(bumped, emb, cond) - stack(x, emb, cond)).abs().sum(1)[0] > 0
    positions = changed.nonzero().flatten()
    assert positions.min() == 30 - reach and positions.max() == 30 + reach


def test_circular_padding_commutes_with_rolling_the_series_axis() -> None:
    torch.manual_seed(1)
    stack = ResidualStack(8, 8, 2, 16, condition_channels=1, padding_mode="circular").double()
    x = torch.randn(3, 8, 11, dtype=torch.float64)
    emb = torch.randn(3, 16, dtype=torch.float64)
    cond = torch.randn(3, 1, 11, dtype=torch.float64)
    out = stack(x, emb, stack.project_condition(cond))
    rolled = stack(x.roll(4, -1), emb, stack.project_condition(cond.roll(4, -1)))
    torch.testing.assert_close(rolled, out.roll(4, -1))


def test_projected_condition_is_per_item_and_reusable() -> None:
    torch.manual_seed(2)
    stack = ResidualStack(4, 3, 2, 8, condition_channels=5)
    cond = torch.randn(2, 5, 20)
    both = stack.project_condition(cond)
    assert both.shape == (2, 3, 8, 20)
    torch.testing.assert_close(both[1:], stack.project_condition(cond[1:]))


def test_bad_inputs_are_named() -> None:
    stack = ResidualStack(4, 2, 2, 8, condition_channels=3)
    x, emb = torch.randn(1, 4, 10), torch.randn(1, 8)
    with pytest.raises(ValueError, match=r"\(B, 3, L\)"):
        stack.project_condition(torch.randn(1, 2, 10))
    with pytest.raises(ValueError, match="projected_condition"):
        stack(x, emb)
    with pytest.raises(ValueError, match="length 12"):
        stack(x, emb, stack.project_condition(torch.randn(1, 3, 12)))
    with pytest.raises(ValueError, match="unconditional"):
        ResidualStack(4, 2, 2, 8).project_condition(torch.randn(1, 3, 10))
    with pytest.raises(ValueError, match="odd"):
        ResidualStack(4, 2, 2, 8, kernel_size=4)
