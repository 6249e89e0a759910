"""Image inverse problems as measurements: inpainting, super-resolution, colourisation.

Images come in as uint8 NHWC (PNG files, a folder, or an ``.npz`` of samples) and are
measured in the models' [−1, 1] space:

- ``inpaint``: y = m ⊙ x, the mask a PNG whose white pixels (≥ 128) are known;
- ``super-resolution``: y = the ``factor``-times smaller image, each pixel the mean of its
  factor × factor block (A is block averaging, A† nearest-neighbour upsampling);
- ``colorize``: y = a grey image, the ITU-R 601 luma of the colour one (PIL's "L"
  conversion), for a 3-channel model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from diffmm.diffusion.inverse import (
    BlockAverageOperator,
    ChannelMeanOperator,
    MaskOperator,
    Measurement,
)
from diffmm.errors import DiffmmError
from diffmm.vision.image_folder import load_image_folder
from diffmm.vision.pixels import uint8_to_signed
from diffmm.vision.sample_files import read_image_samples

IMAGE_TASKS = ("inpaint", "super-resolution", "colorize")
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def read_images(path: str | Path, channels: int) -> np.ndarray:
    """uint8 NHWC with ``channels`` channels from a PNG/JPEG file, a flat folder or an .npz."""
    path = Path(path)
    mode = "L" if channels == 1 else "RGB"
    if path.is_dir():
        return load_image_folder(path, mode).images
    if not path.is_file():
        raise DiffmmError(f"input not found: {path}")
    if path.suffix == ".npz":
        images = read_image_samples(path)
        if images.shape[-1] != channels:
            raise DiffmmError(f"{path} holds {images.shape[-1]}-channel images, not {channels}")
        return images
    with Image.open(path) as image:
        pixels = np.asarray(image.convert(mode), dtype=np.uint8)
    return pixels.reshape(1, *pixels.shape[:2], channels)


def read_mask(path: str | Path) -> torch.Tensor:
    """(1, 1, H, W) 0/1 float from a PNG: white (≥ 128) known, black to be filled."""
    path = Path(path)
    if not path.is_file():
        raise DiffmmError(f"mask not found: {path}")
    with Image.open(path) as image:
        grey = np.asarray(image.convert("L"), dtype=np.uint8)
    return torch.from_numpy((grey >= 128).astype(np.float32))[None, None]


def to_signed_nchw(images: np.ndarray) -> torch.Tensor:
    return uint8_to_signed(torch.from_numpy(np.array(images, dtype=np.uint8))).permute(0, 3, 1, 2)


def image_measurement(
    task: str,
    images: np.ndarray,
    data_shape: tuple[int, ...],
    *,
    mask: torch.Tensor | None = None,
    factor: int = 2,
) -> Measurement:
    """The measurement of ``images`` (uint8 NHWC as the task reads them) for a model of
    ``data_shape`` (C, H, W). Shape mismatches are one-line errors."""
    channels, height, width = data_shape
    if task == "inpaint":
        if mask is None:
            raise DiffmmError("inpainting needs a mask (--mask PNG: white known, black to fill)")
        _check_size(images, (height, width), "the images to inpaint")
        operator, observed = MaskOperator(mask), to_signed_nchw(images)
        operator.check(observed)
        return Measurement(operator, operator(observed))
    if task == "super-resolution":
        if height % factor or width % factor:
            raise DiffmmError(
                f"the model's {height}×{width} images are not a multiple of ×{factor}"
            )
        _check_size(images, (height // factor, width // factor), f"×{factor} low-resolution input")
        return Measurement(BlockAverageOperator(factor), to_signed_nchw(images))
    if task == "colorize":
        if channels != 3:
            raise DiffmmError(f"colourisation needs a 3-channel model; this one has {channels}")
        _check_size(images, (height, width), "the grey images")
        return Measurement(ChannelMeanOperator(3, LUMA_WEIGHTS), to_signed_nchw(images))
    raise DiffmmError(f"unknown image task {task!r}; known: {', '.join(IMAGE_TASKS)}")


def _check_size(images: np.ndarray, size: tuple[int, int], what: str) -> None:
    if tuple(images.shape[1:3]) != size:
        raise DiffmmError(
            f"{what} must be {size[0]}×{size[1]} pixels, got {images.shape[1]}×{images.shape[2]}"
        )
