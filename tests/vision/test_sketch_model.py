"""The sketch family end to end on script-drawn shapes: data prep, recipes/sketch.py, the
bundle, ``diffmm sample`` (sequences, bitmaps, grid) and a trained model's lower loss."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from test_image_recipe import load_module
from test_sketch_formats import object_array, stroke3_drawings

from diffmm.cli.main import main as diffmm
from diffmm.config import ConfigError
from diffmm.diffusion.config import build_denoiser, build_schedule
from diffmm.diffusion.losses import simple_loss
from diffmm.models.generation import DiffusionGenerator
from diffmm.models.image import ImageModelConfig, ImageUNet
from diffmm.sketch import load_sketch_arrays, sequence_to_strokes
from diffmm.vision.sample_files import read_image_samples

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "model.model_channels=16", "model.channel_mult=[1,2]", "model.attention_resolutions=[2]",
    "model.num_heads=1", "trainer.max_steps=30", "trainer.batch_size=16", "trainer.log_every=10",
    "trainer.save_every=30", "trainer.sample_every=30", "trainer.warmup_steps=0",
    "trainer.learning_rate=3e-3", "trainer.lr_schedule=constant", "trainer.ema_rates=[0.9]",
    "eval.num_samples=4", "eval.num_steps=3",
]  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained 30 steps on 8 shapes per class (32 points): its experiment dir."""
    root = tmp_path_factory.mktemp("sketch")
    prep = load_module("data_prep_sketches", REPO / "data_prep/sketches.py")
    data = ["--shapes", "8", "--num-test", "2", "--length", "32", "--out-dir", str(root)]
    assert prep.main(data) == 0
    recipe = load_module("recipe_sketch", REPO / "recipes/sketch.py")
    config = str(REPO / "recipes/configs/sketch/shapes_mini.yaml")
    overrides = [f"exp_dir={root}/exp", f"data.train={root}/sketches_train.npz", *TINY]
    torch.set_num_threads(1)
    assert recipe.main(["--config", config, *overrides]) == 0
    return root


def fixed_loss(net: torch.nn.Module, generator: DiffusionGenerator, root: Path) -> float:
    """L_simple on the training drawings with the same noise and times for every network."""
    sketches = load_sketch_arrays(root / "sketches_train.npz")
    x = torch.from_numpy(sketches.sequences).permute(0, 2, 1)
    y = torch.from_numpy(sketches.labels)
    losses = []
    for seed in range(8):
        out = simple_loss(
            build_denoiser(net, generator.diffusion),
            x,
            build_schedule(generator.diffusion),
            cond={"y": y},
            generator=torch.Generator().manual_seed(seed),
        )
        losses.append(float(out.loss.mean()))
    return float(np.mean(losses))


def test_training_lowers_the_loss_against_the_untrained_model(trained: Path) -> None:
    generator = DiffusionGenerator.from_bundle(trained / "exp/bundle")
    assert generator.family == "sketch" and generator.data_shape == (3, 32)
    untrained = ImageUNet(ImageModelConfig(**vars(generator.model.cfg))).eval()
    with torch.no_grad():
        before = fixed_loss(untrained, generator, trained)
        after = fixed_loss(generator.model, generator, trained)
    assert before > 0.3  # the zero-initialised output: the loss is the target's mean square
    assert after < 0.8 * before
    assert (trained / "exp/samples/step_00000030/samples.png").is_file()


def test_diffmm_sample_writes_sequences_bitmaps_and_a_grid(trained: Path) -> None:
    out = trained / "decode/samples.npz"
    args = [str(trained / "exp/bundle"), "-o", str(out), "-n", "5", "--steps", "4"]
    assert diffmm(["sample", *args, "--sampler", "dpmpp_2m", "--guidance-scale", "2"]) == 0
    with np.load(out, allow_pickle=False) as archive:
        sequences = archive["sequences"]
    assert sequences.shape == (5, 32, 3) and sequences.dtype == np.float32
    assert np.abs(sequences).max() <= 1.0 + 1e-6  # clip_x0: coordinates and pen in [−1, 1]
    bitmaps = read_image_samples(out)  # what `diffmm evaluate images` reads
    assert bitmaps.shape == (5, 28, 28, 1)
    assert all(bitmaps[i].max() == 255 for i in range(5) if sequence_to_strokes(sequences[i]))
    assert (trained / "decode/samples_grid.png").is_file()
    assert diffmm(["sample", *args[:2], str(trained / "decode/grid.png"), *args[3:]]) == 0
    assert (trained / "decode/grid.png").stat().st_size > 0


def test_sketch_config_must_be_one_dimensional_over_three_channels(trained: Path) -> None:
    recipe = sys.modules["recipe_sketch"]
    config = str(REPO / "recipes/configs/sketch/shapes_mini.yaml")
    with pytest.raises(ConfigError, match=r"model\.dims=1 and model\.in_channels=3"):
        recipe.main(["--config", config, "model.dims=2"])


def test_the_python_block_of_docs_sketches_runs(trained: Path, tmp_path: Path, monkeypatch) -> None:
    """docs/sketches.md's Python API block as written, on files in the real formats and the
    tiny bundle standing in for exp/quickdraw/bundle."""
    text = (REPO / "docs/sketches.md").read_text()
    (block,) = re.findall(r"## Python API\n\n```python\n(.*?)```", text, re.S)
    drawings = [object_array(stroke3_drawings(3, seed)) for seed in range(3)]
    np.savez(tmp_path / "cat.npz", train=drawings[0], valid=drawings[1], test=drawings[2])
    lines = [json.dumps({"word": "cat", "drawing": [[[i, i + 5], [0, 9]]]}) for i in range(101)]
    (tmp_path / "full_simplified_cat.ndjson").write_text("\n".join(lines) + "\n")
    (tmp_path / "exp/quickdraw").mkdir(parents=True)
    (tmp_path / "exp/quickdraw/bundle").symlink_to(trained / "exp/bundle")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "docs/sketches.md", "exec"), namespace)
    assert len(namespace["drawings"]) == 100  # the test split: the first 100 of 101 lines
    for got, want in zip(namespace["back"], namespace["strokes"], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4)
    assert namespace["bitmaps"].shape == (16, 28, 28, 1)
