"""Image samples on disk as the FID tools read them: one ``.npz`` holding a uint8 (N, H, W, C)
array under ``arr_0`` (the layout of guided-diffusion's evaluator and of pytorch-fid's and
clean-fid's sample files), and a PNG grid of the first ones to look at."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from torch import Tensor

from diffmm.errors import DiffmmError
from diffmm.vision.atomic_npz import save_npz_atomic
from diffmm.vision.grid import save_image_grid
from diffmm.vision.pixels import signed_to_uint8, uint8_to_signed

SAMPLES_KEY = "arr_0"


def samples_to_uint8(samples: Tensor) -> np.ndarray:
    """(N, C, H, W) model samples in [−1, 1] → uint8 (N, H, W, C), nearest 8-bit level."""
    if samples.ndim != 4:
        raise DiffmmError(f"image samples must be (N, C, H, W), got {tuple(samples.shape)}")
    return signed_to_uint8(samples).permute(0, 2, 3, 1).contiguous().numpy()


def write_image_samples(path: str | Path, images: np.ndarray, grid_size: int = 64) -> Path:
    """Write uint8 NHWC ``images`` to ``path`` (.npz, atomically) and the first ``grid_size``
    as a grid beside it (``<stem>_grid.png``); returns the grid's path."""
    path = Path(path)
    if path.suffix != ".npz":
        raise DiffmmError(f"image samples are written as .npz, got {path.name}")
    check_image_samples(images, str(path))
    save_npz_atomic(path, **{SAMPLES_KEY: images})
    first = uint8_to_signed(images[:grid_size]).permute(0, 3, 1, 2).numpy()
    return save_image_grid(path.with_name(f"{path.stem}_grid.png"), first)


def read_image_samples(path: str | Path) -> np.ndarray:
    """The uint8 NHWC samples of an ``.npz`` (``arr_0``); a wrong key, dtype, range or layout is a
    one-line error naming the file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            if SAMPLES_KEY not in archive.files:
                raise DiffmmError(
                    f"{path} has no '{SAMPLES_KEY}' array (keys: {', '.join(archive.files)})"
                )
            images = archive[SAMPLES_KEY]
    except FileNotFoundError:
        raise DiffmmError(f"samples file not found: {path}") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DiffmmError(f"cannot read samples {path}: {error}") from error
    check_image_samples(images, str(path))
    return images


def check_image_samples(images: np.ndarray, source: str) -> None:
    """uint8, 4-D, channels last (1 or 3), as the FID tools expect."""
    if images.dtype != np.uint8:
        low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
        raise DiffmmError(
            f"{source}: samples must be uint8 pixels 0..255, got {images.dtype} in "
            f"[{low:.3g}, {high:.3g}]"
        )
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        layout = " (channels first? expected NHWC)" if images.ndim == 4 else ""
        raise DiffmmError(
            f"{source}: samples must be (N, H, W, C) with C = 1 or 3, got {images.shape}{layout}"
        )
