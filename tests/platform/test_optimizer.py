"""The trainer's AdamW: the fused kernel where torch has one, the same update as the loop."""

from __future__ import annotations

import pytest
import torch

from diffmm.training.optimizer import build_adamw

pytestmark = pytest.mark.platform


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))


def flat(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def trained_weights(fused: bool | None) -> torch.Tensor:
    """After 20 steps: build_adamw's optimizer (None) or torch's with ``fused``."""
    net = model()
    if fused is None:
        optimizer = build_adamw(net.parameters(), 1e-2, (0.9, 0.99), weight_decay=0.1)
    else:
        optimizer = torch.optim.AdamW(
            net.parameters(), lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1, fused=fused
        )
    data = torch.randn(32, 6, generator=torch.Generator().manual_seed(1))
    for _ in range(20):
        optimizer.zero_grad()
        net(data).pow(2).mean().backward()
        optimizer.step()
    return flat(net)


def test_the_cpu_optimizer_is_fused_and_takes_the_loops_steps() -> None:
    optimizer = build_adamw([torch.nn.Parameter(torch.zeros(3))], 1e-3)
    assert optimizer.defaults["fused"] is True
    built, loop = trained_weights(None), trained_weights(False)
    assert (built - flat(model())).abs().max() > 0.1  # the steps moved the weights
    torch.testing.assert_close(built, loop, rtol=1e-5, atol=1e-6)
    assert torch.equal(built, trained_weights(True))


def test_a_device_without_the_kernel_keeps_the_loop() -> None:
    parameter = torch.nn.Parameter(torch.zeros(3))
    optimizer = build_adamw([parameter], 1e-3, device=torch.device("meta"))
    assert not optimizer.defaults["fused"]
