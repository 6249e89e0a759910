"""The WaveNet-style residual stack shared by DiffWave, PriorGrad and TimeGrad's ε-network.

Each layer (Kong et al. 2021, fig. 2): add the layer's projection of the step embedding,
a dilated conv to 2C channels, add the layer's projection of the conditioner, gate
tanh(a)·σ(b), then a 1×1 conv to 2C channels split into a residual (added back, scaled by
1/√2) and a skip output; the skips of all layers are summed and scaled by 1/√L.

The conditioner projections of all layers are one 1×1 conv, exposed as
:meth:`ResidualStack.project_condition`, so a sampler can compute them once per utterance
and reuse them at every diffusion step (they do not depend on the step).

Where no gradient is recorded (sampling), both methods take the time-major blocked path of
:mod:`diffmm.nn.wavenet_inference`: the same maths to float32 round-off, several times faster
on a CPU. Training runs the module graph below, unchanged.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from diffmm.nn.wavenet_inference import (
    compute_dtype,
    residual_stack_inference,
    time_major_condition,
)


class ResidualLayer(nn.Module):
    """One gated residual layer with dilation ``dilation``."""

    def __init__(
        self,
        channels: int,
        dilation: int,
        embed_dim: int,
        kernel_size: int = 3,
        padding_mode: Literal["zeros", "circular"] = "zeros",
    ) -> None:
        super().__init__()
        self.step_projection = nn.Linear(embed_dim, channels)
        self.dilated_conv = nn.Conv1d(
            channels,
            2 * channels,
            kernel_size,
            padding=dilation * (kernel_size - 1) // 2,
            dilation=dilation,
            padding_mode=padding_mode,
        )
        self.output_projection = nn.Conv1d(channels, 2 * channels, 1)
        nn.init.kaiming_normal_(self.dilated_conv.weight)
        nn.init.kaiming_normal_(self.output_projection.weight)

    def forward(
        self, x: Tensor, step_embedding: Tensor, condition: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        h = self.dilated_conv(x + self.step_projection(step_embedding)[:, :, None])
        if condition is not None:
            h = h + condition
        gate, filt = h.chunk(2, dim=1)
        residual, skip = self.output_projection(torch.sigmoid(gate) * torch.tanh(filt)).chunk(
            2, dim=1
        )
        return (x + residual) / math.sqrt(2.0), skip


class ResidualStack(nn.Module):
    """L residual layers with dilation 2^(i mod cycle) and an optional per-position conditioner.

    DiffWave BASE: 30 layers, 64 channels, cycle 10, zero padding, an 80-channel mel
    conditioner. TimeGrad: 8 layers, 8 channels, cycle 2, circular padding over the series
    axis, a 1-channel conditioner.
    """

    def __init__(
        self,
        channels: int,
        num_layers: int,
        dilation_cycle: int,
        embed_dim: int,
        condition_channels: int | None = None,
        kernel_size: int = 3,
        padding_mode: Literal["zeros", "circular"] = "zeros",
    ) -> None:
        super().__init__()
        if channels < 1 or num_layers < 1 or dilation_cycle < 1:
            raise ValueError("a residual stack needs positive channels, layers and dilation cycle")
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd to keep the length, got {kernel_size}")
        self.channels, self.num_layers = channels, num_layers
        self.condition_channels = condition_channels
        self.layers = nn.ModuleList(
            ResidualLayer(channels, 2 ** (i % dilation_cycle), embed_dim, kernel_size, padding_mode)
            for i in range(num_layers)
        )
        self.condition_projection = (
            nn.Conv1d(condition_channels, num_layers * 2 * channels, 1)
            if condition_channels is not None
            else None
        )
        if self.condition_projection is not None:
            nn.init.kaiming_normal_(self.condition_projection.weight)
        # P: the widest padding of any layer, the pad rows of the inference layout
        self.max_padding = 2 ** (min(dilation_cycle, num_layers) - 1) * (kernel_size - 1) // 2
        # R: how far an output sees either side, Σ_l d_l (k − 1)/2
        self.receptive_field = sum(2 ** (i % dilation_cycle) for i in range(num_layers)) * (
            (kernel_size - 1) // 2
        )
        self.padding_mode = padding_mode
        # False: every call runs the module graph (the plain path benchmarks and tests compare with)
        self.use_inference_path = True

    def takes_inference_path(
        self, x: Tensor, step_embedding: Tensor, *conditions: Tensor | None
    ) -> bool:
        """Whether a call runs :mod:`diffmm.nn.wavenet_inference`: no gradient is recorded and
        every item has the same step embedding (sampling). Circular padding wider than the
        signal stays with the module graph, whose conv reports it."""
        if not self.use_inference_path:
            return False
        if self.padding_mode == "circular" and self.max_padding > x.shape[-1]:
            return False
        if torch.is_grad_enabled():
            tensors = [x, step_embedding, *(t for t in conditions if t is not None)]
            if any(t.requires_grad for t in tensors) or any(
                p.requires_grad for p in self.parameters()
            ):
                return False
        return bool((step_embedding == step_embedding[:1]).all())

    def check_condition(self, condition: Tensor) -> None:
        if self.condition_projection is None:
            raise ValueError("this residual stack is unconditional")
        if condition.ndim != 3 or condition.shape[1] != self.condition_channels:
            raise ValueError(
                f"conditioner must have shape (B, {self.condition_channels}, L), "
                f"got {tuple(condition.shape)}"
            )

    def project_condition(self, condition: Tensor) -> Tensor:
        """(B, condition_channels, L) → (B, num_layers, 2C, L): every layer's conditioner term
        (without gradients, a view of time-major storage: see ``time_major_condition``)."""
        self.check_condition(condition)
        if self.use_inference_path and (
            not torch.is_grad_enabled()
            or not (condition.requires_grad or any(p.requires_grad for p in self.parameters()))
        ):
            return time_major_condition(self, condition, compute_dtype(condition.device))
        projected = self.condition_projection(condition)
        return projected.view(condition.shape[0], self.num_layers, 2 * self.channels, -1)

    def forward(
        self,
        x: Tensor,
        step_embedding: Tensor,
        projected_condition: Tensor | None = None,
        *,
        condition: Tensor | None = None,
    ) -> Tensor:
        """Skip sum / √L for x of shape (B, C, L), conditioned by ``projected_condition`` from
        :meth:`project_condition` or by the unprojected ``condition`` (B, condition_channels,
        L), which the inference path projects inside each layer: no per-layer cache to hold."""
        given = projected_condition if condition is None else condition
        if (projected_condition is not None and condition is not None) or (
            (given is None) != (self.condition_projection is None)
        ):
            raise ValueError(
                "pass projected_condition (or condition) exactly when the stack was built "
                "with condition_channels"
            )
        if condition is not None:
            self.check_condition(condition)
        if given is not None and given.shape[-1] != x.shape[-1]:
            raise ValueError(
                f"conditioner length {given.shape[-1]} does not match the "
                f"signal length {x.shape[-1]}"
            )
        if self.takes_inference_path(x, step_embedding, given):
            return residual_stack_inference(self, x, step_embedding, projected_condition, condition)
        if condition is not None:
            projected_condition = self.project_condition(condition)
        skip_sum = torch.zeros_like(x)
        # unbind, not [:, i]: the backward of L selects fills L zero tensors the size of the
        # whole projection, unbind's backward stacks the L gradients once
        conditions = (
            [None] * self.num_layers
            if projected_condition is None
            else projected_condition.unbind(1)
        )
        for layer, cond in zip(self.layers, conditions):
            x, skip = layer(x, step_embedding, cond)
            skip_sum = skip_sum + skip
        return skip_sum / math.sqrt(self.num_layers)
