"""EMA: the iDDPM warm-up decay, fixed points, and one update against the formula."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from diffmm.training import EMA, ema_decay

pytestmark = pytest.mark.platform


def test_warmup_decay_formula() -> None:
    # d = min(rate, (1 + n) / (10 + n)): 0.1 for the first update, the rate once n is large
    assert ema_decay(0.9999, 0, warmup=True) == pytest.approx(0.1)
    assert ema_decay(0.9999, 90, warmup=True) == pytest.approx(91 / 100)
    assert ema_decay(0.9, 80, warmup=True) == pytest.approx(81 / 90)
    assert ema_decay(0.9, 81, warmup=True) == 0.9  # (1 + 81) / 91 > 0.9
    assert ema_decay(0.9999, 0, warmup=False) == 0.9999


def test_ema_of_a_constant_model_stays_equal() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    ema = EMA(model, rates=(0.5, 0.999))
    for _ in range(25):
        ema.update(model)
    for rate in (0.5, 0.999):
        for name, value in model.state_dict().items():
            assert torch.equal(ema.state_for(rate)[name], value), name


def test_updates_follow_the_formula_and_buffers_are_copied() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    theta0 = {k: v.clone() for k, v in model.state_dict().items()}
    ema = EMA(model, rates=(0.999, 0.05))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
        model[1].running_mean.fill_(3.0)
    theta1 = model.state_dict()
    ema.update(model)
    ema.update(model)
    for rate, state in ((0.999, ema.state_for(0.999)), (0.05, ema.state_for(0.05))):
        d0, d1 = min(rate, 1 / 10), min(rate, 2 / 11)
        for name in ("0.weight", "0.bias", "1.weight", "1.bias"):
            once = d0 * theta0[name] + (1 - d0) * theta1[name]
            twice = d1 * once + (1 - d1) * theta1[name]
            torch.testing.assert_close(state[name], twice, rtol=0, atol=1e-6)
        assert torch.equal(state["1.running_mean"], torch.full((3,), 3.0))
        assert torch.equal(state["1.num_batches_tracked"], theta1["1.num_batches_tracked"])
    assert ema.num_updates == 2


def test_copy_to_and_round_trip_through_tensors() -> None:
    model = nn.Linear(3, 2)
    ema = EMA(model, rates=(0.9,), warmup=False)
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model)
    restored = EMA(nn.Linear(3, 2), rates=(0.9,))
    restored.load_tensors(ema.tensors(), ema.num_updates)
    target = ema.copy_to(nn.Linear(3, 2))
    assert torch.equal(target.weight, ema.state_for()["weight"])
    assert torch.equal(restored.state_for()["weight"], ema.state_for()["weight"])
    assert restored.num_updates == 1
    with pytest.raises(ValueError, match=r"no EMA with rate 0\.5"):
        ema.state_for(0.5)
