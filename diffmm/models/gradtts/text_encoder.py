"""Grad-TTS's text encoder and duration predictor (Popov et al. 2021, after Glow-TTS).

Token embedding (scaled by √C) → a pre-net of 3 conv–ReLU–layer-norm blocks with a residual
connection → the relative-position transformer (6 layers × 192 channels, 2 heads, window 4,
conv feed-forward of 768, kernel 3) → a 1×1 projection to the mel's feature count: μ̃, the
per-token mean of the mel frames the token covers. The duration predictor reads the
transformer output with its gradient stopped (the duration loss must not reshape the encoder)
and predicts the log of each token's frame count.

Multi-speaker (Grad-TTS's multi-speaker variant): the speaker's embedding (``speaker_channels``
wide, 64 in the paper) is concatenated to every token after the pre-net, so the transformer,
the μ̃ projection and the duration predictor are C + 64 channels wide.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from diffmm.nn.relative_transformer import ChannelLayerNorm, RelativeTransformerEncoder


def sequence_mask(lengths: Tensor, max_length: int | None = None) -> Tensor:
    """(B,) lengths → (B, 1, T) float mask, 1 on each sequence's valid prefix."""
    max_length = int(lengths.max()) if max_length is None else max_length
    positions = torch.arange(max_length, device=lengths.device)
    return (positions[None, :] < lengths[:, None]).unsqueeze(1).float()


class ConvReluNorm(nn.Module):
    """The pre-net: ``num_layers`` × (conv, layer norm, ReLU, dropout), a zero-initialised 1×1
    projection, and the input added back (so at initialisation it is the identity)."""

    def __init__(
        self, channels: int, kernel_size: int = 5, num_layers: int = 3, dropout: float = 0.5
    ):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)
            for _ in range(num_layers)
        )
        self.norms = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(num_layers))
        self.dropout = nn.Dropout(dropout)
        self.projection = nn.Conv1d(channels, channels, 1)
        nn.init.zeros_(self.projection.weight)
        nn.init.zeros_(self.projection.bias)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        h = x
        for conv, norm in zip(self.convs, self.norms):
            h = self.dropout(torch.relu(norm(conv(h * mask))))
        return (x + self.projection(h)) * mask


class DurationPredictor(nn.Module):
    """Two (conv, ReLU, layer norm, dropout) blocks and a 1×1 conv: log duration per token."""

    def __init__(
        self, in_channels: int, channels: int = 256, kernel_size: int = 3, dropout: float = 0.5
    ):
        super().__init__()
        pad = kernel_size // 2
        self.conv_1 = nn.Conv1d(in_channels, channels, kernel_size, padding=pad)
        self.conv_2 = nn.Conv1d(channels, channels, kernel_size, padding=pad)
        self.norm_1, self.norm_2 = ChannelLayerNorm(channels), ChannelLayerNorm(channels)
        self.dropout = nn.Dropout(dropout)
        self.projection = nn.Conv1d(channels, 1, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        h = self.dropout(self.norm_1(torch.relu(self.conv_1(x * mask))))
        h = self.dropout(self.norm_2(torch.relu(self.conv_2(h * mask))))
        return self.projection(h * mask) * mask


class TextEncoder(nn.Module):
    """Token ids (B, T_text) → μ̃ (B, n_feats, T_text), log-durations (B, 1, T_text), mask."""

    def __init__(
        self,
        n_vocab: int,
        n_feats: int = 80,
        channels: int = 192,
        hidden: int = 768,
        num_heads: int = 2,
        num_layers: int = 6,
        kernel_size: int = 3,
        dropout: float = 0.1,
        window: int = 4,
        prenet_layers: int = 3,
        duration_channels: int = 256,
        speaker_channels: int = 0,
    ) -> None:
        super().__init__()
        self.channels = channels
        width = channels + speaker_channels
        self.embedding = nn.Embedding(n_vocab, channels)
        nn.init.normal_(self.embedding.weight, 0.0, channels**-0.5)
        self.prenet = ConvReluNorm(channels, 5, prenet_layers, 0.5)
        self.encoder = RelativeTransformerEncoder(
            width, hidden, num_heads, num_layers, kernel_size, dropout, window
        )
        self.projection = nn.Conv1d(width, n_feats, 1)
        self.duration_predictor = DurationPredictor(width, duration_channels, 3, 0.5)

    def forward(
        self, tokens: Tensor, lengths: Tensor, speaker: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``speaker``: (B, speaker_channels) embeddings of a multi-speaker encoder."""
        if tokens.ndim != 2 or lengths.shape != tokens.shape[:1]:
            raise ValueError(
                f"tokens must be (B, T) with lengths (B,), got {tuple(tokens.shape)} and "
                f"{tuple(lengths.shape)}"
            )
        mask = sequence_mask(lengths, tokens.shape[1]).to(self.embedding.weight.dtype)
        x = self.embedding(tokens).transpose(1, 2) * math.sqrt(self.channels)
        x = self.prenet(x * mask, mask)
        if speaker is not None:
            x = torch.cat([x, speaker[:, :, None].expand(-1, -1, x.shape[-1])], dim=1)
        x = self.encoder(x, mask)
        mu = self.projection(x) * mask
        log_durations = self.duration_predictor(x.detach(), mask)
        return mu, log_durations, mask
