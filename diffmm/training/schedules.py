"""Learning-rate schedules: linear warm-up, then constant, cosine or linear decay to zero.

With ``k`` optimizer steps done, the next step uses ``learning_rate * lr_factor(k)``:

    warm-up (k < W):  (k + 1) / W                 the W-th step reaches the full rate
    constant:         1
    cosine:           ½ (1 + cos(π p)),  p = (k - W) / (max_steps - W) clipped to [0, 1]
    linear:           1 - p
"""

from __future__ import annotations

import math
from functools import partial

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

SCHEDULES = ("constant", "cosine", "linear")


def lr_factor(step: int, *, warmup_steps: int, max_steps: int, schedule: str) -> float:
    """Multiplier of the base learning rate after ``step`` optimizer steps."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown lr schedule '{schedule}', expected one of {SCHEDULES}")
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0 - progress


def build_lr_scheduler(
    optimizer: Optimizer, *, warmup_steps: int, max_steps: int, schedule: str
) -> LambdaLR:
    """A ``LambdaLR`` to be stepped once per optimizer step."""
    factor = partial(lr_factor, warmup_steps=warmup_steps, max_steps=max_steps, schedule=schedule)
    return LambdaLR(optimizer, factor)
