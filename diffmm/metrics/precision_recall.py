"""Improved precision and recall (Kynkäänniemi et al. 2019) in a feature space.

Each set's manifold is the union of balls around its feature vectors, the radius of each ball
being the distance to that vector's k-th nearest neighbour in its own set (k = 3 in the
paper). Precision is the fraction of generated features inside the real manifold (quality);
recall the fraction of real features inside the generated manifold (coverage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from diffmm.errors import DiffmmError


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float
    k: int


def precision_recall(
    real_features: np.ndarray, fake_features: np.ndarray, *, k: int = 3, batch_size: int = 1024
) -> PrecisionRecall:
    """Precision and recall of (M, D) generated against (N, D) real features.

    Distances are computed in float64, ``batch_size`` rows at a time, so 50k × 50k sets need
    no N × M matrix in memory.
    """
    real = _as_features(real_features, "real", k)
    fake = _as_features(fake_features, "fake", k)
    if real.shape[1] != fake.shape[1]:
        raise DiffmmError(
            f"real and fake features differ in dimension: {real.shape[1]} vs {fake.shape[1]}"
        )
    real_radii = _kth_neighbour_distances(real, k, batch_size)
    fake_radii = _kth_neighbour_distances(fake, k, batch_size)
    return PrecisionRecall(
        precision=_fraction_inside(fake, real, real_radii, batch_size),
        recall=_fraction_inside(real, fake, fake_radii, batch_size),
        k=k,
    )


def _as_features(features: np.ndarray, name: str, k: int) -> Tensor:
    features = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    if features.ndim != 2 or features.shape[0] <= k:
        raise DiffmmError(f"{name} features must be (N > k={k}, D), got {tuple(features.shape)}")
    return features


def _kth_neighbour_distances(points: Tensor, k: int, batch_size: int) -> Tensor:
    radii = []
    for start in range(0, len(points), batch_size):
        distances = torch.cdist(points[start : start + batch_size], points)
        # The smallest distance is the point to itself (0), so the k-th neighbour is the
        # (k + 1)-th smallest.
        radii.append(distances.kthvalue(k + 1, dim=1).values)
    return torch.cat(radii)


def _fraction_inside(queries: Tensor, centres: Tensor, radii: Tensor, batch_size: int) -> float:
    inside = 0
    for start in range(0, len(queries), batch_size):
        distances = torch.cdist(queries[start : start + batch_size], centres)
        inside += int((distances <= radii[None, :]).any(dim=1).sum())
    return inside / len(queries)
