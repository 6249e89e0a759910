"""Gaussian statistics (μ, Σ) of a feature set, saved as ``.npz`` and tagged with their extractor.

FID compares the mean and covariance of two feature sets, so a reference set is computed once
and cached. A cache is only meaningful against features from the same network: the file
records the extractor's name and the feature dimension, and comparing statistics that differ
in either is an error rather than a number.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffmm.atomic import atomic_file
from diffmm.errors import DiffmmError

KEYS = ("mean", "cov", "count", "extractor", "dim")


@dataclass(frozen=True)
class FeatureStatistics:
    """μ (D,) and Σ (D, D) in float64 over ``count`` features from the extractor ``extractor``."""

    mean: np.ndarray
    cov: np.ndarray
    count: int
    extractor: str

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    @classmethod
    def from_features(cls, features: np.ndarray, extractor: str) -> FeatureStatistics:
        """μ and the unbiased Σ (divisor N − 1) of (N, D) features, accumulated in float64."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[0] < 2:
            raise DiffmmError(f"statistics need (N ≥ 2, D) features, got shape {features.shape}")
        return cls(features.mean(axis=0), np.cov(features, rowvar=False), len(features), extractor)

    def check_comparable(self, other: FeatureStatistics) -> None:
        """A one-line ``DiffmmError`` unless both come from the same extractor and dimension."""
        if (self.extractor, self.dim) != (other.extractor, other.dim):
            raise DiffmmError(
                f"feature statistics are not comparable: extractor {self.extractor!r} "
                f"(dim {self.dim}) vs {other.extractor!r} (dim {other.dim})"
            )

    def save(self, path: str | Path) -> Path:
        """Write the ``.npz`` atomically (a crash never leaves half a cache behind)."""
        path = Path(path)
        with atomic_file(path) as file:
            np.savez(
                file,
                mean=self.mean,
                cov=self.cov,
                count=np.int64(self.count),
                extractor=np.str_(self.extractor),
                dim=np.int64(self.dim),
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> FeatureStatistics:
        """Read statistics written by ``save``; anything else is a one-line error naming ``path``."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as archive:
                missing = [key for key in KEYS if key not in archive.files]
                if missing:
                    raise DiffmmError(
                        f"{path} is not a feature-statistics file: no {', '.join(missing)} "
                        f"(expected {', '.join(KEYS)})"
                    )
                arrays = {key: archive[key] for key in KEYS}
        except FileNotFoundError:
            raise DiffmmError(f"feature statistics not found: {path}") from None
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise DiffmmError(f"cannot read feature statistics {path}: {error}") from error
        dim = int(arrays["dim"])
        if arrays["mean"].shape != (dim,) or arrays["cov"].shape != (dim, dim):
            raise DiffmmError(
                f"{path}: mean {arrays['mean'].shape} and cov {arrays['cov'].shape} "
                f"do not match dim {dim}"
            )
        return cls(
            arrays["mean"].astype(np.float64),
            arrays["cov"].astype(np.float64),
            int(arrays["count"]),
            str(arrays["extractor"]),
        )
