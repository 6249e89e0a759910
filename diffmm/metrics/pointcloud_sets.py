"""Comparing a set of generated clouds S with a reference set R (Achlioptas et al. 2018,
Yang et al. 2019), from matrices of pairwise distances D (CD or EMD):

- MMD(S, R) = mean over r ∈ R of min over s ∈ S of D(s, r): fidelity (lower is better);
- COV(S, R) = |{argmin_r D(s, r) : s ∈ S}| / |R|: the share of references that are the
  nearest neighbour of some sample (coverage; higher is better);
- 1-NNA = accuracy of the leave-one-out 1-nearest-neighbour classifier on S ∪ R, where each
  cloud is labelled by its set: 50% when S and R are indistinguishable, 100% when disjoint;
- JSD between the occupancy distributions of all points of S and of R over a 28³ grid,
  as PointFlow computes it (grid points in [−½, ½]³ kept inside the sphere of radius ½, each
  point counted at its nearest grid point; log base 2, so 0 ≤ JSD ≤ 1).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from torch import Tensor


def mmd_and_coverage(sample_to_reference: Tensor) -> tuple[float, float]:
    """(MMD, COV) from D (|S|, |R|)."""
    d = sample_to_reference
    mmd = float(d.min(dim=0).values.mean())
    coverage = len(set(d.argmin(dim=1).tolist())) / d.shape[1]
    return mmd, coverage


def one_nn_accuracy(samples: Tensor, references: Tensor, sample_to_reference: Tensor) -> float:
    """1-NNA from D(S, S) (|S|, |S|), D(R, R) (|R|, |R|) and D(S, R) (|S|, |R|)."""
    top = np.concatenate([samples.numpy(), sample_to_reference.numpy()], axis=1)
    bottom = np.concatenate([sample_to_reference.numpy().T, references.numpy()], axis=1)
    d = np.concatenate([top, bottom]).astype(np.float64)
    np.fill_diagonal(d, np.inf)
    labels = np.r_[np.zeros(len(samples)), np.ones(len(references))]
    return float((labels[d.argmin(axis=1)] == labels).mean())


def occupancy_grid(resolution: int = 28) -> np.ndarray:
    """Grid points (K, 3) of spacing 1/(resolution − 1) over [−½, ½]³, inside radius ½."""
    axis = np.linspace(-0.5, 0.5, resolution)
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    return grid[np.linalg.norm(grid, axis=1) <= 0.5]


def jensen_shannon_divergence(
    samples: np.ndarray, references: np.ndarray, resolution: int = 28
) -> float:
    """JSD of the point occupancies of two sets of clouds (M, N, 3), in bits."""
    tree = cKDTree(occupancy_grid(resolution))
    counts = []
    for clouds in (samples, references):
        _, cells = tree.query(np.asarray(clouds, np.float64).reshape(-1, 3))
        counts.append(np.bincount(cells, minlength=tree.n).astype(np.float64))
    p, q = (c / c.sum() for c in counts)
    m = (p + q) / 2

    def entropy(v: np.ndarray) -> float:
        v = v[v > 0]
        return float(-(v * np.log2(v)).sum())

    return max(0.0, entropy(m) - (entropy(p) + entropy(q)) / 2)
