"""Training from webdataset tar shards: ranks read disjoint shards that together are the whole
set, and recipes/image.py trains from a shard pattern."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_image_recipe import REPO, TINY, load_module

from diffmm.vision import ImageShards, LabelledImages, write_image_shards

pytest.importorskip("webdataset")


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("shards")
    rng = np.random.default_rng(0)
    data = LabelledImages(
        rng.integers(0, 256, (24, 12, 12, 1), dtype=np.uint8),
        np.arange(24) % 10,
        tuple("0123456789"),
    )
    write_image_shards(data, root / "train-%06d.tar", images_per_shard=4)
    return str(root / "train-{000000..000005}.tar")


def _keys(dataset: ImageShards) -> list[tuple[int, ...]]:
    # the pixels identify an image: random 12×12 images do not repeat
    return [tuple(item["image"].flatten().tolist()) for item in dataset]


@pytest.mark.parametrize("shuffle_buffer", [0, 5])
def test_two_ranks_read_disjoint_shards_covering_the_set(shards, monkeypatch, shuffle_buffer):
    everything = _keys(ImageShards(shards))
    seen = []
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun sets them for each process
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        dataset = ImageShards(shards, shuffle_buffer=shuffle_buffer, seed=3)
        dataset.set_epoch(1)
        seen.append(_keys(dataset))
    assert len(seen[0]) == len(seen[1]) == 12  # 3 whole shards of 4 each
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == sorted(everything)


def test_recipe_trains_from_shards(tmp_path, shards) -> None:
    recipe = load_module("recipe_image", REPO / "recipes/image.py")
    exp = tmp_path / "exp"
    config = REPO / "recipes/configs/image/ddpm_cifar10.yaml"
    argv = ["--config", str(config), f"exp_dir={exp}", *TINY, "data.pad_to=null"]
    assert recipe.main([*argv, f"data.shards={shards}", "data.shuffle_buffer=8"]) == 0
    logs = [json.loads(line) for line in (exp / "logs/train.jsonl").read_text().splitlines()]
    assert len(logs) == 2 and np.isfinite(logs[-1]["loss"])
    assert (Path(exp) / "bundle").is_dir()


def test_each_epoch_has_its_own_fixed_order(shards) -> None:
    dataset = ImageShards(shards, shuffle_buffer=5, seed=3)
    first = _keys(dataset)
    dataset.set_epoch(1)
    second = _keys(dataset)
    assert sorted(first) == sorted(second) and first != second
    assert _keys(dataset) == second  # a pass is fixed by (seed, epoch): exact resume
