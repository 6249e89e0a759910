"""The Fréchet distance between Gaussians, the maths of FID (Heusel et al. 2017).

d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½), in float64 throughout: in float32 the square
root of a 2048 × 2048 product loses enough digits to move FID in its first decimal.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from diffmm.errors import DiffmmError
from diffmm.metrics.feature_statistics import FeatureStatistics

# The largest imaginary part on the diagonal of (Σ₁Σ₂)^½ that is taken for round-off: the
# product of two PSD matrices has real non-negative eigenvalues, so anything larger means a
# covariance is not PSD (corrupt statistics), not noise.
IMAGINARY_TOLERANCE = 1e-3


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, *, eps: float = 1e-6
) -> float:
    """d² between N(μ₁, Σ₁) and N(μ₂, Σ₂).

    When Σ₁Σ₂ is so near singular that its square root is not finite (fewer samples than
    dimensions), ε·I is added to both covariances and the root retried; a tiny imaginary part
    left by the Schur method is dropped.
    """
    mu1, mu2 = (
        np.atleast_1d(np.asarray(mu1, np.float64)),
        np.atleast_1d(np.asarray(mu2, np.float64)),
    )
    sigma1, sigma2 = (
        np.atleast_2d(np.asarray(sigma1, np.float64)),
        np.atleast_2d(np.asarray(sigma2, np.float64)),
    )
    dim = mu1.shape[0]
    if mu2.shape != (dim,) or sigma1.shape != (dim, dim) or sigma2.shape != (dim, dim):
        raise DiffmmError(
            f"Fréchet distance needs matching shapes: μ {mu1.shape}, {mu2.shape}; "
            f"Σ {sigma1.shape}, {sigma2.shape}"
        )
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(root).all():
        offset = eps * np.eye(dim)
        root = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(root):
        largest = np.abs(np.diagonal(root).imag).max()
        if largest > IMAGINARY_TOLERANCE:
            raise DiffmmError(
                f"(Σ₁Σ₂)^½ has an imaginary part of {largest:.3g}: a covariance is not positive semi-definite"
            )
        root = root.real
    difference = mu1 - mu2
    return float(difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root))


def fid(first: FeatureStatistics, second: FeatureStatistics) -> float:
    """FID between two sets' statistics, refused unless they share extractor and dimension."""
    first.check_comparable(second)
    return frechet_distance(first.mean, first.cov, second.mean, second.cov)
