"""Tiling a batch of images into one PNG."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image
import numpy as np

from diffmm.atomic import atomic_path


def image_grid(images: np.ndarray, ncols: int | None = None, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) images in [-1, 1] → one (rows·H, cols·W, 3) uint8 tile (grey images repeated)."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"an image grid needs (N, 1|3, H, W) images, got {images.shape}")
    n, c, h, w = images.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    pixels = ((np.clip(images, -1, 1) + 1) * 127.5).round().astype(np.uint8)
    if c == 1:
        pixels = np.repeat(pixels, 3, axis=1)
    grid = np.zeros((nrows * (h + padding) + padding, ncols * (w + padding) + padding, 3), np.uint8)
    for i in range(n):
        r, col = divmod(i, ncols)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = pixels[i].transpose(1, 2, 0)
    return grid


def save_image_grid(path: str | Path, images: np.ndarray, ncols: int | None = None) -> Path:
    path = Path(path)
    with atomic_path(path) as temporary:
        matplotlib.image.imsave(temporary, image_grid(images, ncols))
    return path
