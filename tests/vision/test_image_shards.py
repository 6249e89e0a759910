"""webdataset tar shards: written, read back pixel-exact, split into the asked sizes."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest
import torch

from diffmm.vision import ImageShards, LabelledImages, signed_to_uint8, write_image_shards

pytest.importorskip("webdataset")


@pytest.mark.parametrize("channels", [1, 3])
def test_shards_round_trip_in_order(tmp_path, channels) -> None:
    rng = np.random.default_rng(channels)
    data = LabelledImages(
        rng.integers(0, 256, (10, 5, 7, channels), dtype=np.uint8), np.arange(10) % 4, tuple("abcd")
    )
    paths = write_image_shards(data, tmp_path / "train-%04d.tar", images_per_shard=4)
    assert [p.name for p in paths] == ["train-0000.tar", "train-0001.tar", "train-0002.tar"]
    with tarfile.open(paths[0]) as archive:
        assert archive.getnames()[:2] == ["000000000.cls", "000000000.png"]
    items = list(ImageShards([str(p) for p in paths]))
    assert [int(item["label"]) for item in items] == data.labels.tolist()
    back = torch.stack([signed_to_uint8(item["image"]) for item in items]).permute(0, 2, 3, 1)
    assert np.array_equal(back.numpy(), data.images)


def test_shuffling_is_a_permutation_fixed_by_the_seed(tmp_path) -> None:
    data = LabelledImages(np.zeros((12, 2, 2, 1), np.uint8), np.arange(12), tuple("abcdefghijkl"))
    write_image_shards(data, tmp_path / "s-%02d.tar", images_per_shard=3)

    def order(seed: int) -> list[int]:
        dataset = ImageShards(str(tmp_path / "s-{00..03}.tar"), shuffle_buffer=6, seed=seed)
        return [int(item["label"]) for item in dataset]

    assert sorted(order(0)) == list(range(12))
    assert order(0) == order(0) and order(0) != list(range(12))
