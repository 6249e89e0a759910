"""WaveNet's gate g = σ(a)·tanh(b) as two bf16 GEMMs with oneDNN's activation post-ops (CPU).

The low-precision inference path forms each layer's pre-activation [a | b] with one GEMM over
the taps and conditioner. Unfused, the bf16 GEMM output is rounded, copied into float32, passed
through a sigmoid, combined into g and rounded again: five passes over (rows, 2C) or (rows, C).
oneDNN applies an activation to a GEMM's float32 accumulator before it stores the result, so here
the gate half and the filter half are two GEMMs of C columns each, ending in σ and tanh: each
factor is rounded to bf16 once, from the accumulator, and one multiply forms g (rounded once).
Measured on DiffWave BASE, 6 steps over 1 s of audio on 2 threads: 1.80 against 2.10 s (min of
6, alternated), output RMS error against float32 2.10e-3 against 1.98e-3
(benchmarks/results/vocode_speed.md).

The op is ``torch.ops.mkldnn._linear_pointwise`` (the kernel torch.compile's CPU backend emits
for a linear layer followed by an activation); where a torch build lacks it, or off the CPU, the
caller keeps its unfused path.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


def fused_gate_available(device: torch.device) -> bool:
    """Whether this torch build can run :func:`fused_gate` on ``device``."""
    return (
        device.type == "cpu"
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    )


@dataclass
class GateWeights:
    """The GEMM operands of both halves in the compute type, as (C, K) weights and (C,) biases."""

    gate: Tensor
    gate_bias: Tensor
    filter: Tensor
    filter_bias: Tensor

    @classmethod
    def split(
        cls, weight: Tensor, bias: Tensor, filter_scale: float, dtype: torch.dtype
    ) -> GateWeights:
        """From a (K, 2C) weight and (2C,) bias whose filter half (the last C columns) was
        scaled by ``filter_scale`` (a power of two, so undoing it is exact)."""
        c = weight.shape[1] // 2
        return cls(
            gate=weight[:, :c].t().contiguous().to(dtype),
            gate_bias=bias[:c].to(dtype),
            filter=(weight[:, c:] / filter_scale).t().contiguous().to(dtype),
            filter_bias=(bias[c:] / filter_scale).to(dtype),
        )


def fused_gate(matrix: Tensor, weights: GateWeights, out: Tensor) -> Tensor:
    """out ← σ(matrix·W_a + b_a) ⊙ tanh(matrix·W_b + b_b) for a contiguous (rows, K) ``matrix``."""
    linear = torch.ops.mkldnn._linear_pointwise
    gate = linear(matrix, weights.gate, weights.gate_bias, "sigmoid", [], "")
    tanh = linear(matrix, weights.filter, weights.filter_bias, "tanh", [], "")
    return torch.mul(gate, tanh, out=out)
