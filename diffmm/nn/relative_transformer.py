"""A transformer encoder with windowed relative-position attention (Shaw et al. 2018), in the
form Glow-TTS and Grad-TTS (Popov et al. 2021) use for their text encoders.

Each layer: multi-head self-attention whose logits and values gain learned embeddings of the
relative offset j − i for |j − i| ≤ ``window`` (one table shared by the heads), then a
two-conv feed-forward block (kernel 3, ReLU); each sub-block is residual and followed by a
layer norm over channels (post-norm). Sequences are (B, C, T) with a (B, 1, T) 0/1 mask; padded
positions are zeroed at every layer and never attended to.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

MASKED_LOGIT = -1e4  # Glow-TTS's fill value: finite, so a fully masked row stays a valid softmax


class ChannelLayerNorm(nn.Module):
    """Layer norm over the channel axis of (B, C, T) sequences."""

    def __init__(self, channels: int, eps: float = 1e-4) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        mean = x.mean(1, keepdim=True)
        variance = ((x - mean) ** 2).mean(1, keepdim=True)
        x = (x - mean) * torch.rsqrt(variance + self.eps)
        return x * self.gamma[None, :, None] + self.beta[None, :, None]


class RelativeMultiHeadAttention(nn.Module):
    """Self-attention with relative-position key and value embeddings for offsets in
    [−window, window]: logit(i, j) = q_i · (k_j + r^K_{j−i}) / √d and
    out_i = Σ_j p(i, j) (v_j + r^V_{j−i}), with r = 0 outside the window."""

    def __init__(
        self, channels: int, num_heads: int, window: int = 4, dropout: float = 0.0
    ) -> None:
        super().__init__()
        if channels % num_heads:
            raise ValueError(f"channels {channels} are not divisible by {num_heads} heads")
        self.num_heads, self.window = num_heads, window
        self.head_channels = channels // num_heads
        self.query = nn.Conv1d(channels, channels, 1)
        self.key = nn.Conv1d(channels, channels, 1)
        self.value = nn.Conv1d(channels, channels, 1)
        self.output = nn.Conv1d(channels, channels, 1)
        scale = self.head_channels**-0.5
        self.relative_keys = nn.Parameter(torch.randn(2 * window + 1, self.head_channels) * scale)
        self.relative_values = nn.Parameter(torch.randn(2 * window + 1, self.head_channels) * scale)
        self.dropout = nn.Dropout(dropout)
        for conv in (self.query, self.key, self.value):
            nn.init.xavier_uniform_(conv.weight)

    def forward(self, x: Tensor, attention_mask: Tensor) -> Tensor:
        """x: (B, C, T); attention_mask: (B, 1, T, T), 1 where i may attend to j."""
        batch, channels, length = x.shape
        heads, width = self.num_heads, self.head_channels

        def split(t: Tensor) -> Tensor:  # (B, C, T) → (B, H, T, d)
            return t.view(batch, heads, width, length).transpose(2, 3)

        q = split(self.query(x)) / math.sqrt(width)
        k, v = split(self.key(x)), split(self.value(x))
        offset = torch.arange(length, device=x.device)
        offset = offset[None, :] - offset[:, None]  # j − i
        inside = offset.abs() <= self.window
        index = (offset.clamp(-self.window, self.window) + self.window).expand(batch, heads, -1, -1)
        relative = (q @ self.relative_keys.T).gather(-1, index)  # q_i · r^K_{j−i}
        logits = q @ k.transpose(-1, -2) + relative * inside
        logits = logits.masked_fill(attention_mask == 0, MASKED_LOGIT)
        p = self.dropout(torch.softmax(logits, dim=-1))
        # Σ_j p(i, j) r^V_{j−i}: gather each row's probabilities by offset, then one matmul
        by_offset = torch.zeros(
            batch, heads, length, 2 * self.window + 1, dtype=p.dtype, device=p.device
        )
        by_offset.scatter_add_(-1, index, p * inside)
        out = p @ v + by_offset @ self.relative_values
        return self.output(out.transpose(2, 3).reshape(batch, channels, length))


class ConvFeedForward(nn.Module):
    """conv(k) → ReLU → dropout → conv(k), masked before each conv."""

    def __init__(self, channels: int, hidden: int, kernel_size: int = 3, dropout: float = 0.0):
        super().__init__()
        self.conv_in = nn.Conv1d(channels, hidden, kernel_size, padding=kernel_size // 2)
        self.conv_out = nn.Conv1d(hidden, channels, kernel_size, padding=kernel_size // 2)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        h = self.dropout(F.relu(self.conv_in(x * mask)))
        return self.conv_out(h * mask) * mask


class RelativeTransformerEncoder(nn.Module):
    """``num_layers`` × (relative attention, conv feed-forward), post-norm, on (B, C, T)."""

    def __init__(
        self,
        channels: int,
        hidden: int,
        num_heads: int,
        num_layers: int,
        kernel_size: int = 3,
        dropout: float = 0.1,
        window: int = 4,
    ) -> None:
        super().__init__()
        self.attention = nn.ModuleList(
            RelativeMultiHeadAttention(channels, num_heads, window, dropout)
            for _ in range(num_layers)
        )
        self.feed_forward = nn.ModuleList(
            ConvFeedForward(channels, hidden, kernel_size, dropout) for _ in range(num_layers)
        )
        self.norms_attention = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(num_layers))
        self.norms_feed_forward = nn.ModuleList(
            ChannelLayerNorm(channels) for _ in range(num_layers)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x: (B, C, T); mask: (B, 1, T) of 0/1. Returns (B, C, T), zero where mask is 0."""
        attention_mask = mask.unsqueeze(2) * mask.unsqueeze(-1)
        x = x * mask
        layers = zip(
            self.attention, self.norms_attention, self.feed_forward, self.norms_feed_forward
        )
        for attend, norm_a, feed, norm_f in layers:
            x = norm_a(x + self.dropout(attend(x, attention_mask)))
            x = norm_f(x + self.dropout(feed(x, mask)))
        return x * mask
