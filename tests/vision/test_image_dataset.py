"""ImageDataset: layouts, the [−1, 1] map, padding and generator-driven flips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffmm.errors import DiffmmError
from diffmm.vision import ImageDataset, random_horizontal_flip, signed_to_uint8


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (64, 4, 6, 3), dtype=np.uint8)


def test_nhwc_and_nchw_give_the_same_items(images) -> None:
    labels = np.arange(64) % 10
    nhwc = ImageDataset(images, labels)
    nchw = ImageDataset(images.transpose(0, 3, 1, 2), labels, layout="NCHW")
    for index in (0, 17, 63):
        a, b = nhwc[index], nchw[index]
        assert a["image"].shape == (3, 4, 6) and a["image"].dtype == torch.float32
        assert torch.equal(a["image"], b["image"]) and int(a["label"]) == index % 10
        assert np.array_equal(signed_to_uint8(a["image"]).numpy().transpose(1, 2, 0), images[index])
    assert int(ImageDataset(images)[5]["label"]) == 0


def test_padding_option_pads_in_black(images) -> None:
    item = ImageDataset(images[:, :, :4], pad_to=8)[0]["image"]
    assert item.shape == (3, 8, 8)
    assert (item[:, :2] == -1).all() and (item[:, :, :2] == -1).all()
    assert np.array_equal(
        signed_to_uint8(item[:, 2:6, 2:6]).permute(1, 2, 0).numpy(), images[0, :, :4]
    )


def test_flips_mirror_about_half_the_items_reproducibly(images) -> None:
    def items(seed: int) -> list[torch.Tensor]:
        dataset = ImageDataset(
            images, horizontal_flip=True, generator=torch.Generator().manual_seed(seed)
        )
        return [dataset[i]["image"] for i in range(len(dataset))]

    plain = ImageDataset(images)
    first, again = items(3), items(3)
    flipped = []
    for i, (x, y) in enumerate(zip(first, again)):
        assert torch.equal(x, y)
        original = plain[i]["image"]
        assert torch.equal(x, original) or torch.equal(x, original.flip(-1))
        flipped.append(not torch.equal(x, original))
    assert 16 <= sum(flipped) <= 48  # Binomial(64, ½): outside this range has p < 1e-4


def test_batch_flip_follows_its_generator() -> None:
    batch = torch.arange(2 * 1 * 2 * 3, dtype=torch.float32).reshape(2, 1, 2, 3)
    out = random_horizontal_flip(batch, torch.Generator().manual_seed(0))
    coins = torch.rand(2, generator=torch.Generator().manual_seed(0)) < 0.5
    for i in range(2):
        assert torch.equal(out[i], batch[i].flip(-1) if coins[i] else batch[i])


def test_bad_arrays_are_refused(images) -> None:
    with pytest.raises(DiffmmError, match="uint8"):
        ImageDataset(images.astype(np.float32))
    with pytest.raises(DiffmmError, match="64 images but 3 labels"):
        ImageDataset(images, np.zeros(3))
    with pytest.raises(DiffmmError, match="1 or 3 channels"):
        ImageDataset(images, layout="NCHW")
