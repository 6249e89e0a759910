"""ThresholdDropout: the keep mask from 31-bit integers against round(p·2³¹)."""

import pytest
import torch
from torch import nn

from diffmm.nn.dropout import ThresholdDropout, threshold_dropout

pytestmark = pytest.mark.nn

N = 1 << 20


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_drops_a_fraction_p_and_scales_the_rest_by_one_over_one_minus_p(p):
    torch.manual_seed(0)
    x = torch.rand(N) + 0.5  # no zeros, so a zero output means a dropped element
    out = threshold_dropout(x, p)
    dropped = out == 0
    sigma = (p * (1 - p) / N) ** 0.5
    assert abs(dropped.float().mean().item() - p) < 5 * sigma
    ratio = out[~dropped] / x[~dropped]
    torch.testing.assert_close(ratio, torch.full_like(ratio, 1 / (1 - p)), rtol=2e-7, atol=0)
    # unbiased: E[out] = x, here over a constant input
    ones = threshold_dropout(torch.ones(N), p)
    assert abs(ones.mean().item() - 1) < 5 * sigma / (1 - p)


def test_neighbouring_elements_are_dropped_independently():
    torch.manual_seed(1)
    keep = threshold_dropout(torch.ones(N), 0.5) != 0
    both = (keep[1:] & keep[:-1]).float().mean().item()
    # overlapping pairs: variance per pair q²(1 − q²) + 2(q³ − q⁴) = 0.3125 at q = 1/2
    assert abs(both - 0.25) < 5 * (0.3125 / N) ** 0.5


def test_gradient_is_the_mask_over_one_minus_p():
    torch.manual_seed(2)
    x = (torch.rand(4096) + 0.5).requires_grad_()
    weights = torch.randn(4096)
    out = threshold_dropout(x, 0.25)
    (out * weights).sum().backward()
    expected = torch.where(out != 0, weights / 0.75, torch.zeros(()))
    torch.testing.assert_close(x.grad, expected, rtol=2e-7, atol=0)


def test_in_place_and_out_of_place_agree_from_the_same_seed():
    x = torch.randn(3, 64, 8, 8)
    torch.manual_seed(3)
    out = threshold_dropout(x, 0.3)
    y = x.clone()
    torch.manual_seed(3)
    in_place = threshold_dropout(y, 0.3, inplace=True)
    assert in_place.data_ptr() == y.data_ptr() and torch.equal(in_place, out)
    torch.manual_seed(4)
    assert not torch.equal(threshold_dropout(x, 0.3), out)  # a new seed, a new mask


def test_identity_when_not_training_or_p_zero_and_zeros_at_p_one():
    x = torch.randn(100)
    assert threshold_dropout(x, 0.5, training=False) is x
    assert threshold_dropout(x, 0.0) is x
    assert torch.equal(threshold_dropout(x, 1.0), torch.zeros(100))
    with pytest.raises(ValueError, match="dropout probability"):
        threshold_dropout(x, 1.5)


def test_module_follows_train_and_eval_like_nn_dropout():
    module = ThresholdDropout(0.5)
    assert isinstance(module, nn.Dropout) and not module.state_dict()
    x = torch.ones(1000)
    assert torch.equal(module.eval()(x), x)
    torch.manual_seed(5)
    out = module.train()(x)
    assert set(out.unique().tolist()) == {0.0, 2.0}
