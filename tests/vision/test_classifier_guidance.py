"""Classifier guidance with a noise-aware classifier: the recipe trains and exports one, s = 0
is the unguided model bit for bit, a larger s raises the classifier's belief in the asked
class, and a classifier that does not fit the model is refused."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch
from image_bundles import DIFFUSION, tiny_image_generator

from diffmm.cli.main import main
from diffmm.config import config_to_dict
from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.models.noisy_classifier import ClassifierGuide, NoisyClassifier, NoisyClassifierConfig
from diffmm.vision import LabelledImages, save_image_arrays

REPO = Path(__file__).resolve().parents[2]
TINY = NoisyClassifierConfig(
    in_channels=1, num_classes=3, image_size=8, model_channels=8, channel_mult=[1, 2],
    num_res_blocks=1, attention_resolutions=[2], num_head_channels=8,
)  # fmt: skip


def tiny_guide(num_classes: int = 3, diffusion: DiffusionConfig = DIFFUSION) -> ClassifierGuide:
    torch.manual_seed(1)
    cfg = NoisyClassifierConfig(**{**config_to_dict(TINY), "num_classes": num_classes})
    return ClassifierGuide(NoisyClassifier(cfg).eval(), diffusion)


def test_scale_zero_is_unguided_and_a_larger_scale_raises_the_class_belief() -> None:
    model, guide = tiny_image_generator(num_classes=None), tiny_guide()
    with torch.no_grad():  # a random classifier is nearly flat: sharpen its logits
        guide.model.head.weight.mul_(30)
    options = {"sampler": "ddim", "steps": 5, "seed": 3, "class_label": 2}
    plain = model.sample(16, sampler="ddim", steps=5, seed=3)
    zero = model.sample(16, classifier=guide, classifier_scale=0.0, **options)
    torch.testing.assert_close(zero, plain, rtol=0, atol=1e-5)  # x̂₀ re-derived from ε̂: rounding

    def belief(samples: torch.Tensor) -> float:  # log p_φ(y = 2 | x_0) at the last time
        with torch.no_grad():
            return float(
                guide.log_prob(samples, torch.zeros(len(samples)), torch.full((16,), 2)).mean()
            )

    beliefs = [
        belief(model.sample(16, classifier=guide, classifier_scale=scale, **options))
        for scale in (1.0, 5.0, 20.0)
    ]
    assert belief(plain) < beliefs[0] < beliefs[1] < beliefs[2]
    assert beliefs[2] > belief(plain) + 0.3


def test_a_classifier_that_does_not_fit_the_model_is_refused() -> None:
    conditional = tiny_image_generator(num_classes=3)
    with pytest.raises(DiffmmError, match="4 classes, the model 3"):
        conditional.sample(2, classifier=tiny_guide(num_classes=4))
    other_schedule = DiffusionConfig(schedule="cosine", num_steps=20)
    with pytest.raises(DiffmmError, match="times do not match"):
        conditional.sample(2, classifier=tiny_guide(diffusion=other_schedule))
    with pytest.raises(DiffmmError, match=r"lie in \[0, 3\)"):
        tiny_image_generator(num_classes=None).sample(2, classifier=tiny_guide(), class_label=5)


def test_the_recipe_trains_a_guide_that_the_cli_uses(tmp_path: Path) -> None:
    images = torch.randint(0, 256, (12, 8, 8, 1), dtype=torch.uint8).numpy()
    data = save_image_arrays(
        tmp_path / "train.npz",
        LabelledImages(images, torch.arange(12).numpy() % 3, ("a", "b", "c")),
    )
    spec = importlib.util.spec_from_file_location(
        "recipe_noisy", REPO / "recipes/noisy_classifier.py"
    )
    recipe = importlib.util.module_from_spec(spec)
    sys.modules["recipe_noisy"] = recipe
    spec.loader.exec_module(recipe)
    overrides = [f"model.{k}={json.dumps(v)}" for k, v in config_to_dict(TINY).items()]
    overrides += [f"diffusion.{k}={json.dumps(v)}" for k, v in config_to_dict(DIFFUSION).items()]
    overrides += ["trainer.max_steps=2", "trainer.batch_size=4", "trainer.log_every=1"]
    config = REPO / "recipes/configs/image/adm_classifier_cifar10.yaml"
    argv = ["--config", str(config), f"exp_dir={tmp_path / 'exp'}", f"data.train={data}"]
    assert recipe.main([*argv, *overrides]) == 0
    guide = ClassifierGuide.from_bundle(tmp_path / "exp/bundle")
    assert guide.num_classes == 3 and guide.diffusion == DIFFUSION
    model = tiny_image_generator(num_classes=None).export(tmp_path / "model")
    args = ["sample", str(model), "-o", str(tmp_path / "s.npz"), "-n", "2", "--steps", "3"]
    args += [
        "--classifier",
        str(tmp_path / "exp/bundle"),
        "--classifier-scale",
        "5",
        "--class-label",
        "1",
    ]
    assert main(args) == 0
