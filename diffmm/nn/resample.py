"""Factor-2 up- and downsampling along every spatial axis, 1-D or 2-D."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.nn.layers import avg_pool_nd, check_dims, conv_nd


class Upsample(nn.Module):
    """Nearest-neighbour ×2, then a 3×3 conv when ``use_conv`` (DDPM's conv_resample)."""

    def __init__(
        self, channels: int, use_conv: bool, dims: int = 2, out_channels: int | None = None
    ) -> None:
        super().__init__()
        check_dims(dims)
        self.channels = channels
        self.out_channels = out_channels or channels
        if not use_conv and self.out_channels != channels:
            raise ValueError("Upsample without a conv cannot change the channel count")
        self.conv = conv_nd(dims, channels, self.out_channels, 3, padding=1) if use_conv else None

    def forward(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.conv(x) if self.conv is not None else x


class Downsample(nn.Module):
    """Stride-2 3×3 conv when ``use_conv``, else 2×2 average pooling.

    Both halve an even length exactly; the UNet pads its input so lengths stay even.
    """

    def __init__(
        self, channels: int, use_conv: bool, dims: int = 2, out_channels: int | None = None
    ) -> None:
        super().__init__()
        check_dims(dims)
        self.channels = channels
        self.out_channels = out_channels or channels
        if use_conv:
            self.op = conv_nd(dims, channels, self.out_channels, 3, stride=2, padding=1)
        elif self.out_channels != channels:
            raise ValueError("Downsample without a conv cannot change the channel count")
        else:
            self.op = avg_pool_nd(dims, kernel_size=2, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        return self.op(x)
