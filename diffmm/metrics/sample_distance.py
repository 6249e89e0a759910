"""Distances between two sets of samples in R^D, for judging generated against real data."""

from __future__ import annotations

import torch
from torch import Tensor


def _as_points(x: Tensor, name: str) -> Tensor:
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(
            f"{name} must be a (N, D) array of at least two points, got {tuple(x.shape)}"
        )
    return x


def sliced_wasserstein(
    a: Tensor,
    b: Tensor,
    *,
    num_projections: int = 256,
    generator: torch.Generator | None = None,
) -> float:
    """Sliced 2-Wasserstein distance (Rabin et al. 2011): √(E_θ W₂²(θᵀa, θᵀb)) over random unit θ.

    In one dimension W₂ between empirical laws is the distance between sorted samples; sets of
    different sizes are compared through matching quantiles.
    """
    a, b = _as_points(a, "a"), _as_points(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"sample sets differ in dimension: {a.shape[1]} vs {b.shape[1]}")
    theta = torch.randn(a.shape[1], num_projections, generator=generator, dtype=torch.float64)
    theta = theta / theta.norm(dim=0, keepdim=True)
    n = min(a.shape[0], b.shape[0])
    levels = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    qa = torch.quantile((a @ theta), levels, dim=0)
    qb = torch.quantile((b @ theta), levels, dim=0)
    return float(((qa - qb) ** 2).mean().sqrt())


def gaussian_mmd(a: Tensor, b: Tensor, *, bandwidth: float | None = None) -> float:
    """Unbiased squared maximum mean discrepancy with a Gaussian kernel (Gretton et al. 2012).

    The bandwidth defaults to the median pairwise distance of the pooled samples.
    """
    a, b = _as_points(a, "a"), _as_points(b, "b")
    pooled = torch.cat([a, b])
    d2 = torch.cdist(pooled, pooled) ** 2
    if bandwidth is None:
        bandwidth = float(d2[d2 > 0].median().sqrt())
    k = torch.exp(-d2 / (2 * bandwidth**2))
    n, m = a.shape[0], b.shape[0]
    kaa, kbb, kab = k[:n, :n], k[n:, n:], k[:n, n:]
    term_a = (kaa.sum() - kaa.diagonal().sum()) / (n * (n - 1))
    term_b = (kbb.sum() - kbb.diagonal().sum()) / (m * (m - 1))
    return float(term_a + term_b - 2 * kab.mean())
