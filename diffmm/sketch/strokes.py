"""A drawing as strokes of absolute points, and the stroke-3 format of sketch-rnn.

``Strokes`` is a list of (n, 2) float arrays, one per pen-down stroke, x to the right and y
downwards (screen coordinates, as QuickDraw records them). Stroke-3 (Ha & Eck 2017) is one
(L, 3) array of rows [Δx, Δy, p]: the offset of each point from the previous one (the first
from the origin) and p = 1 when the pen lifts after this point, so a stroke ends at each p = 1.
"""

from __future__ import annotations

import numpy as np

from diffmm.errors import DiffmmError

Strokes = list[np.ndarray]


def as_strokes(strokes: Strokes, source: str = "drawing") -> Strokes:
    """``strokes`` as float64 (n, 2) arrays, empty strokes dropped; a malformed one is an error."""
    checked = []
    for i, stroke in enumerate(strokes):
        points = np.asarray(stroke, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise DiffmmError(f"{source}: stroke {i} must be (n, 2) points, got {points.shape}")
        if not np.isfinite(points).all():
            raise DiffmmError(f"{source}: stroke {i} has a non-finite coordinate")
        if len(points):
            checked.append(points)
    return checked


def stroke3_to_strokes(stroke3: np.ndarray, source: str = "drawing") -> Strokes:
    """Stroke-3 rows → absolute strokes: cumulative sums, split after every p = 1 row (a
    trailing stroke without its final lift is kept)."""
    stroke3 = np.asarray(stroke3, dtype=np.float64)
    if stroke3.ndim != 2 or stroke3.shape[1] != 3:
        raise DiffmmError(f"{source}: stroke-3 data must be (L, 3) rows, got {stroke3.shape}")
    points = np.cumsum(stroke3[:, :2], axis=0)
    ends = np.flatnonzero(stroke3[:, 2] > 0.5) + 1
    return [part for part in np.split(points, ends) if len(part)]


def strokes_to_stroke3(strokes: Strokes) -> np.ndarray:
    """Absolute strokes → stroke-3 rows (the inverse of ``stroke3_to_strokes``)."""
    strokes = as_strokes(strokes)
    if not strokes:
        return np.zeros((0, 3))
    points = np.concatenate(strokes)
    lifts = np.zeros(len(points))
    lifts[np.cumsum([len(s) for s in strokes]) - 1] = 1.0
    deltas = np.diff(points, axis=0, prepend=np.zeros((1, 2)))
    return np.column_stack([deltas, lifts])
