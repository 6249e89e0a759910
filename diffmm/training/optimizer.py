"""The trainer's optimizer: AdamW (Loshchilov & Hutter 2019) with the fused kernel where torch
has one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

# devices with a fused AdamW kernel in torch ≥ 2.4; elsewhere the per-tensor loop runs
FUSED_DEVICES = ("cpu", "cuda")


def build_adamw(
    parameters: Iterable[nn.Parameter],
    learning_rate: float,
    betas: Sequence[float] = (0.9, 0.999),
    weight_decay: float = 0.0,
    device: torch.device | None = None,
) -> torch.optim.AdamW:
    """AdamW over ``parameters``, fused into one kernel per step when every parameter is a
    floating-point tensor and the device they train on (``device``, else where they are) has
    the kernel.

    The fused kernel computes the same update as torch's default per-tensor loop (to float32
    round-off) in a quarter of the time on a CPU: 0.065 against 0.26–0.30 s per step for the
    35.7M-parameter DDPM CIFAR-10 UNet on one thread (``benchmarks/unet_cpu.py``).
    """
    parameters = list(parameters)
    fused = all(
        p.is_floating_point() and (device or p.device).type in FUSED_DEVICES for p in parameters
    )
    return torch.optim.AdamW(
        parameters,
        lr=learning_rate,
        betas=tuple(betas),
        weight_decay=weight_decay,
        fused=fused or None,
    )
