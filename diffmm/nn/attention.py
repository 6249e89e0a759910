"""Multi-head self-attention over the flattened spatial axis (guided-diffusion's AttentionBlock).

Every position of a (B, C, *spatial) feature map attends to every other; the spatial axes are
flattened into one sequence of N = ∏ spatial positions. The softmax attention itself is
``F.scaled_dot_product_attention``, which picks a fused kernel and never materialises the
N×N score matrix in float32 when it does not have to.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from diffmm.nn.layers import normalization, zero_module


def resolve_num_heads(channels: int, num_heads: int, num_head_channels: int) -> int:
    """Number of heads: ``num_heads`` or, when ``num_head_channels`` > 0, channels / head width."""
    if num_head_channels == -1:
        if num_heads < 1 or channels % num_heads:
            raise ValueError(f"{channels} channels cannot be split into {num_heads} heads")
        return num_heads
    if num_head_channels < 1 or channels % num_head_channels:
        raise ValueError(
            f"{channels} channels are not a multiple of num_head_channels={num_head_channels}"
        )
    return channels // num_head_channels


class AttentionBlock(nn.Module):
    """x + proj(MHSA(GroupNorm(x))), with the output projection zero-initialised.

    The q, k, v and output projections are 1×1 maps, written as ``nn.Linear`` on the
    channels-last sequence (the same parameters as DDPM's NIN layers / a 1×1 conv), which
    avoids a transpose around a 1×1 convolution.
    """

    def __init__(
        self,
        channels: int,
        num_heads: int = 1,
        num_head_channels: int = -1,
        use_checkpoint: bool = False,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.num_heads = resolve_num_heads(channels, num_heads, num_head_channels)
        self.use_checkpoint = use_checkpoint
        self.norm = normalization(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj_out = zero_module(nn.Linear(channels, channels))

    def forward(self, x: Tensor) -> Tensor:
        if self.use_checkpoint and self.training and torch.is_grad_enabled():
            return checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)

    def _forward(self, x: Tensor) -> Tensor:
        batch, channels, *spatial = x.shape
        tokens = self.norm(x).reshape(batch, channels, -1).transpose(1, 2)  # (B, N, C)
        length = tokens.shape[1]
        head_dim = channels // self.num_heads
        qkv = self.qkv(tokens).reshape(batch, length, 3, self.num_heads, head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, heads, N, head_dim)
        attended = F.scaled_dot_product_attention(q, k, v)
        attended = attended.transpose(1, 2).reshape(batch, length, channels)
        out = self.proj_out(attended).transpose(1, 2).reshape(batch, channels, *spatial)
        return x + out
