"""A tiny regression problem for the trainer tests (also imported by the distributed script).

The loss draws its input noise from the trainer's generator and the model has dropout, so
both the checkpointed generator and the restored global RNG matter for an exact resume.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffmm.training import Trainer, TrainerConfig


def make_dataset(num_items: int = 40) -> TensorDataset:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(num_items, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    return TensorDataset(x, y)


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.1), nn.Tanh(), nn.Linear(8, 1))


def loss_fn(model: nn.Module, batch, generator: torch.Generator):
    x, y = batch
    noise = torch.randn(x.shape, generator=generator, device=x.device)
    loss = ((model(x + 0.1 * noise) - y) ** 2).mean()
    return loss, {"mse": float(loss.detach())}


def make_trainer(
    exp_dir: Path, max_steps: int, loss=loss_fn, hooks: dict | None = None, **overrides
) -> Trainer:
    """A trainer on the tiny problem; ``hooks`` passes val_fn / sample_fn."""
    settings = dict(
        max_steps=max_steps,
        batch_size=8,
        learning_rate=1e-2,
        log_every=5,
        save_every=5,
        ema_rates=(0.9, 0.99),
    )
    settings.update(overrides)
    return Trainer(
        make_model(),
        loss,
        make_dataset(),
        TrainerConfig(**settings),
        exp_dir,
        resolved_config={"trainer": settings},
        **(hooks or {}),
    )


def assert_same_training_state(a, b) -> None:
    """Parameters, every EMA and the optimizer state are bitwise equal."""
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(p, q)
    for shadow_a, shadow_b in zip(a.ema.shadows, b.ema.shadows, strict=True):
        assert shadow_a.keys() == shadow_b.keys()
        for name in shadow_a:
            assert torch.equal(shadow_a[name], shadow_b[name]), name
    state_a, state_b = a.optimizer.state_dict()["state"], b.optimizer.state_dict()["state"]
    assert state_a.keys() == state_b.keys()
    for index in state_a:
        for key, value in state_a[index].items():
            assert torch.equal(value, state_b[index][key]), (index, key)
    assert a.generator.get_state().equal(b.generator.get_state())
    assert a.scheduler.get_last_lr() == b.scheduler.get_last_lr()
