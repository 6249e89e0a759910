"""Point-cloud metrics against hand-computed values and constructed cases."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from diffmm.cli.main import main as diffmm_main
from diffmm.errors import DiffmmError
from diffmm.metrics.pointcloud_distances import (
    chamfer_distance,
    distance_matrix,
    earth_movers_distance,
    emd_exact,
    emd_sinkhorn,
)
from diffmm.metrics.pointcloud_sets import (
    jensen_shannon_divergence,
    mmd_and_coverage,
    one_nn_accuracy,
)


def t(points) -> torch.Tensor:
    return torch.tensor(points, dtype=torch.float64)[None]


def test_chamfer_and_emd_by_hand():
    a, b = t([[0, 0, 0], [1, 0, 0]]), t([[0, 0, 0], [0, 2, 0]])
    # a→b: 0 and min(1, 5) = 1, mean 0.5; b→a: 0 and min(4, 5) = 4, mean 2
    assert float(chamfer_distance(a, b)) == pytest.approx(2.5)
    square = t([[0, 0, 0], [1, 0, 0]]), t([[0, 1, 0], [1, 1, 0]])
    assert float(emd_exact(*square)) == pytest.approx(1.0)
    shuffled = torch.randn(1, 20, 3, dtype=torch.float64)
    assert float(emd_exact(shuffled, shuffled[:, torch.randperm(20)])) == pytest.approx(
        0, abs=1e-12
    )


def test_exact_emd_is_the_best_assignment():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    cost = np.linalg.norm(a[:, None] - b[None], axis=2)
    brute = min(cost[np.arange(6), list(p)].mean() for p in itertools.permutations(range(6)))
    assert float(emd_exact(t(a), t(b))) == pytest.approx(brute, rel=1e-12)


def test_sinkhorn_is_close_to_the_exact_emd():
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(1, 60, 3, generator=generator, dtype=torch.float64)
    b = torch.randn(1, 60, 3, generator=generator, dtype=torch.float64) + 0.5
    exact, entropic = emd_exact(a, b), emd_sinkhorn(a, b)
    assert torch.allclose(entropic, exact, rtol=0.01)
    assert not torch.allclose(entropic, emd_sinkhorn(a, b, epsilon=0.5), rtol=0.01)


def test_unequal_sizes_are_refused_for_emd():
    with pytest.raises(DiffmmError, match="equal size"):
        earth_movers_distance(torch.zeros(1, 5, 3), torch.zeros(1, 6, 3))


def test_mmd_and_coverage_of_constructed_matrices():
    d = torch.tensor([[1.0, 5.0], [2.0, 0.5], [3.0, 4.0]])  # 3 samples × 2 references
    assert mmd_and_coverage(d) == (pytest.approx(0.75), 1.0)
    only_first = torch.tensor([[0.1, 9.0, 9.0], [0.2, 8.0, 7.0]])
    assert mmd_and_coverage(only_first) == (pytest.approx((0.1 + 8 + 7) / 3), pytest.approx(1 / 3))


def blobs(rng: np.random.Generator, count: int, kind: str) -> torch.Tensor:
    """Clouds of 64 points: anisotropic Gaussians with random axis scales, or cubes."""
    if kind == "gauss":
        clouds = rng.normal(size=(count, 64, 3)) * rng.uniform(0.5, 1.5, size=(count, 1, 3))
    else:
        clouds = rng.uniform(-3, 3, size=(count, 64, 3)) + 10
    return torch.from_numpy(clouds)


def one_nna(s: torch.Tensor, r: torch.Tensor) -> float:
    m = {
        name: distance_matrix(x, y, chamfer_distance)
        for name, x, y in (("ss", s, s), ("rr", r, r), ("sr", s, r))
    }
    return one_nn_accuracy(m["ss"], m["rr"], m["sr"])


def test_one_nna_half_for_one_distribution_and_one_for_disjoint_ones():
    rng = np.random.default_rng(0)
    same = [one_nna(blobs(rng, 30, "gauss"), blobs(rng, 30, "gauss")) for _ in range(3)]
    assert 0.35 < np.mean(same) < 0.65
    assert one_nna(blobs(rng, 20, "gauss"), blobs(rng, 20, "cube")) == 1.0


def test_jsd_zero_for_equal_sets_one_for_disjoint_occupancy():
    rng = np.random.default_rng(0)
    clouds = rng.uniform(-0.4, 0.4, size=(5, 200, 3))
    assert jensen_shannon_divergence(clouds, clouds) == pytest.approx(0, abs=1e-12)
    left, right = np.full((2, 10, 3), -0.2), np.full((2, 10, 3), 0.2)
    assert jensen_shannon_divergence(left, right) == pytest.approx(1.0)
    assert 0 < jensen_shannon_divergence(clouds, clouds * 0.5) < 1


def test_evaluate_pointclouds_command(tmp_path: Path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "s.npy", rng.normal(size=(6, 128, 3)).astype(np.float32))
    np.save(tmp_path / "r.npy", rng.normal(size=(5, 128, 3)).astype(np.float32))
    out = tmp_path / "scores"
    args = ["evaluate", "pointclouds", "--samples", str(tmp_path / "s.npy"), "--reference"]
    assert diffmm_main([*args, str(tmp_path / "r.npy"), "--out-dir", str(out)]) == 0
    scores = json.loads((out / "scores.json").read_text())
    assert scores["normalization"] == "shape_bbox" and scores["emd_method"] == "exact"
    assert {"mmd_cd", "cov_emd", "1nna_cd", "1nna_emd", "jsd"} <= set(scores)
    assert 0 <= scores["1nna_emd"] <= 1 and scores["num_samples"] == 6
    np.save(tmp_path / "small.npy", rng.normal(size=(5, 64, 3)).astype(np.float32))
    assert diffmm_main([*args, str(tmp_path / "small.npy"), "--paired"]) == 2  # sizes differ
