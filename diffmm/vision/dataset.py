"""A torch ``Dataset`` over uint8 image arrays that hands the network x ∈ [−1, 1], NCHW."""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from diffmm.errors import DiffmmError
from diffmm.vision.flip import random_horizontal_flip
from diffmm.vision.padding import pad_images
from diffmm.vision.pixels import uint8_to_signed


class ImageDataset(Dataset):
    """Items ``{"image": x (C, H, W) float32 in [−1, 1], "label": int64}`` from uint8 arrays.

    ``layout`` says how ``images`` is stored (NHWC as loaded from files, NCHW as saved
    tensors); ``pad_to`` zero-pads smaller images to a square (28 → 32 for (Fashion-)MNIST);
    ``horizontal_flip`` mirrors each item with probability ½, drawing from ``generator``.
    Each DataLoader worker gets its own copy of the generator, so with workers (or for exact
    resume) flip whole batches in the training step with ``random_horizontal_flip`` and the
    trainer's generator instead.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray | None = None,
        *,
        layout: Literal["NHWC", "NCHW"] = "NHWC",
        pad_to: int | None = None,
        horizontal_flip: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        if images.dtype != np.uint8 or images.ndim != 4:
            raise DiffmmError(f"images must be uint8 and 4-D, got {images.dtype} {images.shape}")
        if layout not in ("NHWC", "NCHW"):
            raise DiffmmError(f"layout must be NHWC or NCHW, got {layout!r}")
        if pad_to is not None:
            images = pad_images(images, pad_to, layout=layout)
        self.images = torch.from_numpy(
            np.ascontiguousarray(images.transpose(0, 3, 1, 2) if layout == "NHWC" else images)
        )
        if self.images.shape[1] not in (1, 3):
            raise DiffmmError(
                f"images must have 1 or 3 channels, got {tuple(self.images.shape)} NCHW"
            )
        if labels is None:
            labels = np.zeros(len(images), np.int64)
        if len(labels) != len(images):
            raise DiffmmError(f"{len(images)} images but {len(labels)} labels")
        self.labels = torch.as_tensor(np.asarray(labels, np.int64))
        self.horizontal_flip = horizontal_flip
        self.generator = generator

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        image = uint8_to_signed(self.images[index])
        if self.horizontal_flip:
            image = random_horizontal_flip(image[None], self.generator)[0]
        return {"image": image, "label": self.labels[index]}
