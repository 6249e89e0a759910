"""Fréchet distance against closed forms, statistics files, extractors, and torchmetrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffmm.errors import DiffmmError
from diffmm.metrics import (
    FeatureExtractor,
    FeatureStatistics,
    extract_features,
    fid,
    frechet_distance,
)


def _random_spd(rng: np.random.Generator, dim: int) -> np.ndarray:
    a = rng.standard_normal((dim, dim))
    return a @ a.T / dim + 0.1 * np.eye(dim)


def _closed_form(mu1, sigma1, mu2, sigma2) -> float:
    """‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁^½ Σ₂ Σ₁^½)^½, with symmetric eigendecompositions only.

    (Σ₁Σ₂)^½ and (Σ₁^½Σ₂Σ₁^½)^½ are similar matrices, so their traces agree; the latter is
    symmetric PSD and needs no general matrix square root.
    """
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(w)) @ v.T
    inner = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    return float(
        np.sum((mu1 - mu2) ** 2)
        + np.trace(sigma1)
        + np.trace(sigma2)
        - 2 * np.sqrt(inner.clip(0)).sum()
    )


def _features_with_moments(rng, mean: np.ndarray, cov: np.ndarray, count: int) -> np.ndarray:
    """Features whose sample mean and (N − 1)-covariance are exactly ``mean`` and ``cov``."""
    z = rng.standard_normal((count, len(mean)))
    z -= z.mean(axis=0)
    whitened = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return whitened @ np.linalg.cholesky(cov).T + mean


def test_fid_of_a_set_against_itself_is_zero() -> None:
    rng = np.random.default_rng(0)
    features = rng.standard_normal((1000, 64)) @ rng.standard_normal((64, 64)) + 3.0
    stats = FeatureStatistics.from_features(features, "test")
    assert abs(fid(stats, stats)) < 1e-6


def test_fid_of_gaussian_feature_sets_is_the_closed_form() -> None:
    rng = np.random.default_rng(1)
    dim = 24
    mu1, mu2 = rng.standard_normal(dim), rng.standard_normal(dim)
    sigma1, sigma2 = _random_spd(rng, dim), _random_spd(rng, dim)
    expected = _closed_form(mu1, sigma1, mu2, sigma2)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-9)
    first = FeatureStatistics.from_features(_features_with_moments(rng, mu1, sigma1, 400), "test")
    second = FeatureStatistics.from_features(_features_with_moments(rng, mu2, sigma2, 300), "test")
    np.testing.assert_allclose(first.cov, sigma1, atol=1e-10)
    assert fid(first, second) == pytest.approx(expected, rel=1e-8)
    # Commuting (diagonal) covariances: d² = ‖μ₁−μ₂‖² + Σᵢ (σ₁ᵢ − σ₂ᵢ)².
    s1, s2 = rng.uniform(0.5, 2, dim), rng.uniform(0.5, 2, dim)
    diagonal = np.sum((mu1 - mu2) ** 2) + np.sum((s1 - s2) ** 2)
    assert frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2)) == pytest.approx(
        diagonal, rel=1e-10
    )


def test_fewer_samples_than_dimensions_still_give_a_real_finite_distance() -> None:
    rng = np.random.default_rng(2)
    stats = FeatureStatistics.from_features(rng.standard_normal((30, 128)), "test")
    assert abs(fid(stats, stats)) < 1e-3


def test_a_covariance_that_is_not_psd_is_refused() -> None:
    with pytest.raises(DiffmmError, match=r"imaginary part .* not positive semi-definite"):
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))


def test_statistics_round_trip_and_refuse_other_extractors(tmp_path) -> None:
    rng = np.random.default_rng(3)
    stats = FeatureStatistics.from_features(rng.standard_normal((50, 8)), "fmnist-classifier-v1")
    loaded = FeatureStatistics.load(stats.save(tmp_path / "ref.npz"))
    assert (loaded.extractor, loaded.count, loaded.dim) == ("fmnist-classifier-v1", 50, 8)
    assert np.array_equal(loaded.mean, stats.mean) and np.array_equal(loaded.cov, stats.cov)
    assert loaded.cov.dtype == np.float64
    assert list(tmp_path.iterdir()) == [tmp_path / "ref.npz"]  # no temporary left behind

    other_name = FeatureStatistics.from_features(
        rng.standard_normal((50, 8)), "inception-2015-12-05"
    )
    with pytest.raises(
        DiffmmError,
        match="not comparable: extractor 'fmnist-classifier-v1' \\(dim 8\\) vs 'inception",
    ):
        fid(loaded, other_name)
    other_dim = FeatureStatistics.from_features(
        rng.standard_normal((50, 4)), "fmnist-classifier-v1"
    )
    with pytest.raises(DiffmmError, match=r"\(dim 8\) vs 'fmnist-classifier-v1' \(dim 4\)"):
        fid(loaded, other_dim)


def test_foreign_and_broken_statistics_files_are_named(tmp_path) -> None:
    np.savez(tmp_path / "pytorch_fid.npz", mu=np.zeros(4), sigma=np.eye(4))
    with pytest.raises(
        DiffmmError, match=r"pytorch_fid\.npz is not a feature-statistics file: no mean, cov"
    ):
        FeatureStatistics.load(tmp_path / "pytorch_fid.npz")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(DiffmmError, match=r"cannot read feature statistics .*broken\.npz"):
        FeatureStatistics.load(tmp_path / "broken.npz")
    np.savez(tmp_path / "bad.npz", mean=np.zeros(4), cov=np.eye(3), count=5, extractor="x", dim=4)
    with pytest.raises(DiffmmError, match="do not match dim 4"):
        FeatureStatistics.load(tmp_path / "bad.npz")
    with pytest.raises(DiffmmError, match="not found"):
        FeatureStatistics.load(tmp_path / "absent.npz")


class _MeanColour:
    """A named extractor: the per-channel mean and its square (dim 2C)."""

    name = "mean-colour"

    def __init__(self, channels: int) -> None:
        self.dim = 2 * channels

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        mean = images.float().mean(dim=(2, 3))
        return torch.cat([mean, mean**2], dim=1)


def test_extraction_is_batch_size_independent_and_checks_its_input() -> None:
    extractor = _MeanColour(3)
    assert isinstance(extractor, FeatureExtractor)
    images = np.random.default_rng(4).integers(0, 256, (37, 5, 6, 3), dtype=np.uint8)
    features = extract_features(extractor, images, batch_size=8)
    assert features.shape == (37, 6) and features.dtype == np.float64
    np.testing.assert_allclose(features[:, :3], images.mean(axis=(1, 2)), rtol=1e-6)
    assert np.array_equal(features, extract_features(extractor, images, batch_size=100))
    with pytest.raises(DiffmmError, match="uint8 \\(N, H, W, C\\)"):
        extract_features(extractor, images.astype(np.float32) / 255)
    with pytest.raises(DiffmmError, match="uint8 \\(N, H, W, C\\)"):
        extract_features(extractor, images.transpose(0, 3, 1, 2).copy())
    extractor.dim = 5
    with pytest.raises(
        DiffmmError, match="'mean-colour' returned \\(8, 6\\) for 8 images, expected \\(8, 5\\)"
    ):
        extract_features(extractor, images, batch_size=8)


def test_torchmetrics_frechet_distance_agrees_with_ours() -> None:
    fid_module = pytest.importorskip("torchmetrics.image.fid")

    class Identity(torch.nn.Module):
        num_features = 32

        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return features

    rng = np.random.default_rng(5)
    real = rng.standard_normal((500, 32)) @ rng.standard_normal((32, 32))
    fake = 0.8 * rng.standard_normal((400, 32)) @ rng.standard_normal((32, 32)) + 0.3
    metric = fid_module.FrechetInceptionDistance(feature=Identity())
    metric.update(torch.from_numpy(real), real=True)
    metric.update(torch.from_numpy(fake), real=False)
    ours = fid(
        FeatureStatistics.from_features(real, "id"), FeatureStatistics.from_features(fake, "id")
    )
    assert float(metric.compute()) == pytest.approx(ours, rel=1e-8)
