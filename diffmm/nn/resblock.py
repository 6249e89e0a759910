"""The time-embedded residual block of DDPM / guided-diffusion, 1-D or 2-D."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from diffmm.nn.dropout import ThresholdDropout
from diffmm.nn.layers import check_dims, conv_nd, normalization, zero_module
from diffmm.nn.pointwise import pointwise_conv_nd
from diffmm.nn.resample import Downsample, Upsample, nearest_upsample_conv


class ResBlock(nn.Module):
    """h = conv(SiLU(GN(x))) (+ resampling); h += emb or GN(h)(1+scale)+shift; skip(x) + conv(h).

    - ``use_scale_shift_norm`` (iDDPM/ADM): the embedding gives a per-channel scale and shift
      applied after the second GroupNorm (FiLM); otherwise it is added before it (DDPM).
    - ``up`` / ``down``: resample inside the block (ADM's ``resblock_updown``), on both the
      residual branch (after the first norm/activation) and the skip path.
    - ``use_conv``: when the channel count changes, the skip is a 3×3 conv instead of a 1×1.
    The branch's last conv is zero-initialised, so the block starts as the identity (or
    the skip projection).
    """

    def __init__(
        self,
        channels: int,
        emb_channels: int,
        dropout: float = 0.0,
        out_channels: int | None = None,
        *,
        use_conv: bool = False,
        use_scale_shift_norm: bool = False,
        dims: int = 2,
        use_checkpoint: bool = False,
        up: bool = False,
        down: bool = False,
    ) -> None:
        super().__init__()
        check_dims(dims)
        if up and down:
            raise ValueError("a ResBlock cannot both upsample and downsample")
        self.channels = channels
        self.out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.use_checkpoint = use_checkpoint

        self.in_norm = normalization(channels)
        self.in_conv = conv_nd(dims, channels, self.out_channels, 3, padding=1)
        if up:
            self.resample = Upsample(channels, False, dims)
        elif down:
            self.resample = Downsample(channels, False, dims)
        else:
            self.resample = None

        emb_out = 2 * self.out_channels if use_scale_shift_norm else self.out_channels
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, emb_out))

        self.out_norm = normalization(self.out_channels)
        self.dropout = ThresholdDropout(dropout, inplace=True)
        self.out_conv = zero_module(
            conv_nd(dims, self.out_channels, self.out_channels, 3, padding=1)
        )

        if self.out_channels == channels:
            self.skip = nn.Identity()
        elif use_conv:
            self.skip = conv_nd(dims, channels, self.out_channels, 3, padding=1)
        else:
            self.skip = pointwise_conv_nd(dims, channels, self.out_channels)

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        if self.use_checkpoint and self.training and torch.is_grad_enabled():
            return checkpoint(self._forward, x, emb, use_reentrant=False)
        return self._forward(x, emb)

    def _forward(self, x: Tensor, emb: Tensor) -> Tensor:
        # In-place updates below touch only tensors that no backward formula reads: conv
        # outputs (a conv's backward needs its input and weight) and SiLU outputs (SiLU's
        # backward needs its input); SiLU overwrites its input only when no graph is being
        # recorded. Each saves allocating (and page-faulting) one activation-sized tensor.
        h = nn.functional.silu(self.in_norm(x), inplace=not torch.is_grad_enabled())
        # Resample before the conv (cheaper, and as in ADM); the skip path follows.
        if isinstance(self.resample, Upsample):
            h = nearest_upsample_conv(h, self.in_conv)
            x = self.resample(x)
        elif self.resample is not None:
            h = self.in_conv(self.resample(h))
            x = self.resample(x)
        else:
            h = self.in_conv(h)
        emb_out = self.emb_layers(emb).to(h.dtype)
        emb_out = emb_out.reshape(*emb_out.shape, *([1] * (h.ndim - 2)))
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            h = torch.addcmul(shift, self.out_norm(h), 1 + scale)  # GN(h)·(1+scale) + shift
        else:
            h = self.out_norm(h.add_(emb_out))
        h = nn.functional.silu(h, inplace=not torch.is_grad_enabled())
        h = self.out_conv(self.dropout(h))
        skip = self.skip(x)
        # In place unless the sum must be promoted (autocast can leave x in float32).
        return h.add_(skip) if skip.dtype == h.dtype else skip + h
