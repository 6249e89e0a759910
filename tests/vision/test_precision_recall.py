"""Improved precision/recall on point sets whose k-NN balls can be drawn by hand."""

from __future__ import annotations

import numpy as np
import pytest

from diffmm.errors import DiffmmError
from diffmm.metrics import precision_recall


def _on_a_line(positions, rotation: np.ndarray) -> np.ndarray:
    """Points t·u on a line in R⁵ (u the first column of a rotation): distances are |Δt|."""
    return np.asarray(positions, dtype=np.float64)[:, None] * rotation[:, 0][None, :]


@pytest.fixture(scope="module")
def rotation() -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((5, 5)))
    return q


REAL = np.arange(10.0)  # 0, 1, …, 9
FAKE = np.array([0.5, 1.5, 2.5, 3.5, 4.5, 100, 101, 102, 103, 104])


def test_k3_known_answer(rotation) -> None:
    # Real radii (3rd neighbour): 3 at the ends 0 and 9, 2 inside; the fakes 0.5…4.5 fall in
    # balls, the far cluster in none: precision 5/10. Fake radii: 3 for 0.5 and 4.5, 2 for
    # 1.5…3.5, giving balls covering [−2.5, 7.5]: real 0…7 are inside, recall 8/10.
    result = precision_recall(_on_a_line(REAL, rotation), _on_a_line(FAKE, rotation), k=3)
    assert (result.precision, result.recall, result.k) == (0.5, 0.8, 3)


def test_k1_known_answer(rotation) -> None:
    # k = 1: every real radius is 1 (precision still 5/10); fake radii 1 cover [−0.5, 5.5]:
    # real 0…5, recall 6/10.
    result = precision_recall(_on_a_line(REAL, rotation), _on_a_line(FAKE, rotation), k=1)
    assert (result.precision, result.recall) == (0.5, 0.6)


def test_identical_sets_are_perfect_and_disjoint_ones_score_zero() -> None:
    points = np.random.default_rng(1).standard_normal((200, 16))
    same = precision_recall(points, points)
    assert (same.precision, same.recall) == (1.0, 1.0)
    apart = precision_recall(points, points + 100.0)
    assert (apart.precision, apart.recall) == (0.0, 0.0)


def test_batching_does_not_change_the_answer() -> None:
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((150, 8)), 1.3 * rng.standard_normal((120, 8)) + 0.4
    whole = precision_recall(real, fake, batch_size=1000)
    assert 0 < whole.precision < 1 and 0 < whole.recall < 1
    assert precision_recall(real, fake, batch_size=7) == whole


def test_shapes_are_checked() -> None:
    with pytest.raises(DiffmmError, match="differ in dimension: 4 vs 3"):
        precision_recall(np.zeros((10, 4)), np.zeros((10, 3)))
    with pytest.raises(DiffmmError, match="N > k=3"):
        precision_recall(np.zeros((3, 4)), np.zeros((10, 4)))
