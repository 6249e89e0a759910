"""1×1 convolutions (DDPM's NIN layers) as one batched matrix product per call on a CPU.

A 1×1 convolution over (B, C_in, *spatial) is y_b = W x_b + b for every item b, a
(C_out × C_in)·(C_in × N) product per item. oneDNN takes torch's im2col path for it and
shares each product among threads poorly; ``torch.baddbmm`` gives each item to its own
intra-op thread. At the UNet's shapes (ddpm_cifar10, batch 8, forward and backward) the
skip and attention projections took 250 ms this way against 312 ms as convolutions on 2
threads (476 against 487 ms on one); the whole train step, alternated A/B on 2 threads, was
1.8% faster (benchmarks/results/unet_cpu.md). Elsewhere (CUDA) the convolution is kept:
cuDNN's is already a plain GEMM.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.nn.layers import check_dims


def pointwise_conv(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """y_b = W x_b + b over (B, C_in, *spatial), with ``weight`` (C_out, C_in, 1[, 1])."""
    if x.device.type != "cpu":
        return (F.conv1d if x.ndim == 3 else F.conv2d)(x, weight, bias)
    batch, _, *spatial = x.shape
    products = weight.flatten(1).expand(batch, -1, -1)
    flat = x.flatten(2)
    y = torch.bmm(products, flat) if bias is None else torch.baddbmm(bias[:, None], products, flat)
    return y.view(batch, -1, *spatial)


class _KernelSizeOne:
    """Constructor and forward shared by the 1-D and 2-D classes below (a mixin before the
    nn.ConvNd base, whose parameters and state dict it keeps)."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return pointwise_conv(x, self.weight, self.bias)


class PointwiseConv1d(_KernelSizeOne, nn.Conv1d):
    """nn.Conv1d with kernel size 1, run by :func:`pointwise_conv`."""


class PointwiseConv2d(_KernelSizeOne, nn.Conv2d):
    """nn.Conv2d with a 1×1 kernel, run by :func:`pointwise_conv`."""


def pointwise_conv_nd(dims: int, in_channels: int, out_channels: int) -> nn.Module:
    """A 1×1 convolution over 1 or 2 spatial dims."""
    check_dims(dims)
    return (PointwiseConv1d if dims == 1 else PointwiseConv2d)(in_channels, out_channels)
