"""What every loss returns, and the masked per-example mean they all reduce with."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class LossOutput:
    """``loss``: per-example loss (B,) to be weighted and averaged by the trainer;
    ``t``: the schedule times used (B,); ``terms``: named per-example parts for logging."""

    loss: Tensor
    t: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)


def masked_mean(values: Tensor, mask: Tensor | None = None) -> Tensor:
    """Per-example mean over all but the batch dimension, counting only elements where mask = 1.

    ``mask`` is a padding mask broadcastable to ``values`` (1 = valid); an example with no
    valid element gets 0.
    """
    if mask is None:
        return values.flatten(1).mean(1)
    try:
        mask = torch.broadcast_to(mask.to(values.dtype), values.shape)
    except RuntimeError as err:
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not broadcast to {tuple(values.shape)}"
        ) from err
    # where, not a product: padded entries may hold anything, even inf or nan
    total = torch.where(mask > 0, values, torch.zeros_like(values)).flatten(1).sum(1)
    return total / mask.flatten(1).sum(1).clamp_min(1)
