"""The one inference precision option of every command and inference object: fp32, bf16, fp16.

``fp32`` runs the network as it was trained: no autocast at all, so its output is bit-identical
to code that never heard of this option. ``bf16`` and ``fp16`` run the network's matrix
products and convolutions under ``torch.autocast`` in that type; the sampler's own arithmetic
(the α, σ combinations of each step, the noise) stays float32, because autocast leaves
element-wise ops on float32 inputs alone and the samplers promote the network's output back.
fp16 needs a GPU: on a CPU its autocast is slow and its range overflows the way bf16's does not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from diffmm.errors import DiffmmError

PRECISIONS = ("fp32", "bf16", "fp16")
_AUTOCAST_TYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check_precision(precision: str, device: str | torch.device) -> None:
    """A one-line ``DiffmmError`` for an unknown precision or fp16 off the GPU."""
    if precision not in PRECISIONS:
        raise DiffmmError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "fp16" and torch.device(device).type != "cuda":
        raise DiffmmError("fp16 inference needs a GPU; on a CPU use bf16 (or fp32)")


@contextlib.contextmanager
def inference_precision(precision: str, device: str | torch.device) -> Iterator[None]:
    """Run the enclosed network calls in ``precision`` on ``device`` (see the module docstring)."""
    check_precision(precision, device)
    if precision == "fp32":
        yield
        return
    device_type = torch.device(device).type
    with torch.autocast(device_type=device_type, dtype=_AUTOCAST_TYPES[precision]):
        yield
