"""UNetModel in the guided-diffusion design (DDPM → iDDPM → ADM), 1-D or 2-D through ``dims``.

Encoder: per level ``num_res_blocks`` time-embedded ResBlocks (+ attention where the
downsampling factor is in ``attention_resolutions``), then a factor-2 downsample except at the
last level. Middle: ResBlock, attention, ResBlock. Decoder: per level ``num_res_blocks + 1``
ResBlocks, each fed the concatenation with the matching encoder activation, then an upsample.
Output: GroupNorm, SiLU, zero-initialised conv, so the untrained network returns exactly 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffmm.nn.attention import AttentionBlock
from diffmm.nn.embeddings import TimestepEmbedding
from diffmm.nn.layers import check_dims, conv_nd, normalization, zero_module
from diffmm.nn.resample import Downsample, Upsample
from diffmm.nn.resblock import ResBlock

__all__ = ["Downsample", "TimestepEmbedSequential", "UNetModel", "Upsample"]


class TimestepEmbedSequential(nn.Sequential):
    """A Sequential that hands the time embedding to the ResBlocks among its children."""

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        for layer in self:
            x = layer(x, emb) if isinstance(layer, ResBlock) else layer(x)
        return x


class UNetModel(nn.Module):
    """ε/x₀/v/score network for (B, C, L) signals (dims=1) or (B, C, H, W) images (dims=2).

    ``attention_resolutions`` are downsampling factors (2 → 16×16 for a 32×32 input).
    ``num_head_channels`` > 0 overrides ``num_heads`` with a fixed head width (ADM).
    Spatial sizes need not be multiples of 2^(levels−1): the input is zero-padded at the end
    of each spatial axis and the output cropped back. Zero padding rather than reflection
    because it works for any length (reflection needs pad < length) and it is the boundary
    condition every 3×3 conv of the network already applies at the edges.
    """

    def __init__(
        self,
        *,
        dims: int = 2,
        in_channels: int,
        model_channels: int,
        out_channels: int,
        num_res_blocks: int,
        attention_resolutions: Sequence[int],
        dropout: float = 0.0,
        channel_mult: Sequence[int] = (1, 2, 4, 8),
        conv_resample: bool = True,
        num_classes: int | None = None,
        use_checkpoint: bool = False,
        num_heads: int = 1,
        num_head_channels: int = -1,
        use_scale_shift_norm: bool = False,
        resblock_updown: bool = False,
    ) -> None:
        super().__init__()
        check_dims(dims)
        if min(in_channels, model_channels, out_channels, num_res_blocks) < 1:
            raise ValueError("channel counts and num_res_blocks must be positive")
        if not channel_mult or min(channel_mult) < 1:
            raise ValueError(f"channel_mult must be non-empty and positive, got {channel_mult}")
        factors = [2**level for level in range(len(channel_mult))]
        unknown = sorted(set(attention_resolutions) - set(factors))
        if unknown:
            raise ValueError(
                f"attention_resolutions {unknown} are not downsampling factors of this UNet "
                f"(possible: {factors})"
            )
        self.dims = dims
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_classes = num_classes
        self.size_multiple = factors[-1]

        time_embed_dim = 4 * model_channels
        self.time_embed = TimestepEmbedding(model_channels, time_embed_dim)
        self.label_emb = nn.Embedding(num_classes, time_embed_dim) if num_classes else None

        def res_block(ch_in: int, ch_out: int, **kw) -> ResBlock:
            return ResBlock(
                ch_in, time_embed_dim, dropout, ch_out, dims=dims, use_checkpoint=use_checkpoint,
                use_scale_shift_norm=use_scale_shift_norm, **kw,
            )  # fmt: skip

        def attention(ch: int) -> AttentionBlock:
            return AttentionBlock(ch, num_heads, num_head_channels, use_checkpoint)

        ch = model_channels
        self.input_blocks = nn.ModuleList(
            [TimestepEmbedSequential(conv_nd(dims, in_channels, ch, 3, padding=1))]
        )
        skip_channels = [ch]
        factor = 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers: list[nn.Module] = [res_block(ch, mult * model_channels)]
                ch = mult * model_channels
                if factor in attention_resolutions:
                    layers.append(attention(ch))
                self.input_blocks.append(TimestepEmbedSequential(*layers))
                skip_channels.append(ch)
            if level != len(channel_mult) - 1:
                down = (
                    res_block(ch, ch, down=True)
                    if resblock_updown
                    else Downsample(ch, conv_resample, dims)
                )
                self.input_blocks.append(TimestepEmbedSequential(down))
                skip_channels.append(ch)
                factor *= 2

        self.middle_block = TimestepEmbedSequential(
            res_block(ch, ch), attention(ch), res_block(ch, ch)
        )

        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks + 1):
                layers = [res_block(ch + skip_channels.pop(), mult * model_channels)]
                ch = mult * model_channels
                if factor in attention_resolutions:
                    layers.append(attention(ch))
                if level and i == num_res_blocks:
                    layers.append(
                        res_block(ch, ch, up=True)
                        if resblock_updown
                        else Upsample(ch, conv_resample, dims)
                    )
                    factor //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))

        self.out = nn.Sequential(
            normalization(ch),
            nn.SiLU(),
            zero_module(conv_nd(dims, ch, out_channels, 3, padding=1)),
        )

    def forward(self, x: Tensor, timesteps: Tensor | float, y: Tensor | None = None) -> Tensor:
        """x: (B, in_channels, *spatial); timesteps: (B,) or a scalar, any real values
        (integer, fractional step, continuous t, σ); y: (B,) class labels for a
        class-conditional model. Returns (B, out_channels, *spatial) in x's dtype."""
        self._check_inputs(x, y)
        batch = x.shape[0]
        timesteps = torch.as_tensor(timesteps, device=x.device)
        if timesteps.ndim == 0:
            timesteps = timesteps.expand(batch)
        if timesteps.shape != (batch,):
            raise ValueError(
                f"timesteps must have shape ({batch},) or be a scalar, got {tuple(timesteps.shape)}"
            )

        emb = self.time_embed(timesteps)
        if self.label_emb is not None:
            emb = emb + self.label_emb(y)

        spatial = x.shape[2:]
        h = self._pad(x)
        skips = []
        for block in self.input_blocks:
            h = block(h, emb)
            skips.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
        out = self.out(h)
        crop = (..., *(slice(0, n) for n in spatial))
        return out[crop].to(x.dtype)

    def _check_inputs(self, x: Tensor, y: Tensor | None) -> None:
        if x.ndim != self.dims + 2:
            raise ValueError(
                f"expected x of shape (B, C, {'L' if self.dims == 1 else 'H, W'}) for dims="
                f"{self.dims}, got {tuple(x.shape)}"
            )
        if x.shape[1] != self.in_channels:
            raise ValueError(f"expected {self.in_channels} input channels, got {x.shape[1]}")
        if self.num_classes is None:
            if y is not None:
                raise ValueError("y (class labels) given to an unconditional UNetModel")
            return
        if y is None:
            raise ValueError(
                f"this UNetModel is class-conditional ({self.num_classes} classes): y is required"
            )
        if y.shape != (x.shape[0],) or y.dtype != torch.long:
            raise ValueError(
                f"y must be a long tensor of shape ({x.shape[0]},), got {y.dtype} {tuple(y.shape)}"
            )
        if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
            raise ValueError(f"class labels must lie in [0, {self.num_classes}), got {y.tolist()}")

    def _pad(self, x: Tensor) -> Tensor:
        """Zero-pad every spatial axis at its end up to a multiple of 2^(levels−1)."""
        pad: list[int] = []
        for n in reversed(x.shape[2:]):  # F.pad lists the last axis first
            pad += [0, -n % self.size_multiple]
        return F.pad(x, pad) if any(pad) else x
