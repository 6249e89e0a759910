"""What a training process runs on: a precision this machine has, a CPU process group under
torchrun without accelerators, and an independent random stream per process."""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch


def usable_mixed_precision(requested: str) -> str:
    """``requested`` if this machine can train in it, else "no" with a warning."""
    cuda = torch.cuda.is_available()
    if requested == "fp16" and not cuda:
        warnings.warn("mixed_precision='fp16' needs a CUDA GPU; training in float32", stacklevel=3)
        return "no"
    if requested == "bf16" and cuda and not torch.cuda.is_bf16_supported():
        warnings.warn("this GPU cannot do bf16; training in float32", stacklevel=3)
        return "no"
    return requested


def cpu_only_launch() -> bool:
    """Several processes (torchrun) on a machine without an accelerator: Accelerate needs
    ``cpu=True`` to form a gloo process group instead of running each process alone."""
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if hasattr(torch, "accelerator"):
        has_accelerator = torch.accelerator.is_available()
    else:
        has_accelerator = torch.cuda.is_available()
    return launched and not has_accelerator


def process_seed(seed: int, process_index: int) -> int:
    """Independent per-process streams for the loss generator (not seed + rank collisions)."""
    return int(np.random.SeedSequence([seed, process_index]).generate_state(1, np.uint32)[0])
