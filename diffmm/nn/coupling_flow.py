"""An affine-coupling normalizing flow (RealNVP, Dinh et al. 2017), the learnt prior over the
shape latent in Luo & Hu (2021).

Each ``AffineCoupling`` keeps one half of z and maps the other half as
y₂ = z₂ ⊙ s(z₁) + t(z₁), s = sigmoid(h + 2) ∈ (0, 1) (Glow's stable scale), so
log |det ∂y/∂z| = Σ log s; alternate layers swap the halves. ``AffineCouplingFlow`` maps a
latent z to w = f(z) with w ~ N(0, I) under the prior, so
log p(z) = log N(f(z); 0, I) + log |det ∂f/∂z|, and samples are z = f⁻¹(w).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class AffineCoupling(nn.Module):
    def __init__(self, dim: int, hidden: int, swap: bool) -> None:
        super().__init__()
        self.swap = swap
        self.keep = dim // 2 if not swap else dim - dim // 2
        moved = dim - self.keep
        self.net = nn.Sequential(
            nn.Linear(self.keep, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2 * moved),
        )

    def _split(self, z: Tensor) -> tuple[Tensor, Tensor]:
        if self.swap:
            return z[:, -self.keep :], z[:, : -self.keep]
        return z[:, : self.keep], z[:, self.keep :]

    def _join(self, kept: Tensor, moved: Tensor) -> Tensor:
        return torch.cat([moved, kept] if self.swap else [kept, moved], dim=1)

    def _scale_shift(self, kept: Tensor) -> tuple[Tensor, Tensor]:
        raw_scale, shift = self.net(kept).chunk(2, dim=1)
        return torch.sigmoid(raw_scale + 2.0), shift

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """(y, log |det ∂y/∂z| per example)."""
        kept, moved = self._split(z)
        scale, shift = self._scale_shift(kept)
        return self._join(kept, moved * scale + shift), scale.log().sum(dim=1)

    def inverse(self, y: Tensor) -> Tensor:
        kept, moved = self._split(y)
        scale, shift = self._scale_shift(kept)
        return self._join(kept, (moved - shift) / scale)


class AffineCouplingFlow(nn.Module):
    """f: z ↦ w through ``depth`` couplings with alternating halves."""

    def __init__(self, dim: int, depth: int, hidden: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            AffineCoupling(dim, hidden, swap=i % 2 == 0) for i in range(depth)
        )

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """(w = f(z), log |det ∂f/∂z| per example)."""
        log_det = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        for layer in self.layers:
            z, layer_log_det = layer(z)
            log_det = log_det + layer_log_det
        return z, log_det

    def inverse(self, w: Tensor) -> Tensor:
        for layer in reversed(self.layers):
            w = layer.inverse(w)
        return w

    def log_prob(self, z: Tensor) -> Tensor:
        """log p(z) per example under the standard normal pushed back through f."""
        w, log_det = self(z)
        log_normal = -0.5 * (w**2).sum(dim=1) - 0.5 * w.shape[1] * math.log(2 * math.pi)
        return log_normal + log_det
