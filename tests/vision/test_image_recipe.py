"""recipes/image.py on a tiny IDX data set: every config's loss (simple, CFG label dropout,
iDDPM hybrid, iDDPM L_vlb with loss-aware t, EDM, NCSN's DSM with annealed Langevin) trains
a few steps, writes a sample grid and exports a bundle that samples."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from test_idx import write_split

from diffmm.config import ConfigError
from diffmm.models.generation import DiffusionGenerator

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "model.model_channels=8", "model.channel_mult=[1,2]", "model.num_res_blocks=1",
    "model.attention_resolutions=[2]", "model.in_channels=1", "model.num_heads=1",
    "trainer.max_steps=2", "trainer.batch_size=4", "trainer.log_every=1",
    "trainer.save_every=2", "trainer.sample_every=2", "trainer.warmup_steps=0",
    "eval.num_samples=4", "eval.num_steps=2", "data.pad_to=12",
]  # fmt: skip


def load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def images_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fashion")
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        pixels = rng.integers(0, 256, (16, 10, 10), dtype=np.uint8)
        write_split(root / "idx", prefix, pixels, np.arange(16, dtype=np.uint8) % 10, gz=True)
    prep = load_module("data_prep_images", REPO / "data_prep/images.py")
    assert prep.main(["--source", str(root / "idx"), "--out-dir", str(root / "data")]) == 0
    return root / "data/train.npz"


@pytest.mark.parametrize(
    "config, extra, logged",
    [
        ("ddpm_cifar10", [], "mse"),
        ("cfg_cifar10", ["eval.guidance_scale=2.0"], "mse"),
        ("iddpm_cifar10", ["diffusion.num_steps=100"], "vlb"),
        ("iddpm_nll_cifar10", ["diffusion.num_steps=100"], "vlb"),
        ("adm_cifar10", ["model.num_head_channels=8", "diffusion.num_steps=100"], "vlb"),
        ("edm_cifar10", ["eval.num_steps=3"], "mse"),
        (
            "ncsn_cifar10",
            [
                "diffusion.num_scales=6",
                "eval.num_steps=null",
                "eval.sampler_options.steps_per_level=1",
            ],
            "dsm",
        ),
    ],
)
def test_each_config_trains_samples_and_exports(tmp_path, images_npz, config, extra, logged):
    recipe = load_module("recipe_image", REPO / "recipes/image.py")
    exp = tmp_path / "exp"
    argv = ["--config", str(REPO / f"recipes/configs/image/{config}.yaml"), f"exp_dir={exp}"]
    assert recipe.main([*argv, f"data.train={images_npz}", *TINY, *extra]) == 0
    logs = [json.loads(line) for line in (exp / "logs/train.jsonl").read_text().splitlines()]
    assert len(logs) == 2 and logged in logs[-1] and np.isfinite(logs[-1]["loss"])
    assert (exp / "samples/step_00000002/samples.png").stat().st_size > 100
    generator = DiffusionGenerator.from_bundle(exp / "bundle")
    assert generator.data_shape == (1, 12, 12)
    assert generator.sample(2, sampler="ddim", steps=2).shape == (2, 1, 12, 12)


def test_inconsistent_configs_are_refused(images_npz, tmp_path) -> None:
    recipe = load_module("recipe_image", REPO / "recipes/image.py")
    config = str(REPO / "recipes/configs/image/ddpm_cifar10.yaml")
    with pytest.raises(ConfigError, match="null_class"):
        recipe.main(["--config", config, "loss.label_dropout=0.1", f"exp_dir={tmp_path}"])
    with pytest.raises(ConfigError, match=r"1-channel images, model\.in_channels is 3"):
        recipe.main(["--config", config, f"data.train={images_npz}", f"exp_dir={tmp_path}"])
