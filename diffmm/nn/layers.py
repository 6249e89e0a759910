"""Small dims-generic layers shared by the UNet blocks (1-D over time, 2-D over images/mels)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

SUPPORTED_DIMS = (1, 2)
NORM_GROUPS = 32


def check_dims(dims: int) -> None:
    if dims not in SUPPORTED_DIMS:
        raise ValueError(f"dims must be one of {SUPPORTED_DIMS}, got {dims}")


def conv_nd(dims: int, *args, **kwargs) -> nn.Module:
    """nn.Conv1d or nn.Conv2d, chosen by the number of spatial dims."""
    check_dims(dims)
    return (nn.Conv1d if dims == 1 else nn.Conv2d)(*args, **kwargs)


def avg_pool_nd(dims: int, *args, **kwargs) -> nn.Module:
    """nn.AvgPool1d or nn.AvgPool2d, chosen by the number of spatial dims."""
    check_dims(dims)
    return (nn.AvgPool1d if dims == 1 else nn.AvgPool2d)(*args, **kwargs)


class GroupNorm32(nn.GroupNorm):
    """GroupNorm whose statistics are always computed in float32.

    Under bf16/fp16 autocast the mean and variance over a group of many elements lose most
    of their digits, so autocast is switched off here, the input is upcast and the result
    is returned in the input's dtype (as guided-diffusion's GroupNorm32 does).
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.dtype == torch.float32 and not torch.is_autocast_enabled(x.device.type):
            return super().forward(x)
        with torch.autocast(x.device.type, enabled=False):
            out = F.group_norm(
                x.float(), self.num_groups, self.weight.float(), self.bias.float(), self.eps
            )
        return out.to(x.dtype)


def normalization(channels: int) -> GroupNorm32:
    """GroupNorm with 32 groups (DDPM); fewer when ``channels`` is not a multiple of 32.

    The fallback (the largest divisor of 32 that divides ``channels``) only matters for
    tiny models; every preset has channel counts divisible by 32. With one channel per group
    (32 channels) a per-channel constant, such as DDPM's additive time embedding, is
    normalised away: such narrow levels want ``use_scale_shift_norm``.
    """
    return GroupNorm32(math.gcd(NORM_GROUPS, channels), channels)


def zero_module(module: nn.Module) -> nn.Module:
    """Zero all parameters of ``module`` in place and return it.

    Used on the last conv of each residual branch and on the UNet's output conv, so that at
    initialisation every residual block is the identity and the network outputs exactly zero.
    """
    for p in module.parameters():
        nn.init.zeros_(p)
    return module
