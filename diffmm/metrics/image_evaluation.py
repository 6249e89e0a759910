"""Scoring image samples against a reference set in one extractor's feature space: FID
(Heusel et al. 2017), Inception Score (Salimans et al. 2016) when the extractor gives class
probabilities, and improved precision/recall (Kynkäänniemi et al. 2019, k = 3) when the
reference features themselves are at hand.

The reference is a data set (``diffmm.vision.load_images``: image arrays, an IDX or CIFAR-10
path, an image folder) or a cached ``FeatureStatistics`` ``.npz``; a cache holds only μ and Σ,
so precision/recall then cannot be computed and are reported as absent. Every result names its
extractor, and statistics from another extractor or dimension are a one-line error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from diffmm.errors import DiffmmError
from diffmm.metrics.feature_extractor import FeatureExtractor, extract_features
from diffmm.metrics.feature_statistics import FeatureStatistics
from diffmm.metrics.frechet import fid
from diffmm.metrics.inception_score import inception_score
from diffmm.metrics.precision_recall import precision_recall
from diffmm.vision.sources import load_images

IS_SPLITS = 10  # as in the original Inception Score code


@dataclass(frozen=True)
class Reference:
    statistics: FeatureStatistics
    features: np.ndarray | None  # None for a statistics cache: no precision/recall
    source: str


def load_reference(
    path: str | Path, extractor: FeatureExtractor, *, split: str = "test", batch_size: int = 250
) -> Reference:
    """Statistics (and features) of the reference at ``path`` under ``extractor``."""
    path = Path(path)
    if path.suffix == ".npz" and _is_statistics_file(path):
        statistics = FeatureStatistics.load(path)
        _check_extractor(statistics, extractor, str(path))
        return Reference(statistics, None, str(path))
    features, _ = extract(extractor, load_images(path, split).images, batch_size=batch_size)
    return Reference(FeatureStatistics.from_features(features, extractor.name), features, str(path))


def extract(
    extractor: FeatureExtractor, images: np.ndarray, *, batch_size: int = 250
) -> tuple[np.ndarray, np.ndarray | None]:
    """(N, dim) float64 features and, from an extractor with ``features_and_probabilities``,
    (N, K) class probabilities, in one pass over uint8 NHWC ``images``."""
    both = getattr(extractor, "features_and_probabilities", None)
    if both is None:
        return extract_features(extractor, images, batch_size=batch_size), None
    probabilities: list[np.ndarray] = []

    def features_keeping_probabilities(batch: torch.Tensor) -> torch.Tensor:
        features, p = both(batch)
        probabilities.append(p.double().cpu().numpy())
        return features

    wrapped = _Named(features_keeping_probabilities, extractor.name, extractor.dim)
    features = extract_features(wrapped, images, batch_size=batch_size)
    return features, np.concatenate(probabilities)


def evaluate_images(
    samples: np.ndarray,
    reference: Reference,
    extractor: FeatureExtractor,
    *,
    k: int = 3,
    batch_size: int = 250,
) -> dict[str, Any]:
    """FID, IS and precision/recall of uint8 NHWC ``samples`` (see the module docstring)."""
    _check_extractor(reference.statistics, extractor, reference.source)
    features, probabilities = extract(extractor, samples, batch_size=batch_size)
    return score_features(features, probabilities, reference, extractor, k=k)


def score_features(
    features: np.ndarray,
    probabilities: np.ndarray | None,
    reference: Reference,
    extractor: FeatureExtractor,
    *,
    k: int = 3,
) -> dict[str, Any]:
    """``evaluate_images`` on samples' features already extracted with ``extractor``."""
    _check_extractor(reference.statistics, extractor, reference.source)
    statistics = FeatureStatistics.from_features(features, extractor.name)
    scores: dict[str, Any] = {
        "extractor": extractor.name,
        "feature_dim": extractor.dim,
        "num_samples": len(features),
        "reference": reference.source,
        "num_reference": reference.statistics.count,
        "fid": fid(statistics, reference.statistics),
        "inception_score": None,
        "inception_score_std": None,
        "precision": None,
        "recall": None,
        "k": k,
    }
    if probabilities is not None:
        splits = min(IS_SPLITS, len(features))
        scores["inception_score"], scores["inception_score_std"] = inception_score(
            probabilities, splits
        )
    if reference.features is not None:
        result = precision_recall(reference.features, features, k=k)
        scores["precision"], scores["recall"] = result.precision, result.recall
    return scores


def _is_statistics_file(path: Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return "mean" in archive.files
    except FileNotFoundError:
        raise DiffmmError(f"reference not found: {path}") from None
    except (OSError, ValueError) as error:
        raise DiffmmError(f"cannot read reference {path}: {error}") from error


def _check_extractor(statistics: FeatureStatistics, extractor: FeatureExtractor, source: str):
    if (statistics.extractor, statistics.dim) != (extractor.name, extractor.dim):
        raise DiffmmError(
            f"reference statistics {source} come from extractor {statistics.extractor!r} "
            f"(dim {statistics.dim}), not {extractor.name!r} (dim {extractor.dim})"
        )


@dataclass
class _Named:
    """A callable with the name and dim ``extract_features`` checks."""

    function: Any
    name: str
    dim: int

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return self.function(images)
