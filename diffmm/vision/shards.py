"""Image sets as webdataset tar shards, for data too big for one disk or one process.

A shard is a plain POSIX tar whose members ``<key>.png`` and ``<key>.cls`` hold one image
(lossless PNG, grey or RGB) and its class index; ``webdataset`` streams shards from local
paths or URLs, splitting them across processes and DataLoader workers, so training scales
past one machine without a loader of our own. ``webdataset`` is an optional dependency.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from diffmm.errors import DiffmmError
from diffmm.vision.labelled_images import LabelledImages
from diffmm.vision.pixels import uint8_to_signed

# The buffer webdataset shuffles shard names in: larger than any shard count we expect, so
# the shard order is a full permutation.
SHARD_ORDER_BUFFER = 100_000


def _webdataset() -> Any:
    try:
        import webdataset
    except ImportError:
        raise DiffmmError(
            "tar shards need the webdataset package: pip install webdataset"
        ) from None
    return webdataset


def write_image_shards(
    data: LabelledImages, pattern: str | Path, *, images_per_shard: int = 10_000
) -> list[Path]:
    """Write ``data`` in order to shards named by ``pattern`` (e.g. ``out/train-%06d.tar``)."""
    if "%" not in str(pattern):
        raise DiffmmError(f"the shard pattern needs a %d field for the shard number: {pattern}")
    written: list[Path] = []
    writer_class = _webdataset().ShardWriter
    with writer_class(str(pattern), maxcount=images_per_shard, verbose=0,
                      post=lambda name: written.append(Path(name))) as writer:  # fmt: skip
        for index, (pixels, label) in enumerate(zip(data.images, data.labels)):
            writer.write({"__key__": f"{index:09d}", "png": _png(pixels), "cls": int(label)})
    return written


class ImageShards(torch.utils.data.IterableDataset):
    """Items ``{"image": x (C, H, W) in [−1, 1], "label": int64}``, as ``ImageDataset`` gives.

    ``urls`` is a brace pattern (``train-{000000..000099}.tar``) or a list. Each process
    (torch.distributed rank, or ``RANK``/``WORLD_SIZE`` as torchrun sets them) reads every
    world-size-th shard and each DataLoader worker a share of those, so no image is read
    twice and none is skipped: have at least ranks × workers shards. With ``shuffle_buffer``
    > 0 the shard order and the images within a buffer are shuffled from ``seed`` and the
    epoch (``set_epoch``, which the trainer calls) alone: every pass of an epoch is the same.
    """

    def __init__(self, urls: str | Sequence[str], *, shuffle_buffer: int = 0, seed: int = 0):
        _webdataset()
        self.urls = urls if isinstance(urls, str) else list(urls)
        self.shuffle_buffer, self.seed, self.epoch = shuffle_buffer, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        wds, seed = _webdataset(), self.seed + self.epoch
        pipeline = wds.WebDataset(
            self.urls,
            shardshuffle=SHARD_ORDER_BUFFER if self.shuffle_buffer > 0 else False,
            nodesplitter=wds.split_by_node,
            seed=seed,
        )
        if self.shuffle_buffer > 0:
            pipeline = pipeline.shuffle(self.shuffle_buffer, seed=seed)
        return iter(pipeline.map(_decode))


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _decode(sample: dict[str, Any]) -> dict[str, torch.Tensor]:
    with Image.open(io.BytesIO(sample["png"])) as image:
        pixels = np.asarray(image)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    image = uint8_to_signed(torch.from_numpy(np.array(pixels.transpose(2, 0, 1))))
    return {"image": image, "label": torch.tensor(int(sample["cls"]), dtype=torch.int64)}
