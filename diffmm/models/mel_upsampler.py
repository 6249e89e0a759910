"""DiffWave's mel upsampler for any hop: a stack of 2-D transposed convolutions over (mel, time).

Kong et al. (2021) upsample the 80-band mel by 256 = 16 × 16 with two transposed 2-D convs
(kernel 3 × 2f, stride 1 × f), each followed by a leaky ReLU (slope 0.4). Here the hop is split
into factors (16 × 16 for 256, 10 × 20 for 200, 15 × 20 for 300) and every factor f gets the same
layer. A transposed conv with kernel 2f and stride f maps L frames to (L + 1)·f samples; the
centred L·f of them (dropping ⌊f/2⌋ at the start) are kept, so the output has exactly
hop × frames samples for odd factors too, where a symmetric padding of f/2 cannot exist.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

LEAKY_SLOPE = 0.4


def hop_factors(hop: int) -> list[int]:
    """Two factors a·b = hop, a ≤ b, with a the divisor nearest √hop (one factor if hop is 1 or prime)."""
    if hop < 1:
        raise ValueError(f"hop must be a positive integer, got {hop}")
    divisors = [d for d in range(2, math.isqrt(hop) + 1) if hop % d == 0]
    if not divisors:
        return [hop]
    nearest = min(divisors, key=lambda d: abs(math.log(hop / d**2)))
    return [nearest, hop // nearest]


class MelUpsampler(nn.Module):
    """(B, n_mels, frames) → (B, n_mels, frames · hop) through one transposed conv per factor."""

    def __init__(self, hop: int, factors: list[int] | None = None) -> None:
        super().__init__()
        factors = list(factors) if factors else hop_factors(hop)
        if any(f < 1 for f in factors) or math.prod(factors) != hop:
            raise ValueError(f"upsampling factors {factors} must be positive and multiply to {hop}")
        self.hop, self.factors = hop, factors
        self.layers = nn.ModuleList(
            nn.ConvTranspose2d(1, 1, (3, 2 * f), stride=(1, f), padding=(1, 0)) for f in factors
        )

    def forward(self, mel: Tensor) -> Tensor:
        if mel.ndim != 3:
            raise ValueError(f"mel must have shape (B, n_mels, frames), got {tuple(mel.shape)}")
        x = mel.unsqueeze(1)
        for f, layer in zip(self.factors, self.layers):
            frames = x.shape[-1]
            x = layer(x)[..., f // 2 : f // 2 + frames * f]
            x = F.leaky_relu(x, LEAKY_SLOPE)
        return x.squeeze(1)
