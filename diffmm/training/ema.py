"""Exponential moving averages of a model's weights, one per rate.

After each optimizer step, θ̄ ← d θ̄ + (1 - d) θ with d = rate, or with the warm-up of
iDDPM/ADM ("power" warm-up) d = min(rate, (1 + n) / (10 + n)) where n counts the updates
done before this one, so early averages are not dominated by the random initialisation.
Floating-point parameters are averaged in float32; buffers (e.g. BatchNorm statistics) and
integer entries are copied from the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


def ema_decay(rate: float, num_updates: int, warmup: bool) -> float:
    """The decay d used for the update that follows ``num_updates`` earlier updates."""
    if not warmup:
        return rate
    return min(rate, (1.0 + num_updates) / (10.0 + num_updates))


class EMA:
    """Shadow copies of ``model.state_dict()`` for each rate in ``rates``."""

    def __init__(self, model: nn.Module, rates: Sequence[float], warmup: bool = True) -> None:
        self.rates = tuple(float(r) for r in rates)
        self.warmup = warmup
        self.num_updates = 0
        parameter_ids = {id(p) for p in model.parameters()}
        state = model.state_dict(keep_vars=True)
        self.averaged = {
            name
            for name, value in state.items()
            if id(value) in parameter_ids and value.is_floating_point()
        }
        self.shadows = [self._initial_copy(state) for _ in self.rates]

    def _initial_copy(self, state: dict[str, Tensor]) -> dict[str, Tensor]:
        return {
            name: value.detach().clone().float()
            if name in self.averaged
            else value.detach().clone()
            for name, value in state.items()
        }

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the model's current weights into every average."""
        state = model.state_dict()
        for rate, shadow in zip(self.rates, self.shadows):
            decay = ema_decay(rate, self.num_updates, self.warmup)
            for name, value in state.items():
                if name in self.averaged:
                    shadow[name].lerp_(value.float(), 1.0 - decay)
                else:
                    shadow[name].copy_(value)
        self.num_updates += 1

    def state_for(self, rate: float | None = None) -> dict[str, Tensor]:
        """The averaged state dict for ``rate`` (default: the first rate)."""
        return self.shadows[self._index(rate)]

    @torch.no_grad()
    def copy_to(self, model: nn.Module, rate: float | None = None) -> nn.Module:
        """Load the average for ``rate`` into ``model`` (cast to its dtypes); returns ``model``."""
        model.load_state_dict(self.state_for(rate), strict=True)
        return model

    def _index(self, rate: float | None) -> int:
        if not self.rates:
            raise ValueError("this EMA tracks no rates (trainer.ema_rates is empty)")
        if rate is None:
            return 0
        if float(rate) not in self.rates:
            raise ValueError(f"no EMA with rate {rate}; tracked rates are {list(self.rates)}")
        return self.rates.index(float(rate))

    def tensors(self) -> dict[str, Tensor]:
        """Flat ``{"ema{i}.{name}": tensor}`` view of every average, for safetensors."""
        return {
            f"ema{i}.{name}": value.contiguous()
            for i, shadow in enumerate(self.shadows)
            for name, value in shadow.items()
        }

    @torch.no_grad()
    def load_tensors(self, tensors: dict[str, Tensor], num_updates: int) -> None:
        """Inverse of ``tensors()``; every expected key must be present."""
        for i, shadow in enumerate(self.shadows):
            for name, value in shadow.items():
                key = f"ema{i}.{name}"
                if key not in tensors:
                    raise KeyError(f"EMA entry '{key}' is missing")
                value.copy_(tensors[key])
        self.num_updates = num_updates
