"""Factor-2 up- and downsampling along every spatial axis, 1-D or 2-D."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.nn.layers import avg_pool_nd, check_dims, conv_nd

# Below this many input positions the folded upsample-conv loses to interpolate + conv: its
# conv has 2^dims × the output channels on a tiny map, and folding the weights is a fixed
# cost. Measured on CPU (1 thread, 256 channels, batch 8, forward / forward+backward, ms):
# 4×4 input 13 / 34 against 7 / 25; 8×8 21 / 71 against 31 / 91; 16×16 49 / 151 against
# 89 / 275.
PHASE_CONV_MIN_POSITIONS = 64


# Rows (output parity a, tap i), columns the 3 taps of a kernel axis: on a nearest-×2
# upsampled signal u[m] = x[⌊m/2⌋], a 3-tap conv w gives at the even output 2i
# w₀·x[i−1] + (w₁+w₂)·x[i] and at the odd output 2i+1 (w₀+w₁)·x[i] + w₂·x[i+1].
_PHASE_TAPS = ((1.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 1.0, 0.0), (0.0, 0.0, 1.0))


def _phase_weight(weight: Tensor) -> Tensor:
    """(C_out, C_in, 3[, 3]) → (2^dims·C_out, C_in, 2[, 2]): one 2-tap kernel per output parity.

    A batched matmul with the 0/1 tap matrices, one per parity, writes the folded kernels
    straight in conv layout (their entries are exact sums of 1, 2 or 4 weights). Autocast is
    off so that the sums are formed at the weights' own precision.
    """
    c_out, c_in, *kernel = weight.shape
    dims = len(kernel)
    taps = torch.tensor(_PHASE_TAPS, dtype=weight.dtype, device=weight.device)
    if dims == 2:  # rows (a, i, b, j) → (a, b, i, j); columns (y, x)
        taps = torch.kron(taps, taps).view(2, 2, 2, 2, 9).transpose(1, 2)
    taps = taps.reshape(2**dims, 2**dims, -1)  # (parity, output tap, input tap)
    with torch.autocast(weight.device.type, enabled=False):
        folded = weight.reshape(1, c_out * c_in, -1) @ taps.transpose(1, 2)
    return folded.view(2**dims * c_out, c_in, *[2] * dims)


def nearest_upsample_conv(x: Tensor, conv: nn.Conv1d | nn.Conv2d) -> Tensor:
    """conv(nearest-×2 upsampling of x) for a 3-tap, padding-1 ``conv``, computed on x itself.

    Every output parity (a, b) of the upsampled grid sees only 2 distinct input taps per axis
    (``_PHASE_TAPS``), so the 3×3 conv at 2H×2W becomes one conv with 2×2 kernels and 4×C_out
    channels at (H+1)×(W+1): 16/36 of the multiply-adds, and the 4× larger upsampled input is
    never built. Output (a, b) at (2i+a, 2j+b) is that conv's channel block 2a+b at (i+a, j+b)
    (padding 1 shifts the odd phases by one); a single strided view gathers them. The same
    function as interpolate-then-conv; only the summation order differs (float32 round-off).
    """
    spatial = x.shape[2:]
    if math.prod(spatial) < PHASE_CONV_MIN_POSITIONS:
        return conv(F.interpolate(x, scale_factor=2, mode="nearest"))
    dims = len(spatial)
    weight = _phase_weight(conv.weight)
    c_out = conv.out_channels
    phases = 2**dims
    bias = conv.bias.repeat(phases) if conv.bias is not None else None
    y = F.conv1d if dims == 1 else F.conv2d
    y = y(x, weight, bias, padding=1).contiguous()  # (B, phases·C_out, *(n+1 for n in spatial))

    # Strides of y's (channel, *position) axes; the output view is (B, C_out, n₀, 2[, n₁, 2]):
    # parity a of axis d advances phase-block 2^(dims−1−d)·a and position a along d.
    channel_stride = y.stride(1)
    sizes, strides = [x.shape[0], c_out], [y.stride(0), channel_stride]
    for d, n in enumerate(spatial):
        block = 2 ** (dims - 1 - d) * c_out * channel_stride
        sizes += [n, 2]
        strides += [y.stride(2 + d), block + y.stride(2 + d)]
    out = y.as_strided(sizes, strides, y.storage_offset())
    return out.reshape(x.shape[0], c_out, *(2 * n for n in spatial))


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
        if self.conv is not None:
            return nearest_upsample_conv(x, self.conv)
        return F.interpolate(x, scale_factor=2, mode="nearest")


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
