"""Inception Score against its known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from diffmm.errors import DiffmmError
from diffmm.metrics import inception_score


def test_identical_predictions_score_one() -> None:
    p = np.tile([0.2, 0.5, 0.3], (100, 1))
    assert inception_score(p, splits=4) == pytest.approx((1.0, 0.0), abs=1e-12)


@pytest.mark.parametrize("classes", [2, 10])
def test_confident_balanced_classes_score_k(classes) -> None:
    # Labels cycle 0, 1, …, K−1 so each of the 5 consecutive splits is balanced too.
    p = np.eye(classes)[np.arange(20 * classes) % classes]
    mean, std = inception_score(p, splits=5)
    assert mean == pytest.approx(classes, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_a_mixed_set_matches_its_hand_computed_score() -> None:
    # Half confident (1, 0), half undecided (½, ½): p(y) = (¾, ¼).
    p = np.array([[1.0, 0.0], [0.5, 0.5]] * 50)
    kl_confident = math.log(1 / 0.75)
    kl_undecided = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    expected = math.exp((kl_confident + kl_undecided) / 2)
    assert inception_score(p, splits=1)[0] == pytest.approx(expected, rel=1e-12)


def test_logits_and_short_inputs_are_refused() -> None:
    with pytest.raises(DiffmmError, match="not logits"):
        inception_score(np.array([[2.0, -1.0]] * 20))
    with pytest.raises(DiffmmError, match="N ≥ splits=10"):
        inception_score(np.eye(3))


# One split, since torchmetrics shuffles before splitting (so its std over one part is nan).
@pytest.mark.filterwarnings("ignore:Metric `InceptionScore` will save")
@pytest.mark.filterwarnings("ignore:std\\(\\). degrees of freedom")
def test_torchmetrics_inception_score_agrees_with_ours() -> None:
    inception = pytest.importorskip("torchmetrics.image.inception")
    logits = torch.from_numpy(np.random.default_rng(0).standard_normal((300, 7)) * 3)
    metric = inception.InceptionScore(feature=torch.nn.Identity(), splits=1)
    metric.update(logits)
    ours, _ = inception_score(logits.softmax(dim=1).numpy(), splits=1)
    assert float(metric.compute()[0]) == pytest.approx(ours, rel=1e-9)
