"""The QuickDraw sketch egs in a tmp dir on two sketch-rnn class files written by the test:
stages 0-8 through egs/TEMPLATE/sketch/sketch.sh (the downloaded folder's path, sequences and
bitmaps, classifier extractor, training, sampling, scoring of the bitmaps with
``diffmm evaluate images``, export); stages 0-1 of the offline shapes egs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
from test_sketch_formats import object_array, stroke3_drawings

from diffmm.sketch import SHAPE_CLASSES

TINY = (
    "model.model_channels=8 model.channel_mult=[1,2] model.num_res_blocks=1 "
    "model.attention_resolutions=[2] model.num_head_channels=-1 model.num_heads=1 "
    "trainer.max_steps=3 trainer.batch_size=8 trainer.warmup_steps=0 trainer.save_every=3 "
    "trainer.sample_every=0 trainer.log_every=1"
)
TINY_CLASSIFIER = (
    "model.width=8 model.feature_dim=16 trainer.max_steps=3 trainer.batch_size=8 "
    "trainer.val_every=0 trainer.log_every=1"
)


def test_quickdraw_egs_all_stages(repo_root: Path, tmp_path: Path) -> None:
    downloads = tmp_path / "quickdraw"
    downloads.mkdir()
    for seed, name in enumerate(("cat", "bus")):
        splits = {split: stroke3_drawings(16, 3 * seed + i) for i, split in
                  enumerate(("train", "valid", "test"))}  # fmt: skip
        np.savez(downloads / f"{name}.npz", **{k: object_array(v) for k, v in splits.items()})
    recipe = tmp_path / "egs"
    recipe.mkdir()
    source = repo_root / "egs/quickdraw/sketch"
    for name in ("run.sh", "sketch.sh", "path.sh", "cmd.sh", "utils", "conf", "local"):
        (recipe / name).symlink_to(source / name)
    args = [
        "--local-data-opts", f"--quickdraw-dir {downloads} --num-test 6 --length 16",
        "--train-args", TINY, "--classifier-args", TINY_CLASSIFIER, "--num-samples", "12",
        "--steps", "2", "--batch-size", "6", "--tag", "t", "--threads", "1",
    ]  # fmt: skip
    done = subprocess.run(
        ["bash", recipe / "run.sh", *args], capture_output=True, text=True, env=os.environ.copy()
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    with np.load(recipe / "data/sketches_train.npz") as train:
        assert list(train["class_names"]) == ["bus", "cat"]
        assert train["sequences"].shape == (32, 16, 3)  # 16 per class; none over 16 points
    decoded = recipe / "exp/t/decode_ddim_2steps_cfg2.0"
    with np.load(decoded / "samples.npz") as samples:
        assert samples["sequences"].shape == (12, 16, 3)
        assert samples["arr_0"].shape == (12, 28, 28, 1)
    scores = json.loads((decoded / "scores.json").read_text())
    assert scores["fid"] >= 0 and 0 <= scores["precision"] <= 1
    assert (recipe / "exp/export/t/config.yaml").is_file()


def test_shapes_egs_data_stages(repo_root: Path, tmp_path: Path) -> None:
    """Stages 0-1 of the offline mini egs (its own local/data.sh); stages 3-8 are the shared
    sketch.sh the QuickDraw test above runs."""
    recipe = tmp_path / "egs"
    recipe.mkdir()
    source = repo_root / "egs/shapes/sketch"
    for name in ("run.sh", "sketch.sh", "path.sh", "cmd.sh", "utils", "conf", "local"):
        (recipe / name).symlink_to(source / name)
    args = ["--stop-stage", "1", "--local-data-opts", "--num-per-class 4 --num-test 2"]
    done = subprocess.run(
        ["bash", recipe / "run.sh", *args], capture_output=True, text=True, env=os.environ.copy()
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    with np.load(recipe / "data/sketches_train.npz") as train:
        assert tuple(train["class_names"]) == SHAPE_CLASSES
        assert train["sequences"].shape == (24, 32, 3)
    with np.load(recipe / "data/test.npz") as test:
        assert test["images"].shape == (12, 28, 28, 1) and test["images"].dtype == np.uint8
