"""``diffmm evaluate images``: FID/IS/precision-recall through a project classifier bundle,
statistics caches tied to their extractor, and the FID Inception loader on a file in the
weights' format (random values, written by the test)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from diffmm.cli.main import main
from diffmm.errors import DiffmmError
from diffmm.metrics import FeatureStatistics
from diffmm.metrics.fid_inception import FIDInceptionExtractor, FIDInceptionV3
from diffmm.metrics.image_evaluation import evaluate_images, load_reference
from diffmm.models.image_classifier import ClassifierConfig, FeatureClassifier, ImageClassifier
from diffmm.vision import LabelledImages, save_image_arrays
from diffmm.vision.sample_files import write_image_samples


@pytest.fixture(scope="module")
def classifier_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = ImageClassifier(ClassifierConfig(width=8, feature_dim=16, num_classes=4))
    names = ("a", "b", "c", "d")
    return FeatureClassifier(model, names, "unsaved").export(tmp_path_factory.mktemp("c") / "b")


def images(count: int, seed: int, side: int = 28) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, side, side, 1), dtype=np.uint8)


def test_a_set_against_itself_scores_perfectly(classifier_bundle, tmp_path) -> None:
    extractor = FeatureClassifier.from_bundle(classifier_bundle)
    data = images(60, 0)
    path = save_image_arrays(tmp_path / "ref.npz", LabelledImages(data, np.zeros(60, int), ("x",)))
    reference = load_reference(path, extractor)
    scores = evaluate_images(data, reference, extractor)
    assert abs(scores["fid"]) < 1e-6 and scores["precision"] == scores["recall"] == 1.0
    assert scores["extractor"] == extractor.name and extractor.name.startswith("diffmm-classifier-")
    assert 1.0 <= scores["inception_score"] <= 4.0  # between one class and K = 4 classes
    other = evaluate_images(images(60, 1) // 4, reference, extractor)  # darker images
    assert other["fid"] > 1e-3 and other["num_reference"] == 60


def test_evaluate_cli_writes_scores_and_refuses_foreign_statistics(classifier_bundle, tmp_path):
    samples = tmp_path / "samples.npz"
    write_image_samples(samples, images(40, 2, side=32))  # padded 32×32, like the image models
    reference = save_image_arrays(
        tmp_path / "test.npz", LabelledImages(images(50, 3), np.zeros(50, int), ("x",))
    )
    common = [
        "evaluate",
        "images",
        "--samples",
        str(samples),
        "--extractor",
        str(classifier_bundle),
    ]
    stats = tmp_path / "ref_stats.npz"
    assert main([*common, "--ref", str(reference), "--save-ref-stats", str(stats)]) == 0
    assert main([*common, "--ref", str(stats), "--out-dir", str(tmp_path / "out")]) == 0
    scores = json.loads((tmp_path / "out/scores.json").read_text())
    assert scores["precision"] is None and scores["num_reference"] == 50  # a cache has no features
    cached = FeatureStatistics.load(stats)
    FeatureStatistics(cached.mean, cached.cov, cached.count, "someone-else").save(stats)
    extractor = FeatureClassifier.from_bundle(classifier_bundle)
    with pytest.raises(DiffmmError, match="someone-else") as error:
        load_reference(stats, extractor)
    assert "\n" not in str(error.value)
    assert main([*common, "--ref", str(stats)]) == 2  # the CLI: a one-line error, exit 2


def test_the_classifier_sees_28_pixel_images_as_their_32_pixel_padding(classifier_bundle):
    extractor = FeatureClassifier.from_bundle(classifier_bundle)
    small = torch.from_numpy(images(3, 4)).permute(0, 3, 1, 2)
    padded = torch.nn.functional.pad(small, (2, 2, 2, 2))  # black border, as pad_images adds
    torch.testing.assert_close(extractor(small), extractor(padded))
    with pytest.raises(DiffmmError, match="1-channel images of at most 32"):
        extractor(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))


def test_the_inception_loader_reads_the_weights_format(tmp_path) -> None:
    network = FIDInceptionV3()
    state = network.state_dict()
    # The layout of pt_inception-2015-12-05-6726825d.pth (torchvision's names, 1008 classes).
    assert sum(p.numel() for p in network.parameters()) == 23_850_960
    assert tuple(state["Mixed_6b.branch7x7_2.conv.weight"].shape) == (128, 128, 1, 7)
    assert tuple(state["Mixed_7c.branch_pool.conv.weight"].shape) == (192, 2048, 1, 1)
    assert tuple(state["fc.weight"].shape) == (1008, 2048)
    generator = torch.Generator().manual_seed(0)
    weights = {
        k: torch.randn(v.shape, generator=generator) * 0.05 if v.is_floating_point() else v
        for k, v in state.items()
        if not k.endswith("num_batches_tracked")
    }
    weights = {k: v.abs() + 0.5 if k.endswith("running_var") else v for k, v in weights.items()}
    path = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(weights, path)
    extractor = FIDInceptionExtractor.from_weights(path)
    torch.testing.assert_close(extractor.network.fc.weight, weights["fc.weight"])
    grey = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)
    features, probabilities = extractor.features_and_probabilities(grey)
    assert features.shape == (2, 2048) and probabilities.shape == (2, 1008)
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(2))
    rgb = extractor(grey.expand(-1, 3, -1, -1))  # grey is repeated to RGB
    torch.testing.assert_close(rgb, features)
    del weights["Mixed_5b.branch1x1.conv.weight"]
    torch.save(weights, path)
    with pytest.raises(DiffmmError, match="1 keys missing"):
        FIDInceptionExtractor.from_weights(path)
