"""Sketch samples on disk: the sequences, and their bitmaps where the FID tools look.

One ``.npz`` holds ``sequences`` (float32 (N, L, 3) rows [x, y, pen]) and ``arr_0``, the
drawings rasterised to uint8 (N, H, W, 1), the layout of the image samples files; so
``diffmm evaluate images`` scores a sketch samples file as it is. A PNG grid of the first
drawings is written beside it (``<stem>_grid.png``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.sketch.raster import rasterise_sequences, save_bitmap_grid
from diffmm.vision.atomic_npz import save_npz_atomic
from diffmm.vision.sample_files import SAMPLES_KEY

SEQUENCES_KEY = "sequences"


@dataclass(frozen=True)
class RasterSettings:
    """How sequences become bitmaps: canvas size, margin and line width in pixels, and the
    distance (in normalised units) under which a sampled lone point counts as padding."""

    size: int = 28  # QuickDraw's bitmap size, and the size the project's classifiers read
    margin: int = 2
    line_width: int = 1
    padding_tolerance: float = 0.02  # about half a pixel of a 28-pixel canvas

    def rasterise(self, sequences: np.ndarray) -> np.ndarray:
        return rasterise_sequences(
            sequences,
            self.size,
            margin=self.margin,
            line_width=self.line_width,
            padding_tolerance=self.padding_tolerance,
        )


def write_sketch_samples(
    path: str | Path, sequences: np.ndarray, raster: RasterSettings, grid_size: int = 64
) -> Path:
    """Write (N, L, 3) ``sequences`` and their bitmaps to ``path`` (.npz, atomically) and the
    first ``grid_size`` bitmaps as a grid beside it; returns the grid's path."""
    path = Path(path)
    if path.suffix != ".npz":
        raise DiffmmError(f"sketch samples are written as .npz, got {path.name}")
    sequences = np.asarray(sequences, dtype=np.float32)
    bitmaps = raster.rasterise(sequences)
    save_npz_atomic(path, **{SEQUENCES_KEY: sequences, SAMPLES_KEY: bitmaps})
    return save_bitmap_grid(path.with_name(f"{path.stem}_grid.png"), bitmaps[:grid_size])
