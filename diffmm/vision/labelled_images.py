"""The in-memory form every image loader returns: uint8 NHWC pixels, integer labels, class names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diffmm.errors import DiffmmError


@dataclass(frozen=True)
class LabelledImages:
    """``images`` uint8 (N, H, W, C); ``labels`` int64 (N,) indexing ``class_names``.

    NHWC is the layout of the files (CIFAR rows, PNGs) and of the sample ``.npz`` files the FID
    tools read; ``ImageDataset`` hands the network NCHW.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.images.dtype != np.uint8 or self.images.ndim != 4:
            raise DiffmmError(
                f"images must be uint8 (N, H, W, C), got {self.images.dtype} {self.images.shape}"
            )
        if self.images.shape[-1] not in (1, 3):
            raise DiffmmError(f"images must have 1 or 3 channels last, got {self.images.shape}")
        if self.labels.shape != (len(self.images),):
            raise DiffmmError(f"{len(self.images)} images but labels of shape {self.labels.shape}")
        if len(self.labels) and (
            self.labels.min() < 0 or self.labels.max() >= len(self.class_names)
        ):
            raise DiffmmError(
                f"labels span {self.labels.min()}..{self.labels.max()} but there are "
                f"{len(self.class_names)} class names"
            )

    def __len__(self) -> int:
        return len(self.images)


def concatenate_images(parts: Sequence[LabelledImages]) -> LabelledImages:
    """The images of ``parts`` in order, each part's labels shifted past the class names of the
    parts before it (class names are concatenated, not merged: equal names stay distinct)."""
    if not parts:
        raise DiffmmError("no image sets to concatenate")
    offsets = np.cumsum([0] + [len(part.class_names) for part in parts[:-1]])
    return LabelledImages(
        np.concatenate([part.images for part in parts]),
        np.concatenate([part.labels + offset for part, offset in zip(parts, offsets)]),
        tuple(name for part in parts for name in part.class_names),
    )
