"""Drawing strokes into uint8 bitmaps (255 ink on 0, as QuickDraw's 28×28 bitmaps).

The drawing is fitted into the canvas as QuickDraw's bitmaps are made: its bounding box,
aspect kept, scaled so that its longer side spans the canvas less ``margin`` pixels each side,
and centred. Points map to pixel centres (x → column, y → row, y downwards); each segment is
sampled at least twice per pixel of its length and the samples rounded to pixels, so a line
along a row or column is exactly one pixel wide; ``line_width`` > 1 thickens it with a disc.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.sketch.sequence import sequence_to_strokes
from diffmm.sketch.strokes import Strokes, as_strokes


def rasterise(
    strokes: Strokes, size: int = 28, *, margin: int = 2, line_width: int = 1
) -> np.ndarray:
    """One drawing → a (size, size) uint8 bitmap (module docstring); no strokes: a blank one."""
    if size < 2 * margin + 2 or line_width < 1:
        raise DiffmmError(f"a {size}-pixel canvas with margin {margin} has no room to draw")
    canvas = np.zeros((size, size), dtype=np.uint8)
    strokes = as_strokes(strokes)
    if not strokes:
        return canvas
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    span = size - 1 - 2 * margin
    extent = float((high - low).max())
    scale = span / extent if extent > 0 else 0.0
    offset = margin + (span - (high - low) * scale) / 2 - low * scale
    samples = [_sample_polyline(stroke * scale + offset) for stroke in strokes]
    pixels = np.rint(np.concatenate(samples)).astype(np.int64)
    radius = (line_width - 1) / 2
    reach = int(np.ceil(radius))
    for dx in range(-reach, reach + 1):
        for dy in range(-reach, reach + 1):
            if dx * dx + dy * dy <= radius * radius + 1e-9:
                cols, rows = pixels[:, 0] + dx, pixels[:, 1] + dy
                inside = (cols >= 0) & (cols < size) & (rows >= 0) & (rows < size)
                canvas[rows[inside], cols[inside]] = 255
    return canvas


def _sample_polyline(points: np.ndarray) -> np.ndarray:
    """Points along each segment, at most half a pixel apart (a lone point: itself)."""
    if len(points) == 1:
        return points
    parts = [points[-1:]]
    for start, end in itertools.pairwise(points):
        count = int(np.ceil(2 * np.abs(end - start).max())) + 1
        parts.append(np.linspace(start, end, count, endpoint=False))
    return np.concatenate(parts)


def rasterise_sequences(
    sequences: np.ndarray,
    size: int = 28,
    *,
    margin: int = 2,
    line_width: int = 1,
    padding_tolerance: float = 1e-6,
) -> np.ndarray:
    """(N, L, 3) sketch sequences → (N, size, size, 1) uint8 bitmaps (the image-arrays layout
    that FID and the project's classifier read)."""
    sequences = np.asarray(sequences)
    if sequences.ndim != 3 or sequences.shape[2] != 3:
        raise DiffmmError(f"sketch sequences must be (N, L, 3), got {sequences.shape}")
    bitmaps = [
        rasterise(
            sequence_to_strokes(s, padding_tolerance=padding_tolerance),
            size,
            margin=margin,
            line_width=line_width,
        )
        for s in sequences
    ]
    return np.stack(bitmaps)[..., None]


def save_bitmap_grid(path: str | Path, bitmaps: np.ndarray, ncols: int | None = None) -> Path:
    """uint8 (N, H, W, 1) bitmaps as one PNG grid."""
    from diffmm.vision.grid import save_image_grid
    from diffmm.vision.pixels import uint8_to_signed

    return save_image_grid(path, uint8_to_signed(bitmaps).permute(0, 3, 1, 2).numpy(), ncols)
