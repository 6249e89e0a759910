"""Timestep embeddings: sinusoidal features of a (possibly fractional) time, and the MLP on top.

The network receives time in whatever form it was trained with: an integer DDPM step, a
fractional step (DiffWave's fast schedule, respaced grids), a continuous t scaled by the
schedule, or a noise level σ. The sinusoid is a smooth function of a real number, so all of
these are the same code path; nothing here rounds or casts to an integer.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

DEFAULT_MAX_PERIOD = 10000.0


def timestep_embedding(
    timesteps: Tensor, dim: int, max_period: float = DEFAULT_MAX_PERIOD
) -> Tensor:
    """Sinusoidal embedding of real-valued times (Vaswani et al. 2017; DDPM §B).

    With half = ⌊dim/2⌋ and frequencies ω_i = max_period^(−i/half), i = 0..half−1, the
    embedding of t is [cos(t ω_0), …, cos(t ω_{half−1}), sin(t ω_0), …, sin(t ω_{half−1})],
    followed by one zero column when ``dim`` is odd. Returns float32 of shape (B, dim).
    """
    if dim < 1:
        raise ValueError(f"embedding dim must be positive, got {dim}")
    t = torch.as_tensor(timesteps)
    if t.ndim != 1:
        raise ValueError(f"timesteps must have shape (B,), got {tuple(t.shape)}")
    if t.is_complex():
        raise ValueError("timesteps must be real")
    half = dim // 2
    exponents = torch.arange(half, dtype=torch.float32, device=t.device) / max(half, 1)
    frequencies = torch.exp(-math.log(max_period) * exponents)
    args = t.to(torch.float32)[:, None] * frequencies[None, :]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)
    return embedding


class TimestepEmbedding(nn.Module):
    """t ↦ Linear(SiLU(Linear(sinusoid(t)))): the time-embedding MLP of DDPM / guided-diffusion.

    ``frequency_dim`` is the sinusoid width (the UNet's base channel count) and ``embed_dim``
    the output width (4× the base channels in DDPM).
    """

    def __init__(
        self, frequency_dim: int, embed_dim: int, max_period: float = DEFAULT_MAX_PERIOD
    ) -> None:
        super().__init__()
        self.frequency_dim = frequency_dim
        self.max_period = max_period
        self.mlp = nn.Sequential(
            nn.Linear(frequency_dim, embed_dim),
            nn.SiLU(),
            nn.Linear(embed_dim, embed_dim),
        )

    def forward(self, timesteps: Tensor) -> Tensor:
        features = timestep_embedding(timesteps, self.frequency_dim, self.max_period)
        return self.mlp(features.to(self.mlp[0].weight.dtype))
