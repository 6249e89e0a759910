"""Dropout whose keep mask compares raw random integers with a threshold.

torch's CPU dropout draws its mask with ``bernoulli_`` (about 12–16 ns an element on this
project's machine), then divides and multiplies; in a DDPM CIFAR-10 train step that was
0.10–0.14 s, the largest cost after the convolutions (benchmarks/results/unet_cpu.md). Here
each element draws one 31-bit integer u (about 5 ns) and is kept when u ≥ round(p·2³¹), so
P(drop) = p to within 2⁻³². Kept elements are scaled by 1/(1 − p) as in ``nn.Dropout``; the
mask is saved for backward as one byte an element. The ddpm_cifar10 train step on 2 threads
was 4.8% faster with it (alternated A/B). On CUDA torch's fused kernel is already one pass, and
is kept.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

RANDOM_BITS = 31  # int32 random_() draws uniformly from [0, 2³¹)


def threshold_dropout(x: Tensor, p: float, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element of ``x`` with probability p and scale the rest by 1/(1 − p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or p == 1.0:
        return F.dropout(x, p, training, inplace)
    draws = torch.empty(x.shape, dtype=torch.int32, device=x.device).random_()
    keep = draws >= round(p * 2**RANDOM_BITS)
    kept = x.mul_(keep) if inplace else x.mul(keep)
    return kept.mul_(1.0 / (1.0 - p))


class ThresholdDropout(nn.Dropout):
    """nn.Dropout computed by :func:`threshold_dropout`."""

    def forward(self, x: Tensor) -> Tensor:
        return threshold_dropout(x, self.p, self.training, self.inplace)
