"""The memorisation check: exact nearest neighbours, copied samples caught by the distance
ratio, and the panel/histogram written by ``diffmm evaluate images --nn-train``."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from diffmm.cli.main import main
from diffmm.metrics.nearest_neighbours import memorisation_report, nearest_neighbours
from diffmm.models.image_classifier import ClassifierConfig, FeatureClassifier, ImageClassifier
from diffmm.vision import LabelledImages, save_image_arrays


def test_neighbours_are_the_brute_force_ones() -> None:
    rng = np.random.default_rng(0)
    queries, keys = rng.normal(size=(30, 5)), rng.normal(size=(50, 5))
    distances, indices = nearest_neighbours(queries, keys, k=3, batch_size=7)
    brute = np.linalg.norm(queries[:, None] - keys[None], axis=-1)
    np.testing.assert_array_equal(indices, np.argsort(brute, axis=1)[:, :3])
    np.testing.assert_allclose(distances, np.sort(brute, axis=1)[:, :3])


def test_copied_training_points_are_flagged_and_fresh_ones_are_not() -> None:
    rng = np.random.default_rng(1)
    train, held_out = rng.normal(size=(400, 8)), rng.normal(size=(100, 8))
    copies = train[:100] + 1e-3 * rng.normal(size=(100, 8))
    copied, _, _ = memorisation_report(copies, held_out, train)
    fresh, _, _ = memorisation_report(rng.normal(size=(100, 8)), held_out, train)
    assert copied["nn_ratio"] < 0.01 and 0.8 < fresh["nn_ratio"] < 1.25


def test_the_scorer_writes_the_panel_and_histogram(tmp_path) -> None:
    rng = np.random.default_rng(2)
    train = rng.integers(0, 256, (40, 28, 28, 1), dtype=np.uint8)
    test = rng.integers(0, 256, (20, 28, 28, 1), dtype=np.uint8)
    for name, data in (("train", train), ("test", test)):
        save_image_arrays(
            tmp_path / f"{name}.npz", LabelledImages(data, np.zeros(len(data), int), ("x",))
        )
    np.savez(tmp_path / "samples.npz", arr_0=train[:12])  # samples that copy the training set
    net = ImageClassifier(ClassifierConfig(width=8, feature_dim=16, num_classes=2))
    FeatureClassifier(net, ("a", "b"), "unsaved").export(tmp_path / "classifier")
    args = ["evaluate", "images", "--samples", str(tmp_path / "samples.npz"), "--ref"]
    args += [str(tmp_path / "test.npz"), "--extractor", str(tmp_path / "classifier"), "--nn-train"]
    args += [
        str(tmp_path / "train.npz"),
        "--nn-rows",
        "3",
        "--nn-k",
        "4",
        "--out-dir",
        str(tmp_path / "o"),
    ]
    assert main(args) == 0
    scores = json.loads((tmp_path / "o/scores.json").read_text())
    assert scores["nn_median_sample_to_train"] == 0.0 and scores["nn_ratio"] == 0.0
    with Image.open(tmp_path / "o/nn_panel.png") as panel:  # 3 rows of 1 + 4 tiles of 28 + 2
        assert panel.size == (5 * 30 + 2, 3 * 30 + 2)
    assert (tmp_path / "o/nn_histogram.png").stat().st_size > 1000
