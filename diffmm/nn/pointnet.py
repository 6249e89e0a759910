"""The networks of Luo & Hu (2021), "Diffusion Probabilistic Models for 3D Point Cloud
Generation": a PointNet encoder of a whole cloud and a point-wise ε-network.

``PointNetEncoder`` (Qi et al. 2017): shared per-point MLP 3→128→128→256→512 (1×1 convs,
batch norm, ReLU), max-pool over points, then two MLPs 512→256→128→F giving the mean μ and
log-variance log σ² of the shape latent z.

``PointwiseNet``: ε_θ(x_t, β_t, z) applied to each point independently, six
``ConcatSquashLinear`` layers 3→128→256→512→256→128→3 with leaky ReLU between them, each
conditioned on the context c = [β, sin β, cos β, z], plus the input (residual) when asked.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn
from torch.nn import functional as F

POINTWISE_WIDTHS = (3, 128, 256, 512, 256, 128, 3)


class ConcatSquashLinear(nn.Module):
    """y = (W x + b) ⊙ sigmoid(G c + g) + H c: a linear map gated and shifted by a context c
    (Grathwohl et al. 2019, FFJORD)."""

    def __init__(self, dim_in: int, dim_out: int, dim_context: int) -> None:
        super().__init__()
        self.layer = nn.Linear(dim_in, dim_out)
        self.gate = nn.Linear(dim_context, dim_out)
        self.bias = nn.Linear(dim_context, dim_out, bias=False)

    def forward(self, x: Tensor, context: Tensor) -> Tensor:
        # context (B, 1, C) broadcasts over the N points of x (B, N, D)
        return self.layer(x) * torch.sigmoid(self.gate(context)) + self.bias(context)


class PointwiseNet(nn.Module):
    """ε̂ = ε_θ(x_t, β, z) for clouds x_t (B, N, 3), β (B,) and latents z (B, F)."""

    def __init__(self, latent_dim: int, residual: bool = True) -> None:
        super().__init__()
        self.residual = residual
        context = latent_dim + 3
        self.layers = nn.ModuleList(
            ConcatSquashLinear(a, b, context) for a, b in itertools.pairwise(POINTWISE_WIDTHS)
        )

    def forward(self, x: Tensor, beta: Tensor, latent: Tensor) -> Tensor:
        beta = beta.to(x.dtype).reshape(-1, 1)
        context = torch.cat([beta, beta.sin(), beta.cos(), latent.to(x.dtype)], dim=1)[:, None]
        out = x
        for i, layer in enumerate(self.layers):
            out = layer(out, context)
            if i < len(self.layers) - 1:
                out = F.leaky_relu(out)
        return x + out if self.residual else out


class PointNetEncoder(nn.Module):
    """(μ, log σ²) of the latent, each (B, F), from clouds (B, N, 3)."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        widths = (3, 128, 128, 256, 512)
        self.point_mlp = nn.Sequential(
            *(
                module
                for a, b in itertools.pairwise(widths)
                for module in (nn.Conv1d(a, b, 1), nn.BatchNorm1d(b), nn.ReLU())
            )
        )
        self.mean = self._head(latent_dim)
        self.log_var = self._head(latent_dim)

    @staticmethod
    def _head(latent_dim: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Linear(512, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, latent_dim),
        )

    def forward(self, points: Tensor) -> tuple[Tensor, Tensor]:
        features = self.point_mlp(points.transpose(1, 2)).amax(dim=2)
        return self.mean(features), self.log_var(features)
