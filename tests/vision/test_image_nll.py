"""NLL in bits/dim of test images under an image bundle: the VLB for a discrete schedule, the
probability-flow ODE for EDM, and through the scorer's CLI. (The values themselves are the
engine's, whose closed forms tests/engine/test_likelihood.py checks.)"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from image_bundles import tiny_image_generator

from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.metrics.image_nll import nll_bits_per_dim
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image import ImageModelConfig, ImageUNet
from diffmm.vision import LabelledImages, save_image_arrays

IMAGES = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 1), dtype=np.uint8)


def test_the_vlb_is_reproducible_and_averages_over_images() -> None:
    generator = tiny_image_generator(num_classes=None)
    first = nll_bits_per_dim(generator, IMAGES, batch_size=3, seed=1)
    assert first == nll_bits_per_dim(generator, IMAGES, batch_size=3, seed=1)
    assert first["nll_method"] == "vlb" and first["nll_images"] == 4
    assert math.isfinite(first["nll_bits_per_dim"]) and first["nll_bits_per_dim"] > 0
    assert first["nll_stderr"] > 0
    assert nll_bits_per_dim(generator, IMAGES, seed=2) != first  # x_t draws follow the seed
    with pytest.raises(DiffmmError, match="labels"):
        nll_bits_per_dim(tiny_image_generator(), IMAGES)


def test_an_edm_bundle_is_scored_with_the_ode() -> None:
    torch.manual_seed(0)
    cfg = ImageModelConfig(
        in_channels=1, model_channels=8, channel_mult=[1, 2], num_res_blocks=1,
        attention_resolutions=[], preconditioning="edm",
    )  # fmt: skip
    diffusion = DiffusionConfig(
        schedule="edm", parameterization="x0", sigma_min=0.002, sigma_max=80
    )
    generator = DiffusionGenerator("image", ImageUNet(cfg).eval(), diffusion, (1, 8, 8))
    result = nll_bits_per_dim(generator, IMAGES[:2])
    assert result["nll_method"] == "ode_hutchinson" and math.isfinite(result["nll_bits_per_dim"])


def test_the_scorer_adds_the_nll_of_the_reference(tmp_path, monkeypatch) -> None:
    bundle = tiny_image_generator(num_classes=None).export(tmp_path / "bundle")
    reference = save_image_arrays(
        tmp_path / "ref.npz", LabelledImages(IMAGES, np.zeros(4, int), ("x",))
    )
    samples = tmp_path / "samples.npz"
    np.savez(samples, arr_0=IMAGES)
    extractor = tmp_path / "classifier"
    from diffmm.models.image_classifier import ClassifierConfig, FeatureClassifier, ImageClassifier

    net = ImageClassifier(ClassifierConfig(width=8, feature_dim=8, num_classes=2))
    FeatureClassifier(net, ("a", "b"), "unsaved").export(extractor)
    args = ["evaluate", "images", "--samples", str(samples), "--ref", str(reference)]
    args += ["--extractor", str(extractor), "--nll-bundle", str(bundle), "--nll-images", "2"]
    assert main([*args, "--out-dir", str(tmp_path / "out")]) == 0
    scores = json.loads((tmp_path / "out/scores.json").read_text())
    assert scores["nll_images"] == 2 and scores["nll_method"] == "vlb"
