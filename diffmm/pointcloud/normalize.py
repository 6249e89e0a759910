"""Normalising point clouds, per shape or over the whole set.

The published numbers of point-cloud generators depend on it (Luo & Hu 2021 train with
``shape_unit`` and score with ``shape_bbox``; PointFlow scores with ``global_unit``), so every
metric output records the mode it was computed under.

- ``none``:        the clouds as given;
- ``shape_unit``:  each cloud minus its mean point, divided by the std of all its coordinates
                   taken before centring (as Luo & Hu's loader does: 1 for a centred cloud);
- ``shape_bbox``:  each cloud minus its bounding-box centre, divided by half its longest
                   bounding-box side (the cloud fits in [−1, 1]³);
- ``global_unit``: the whole set minus its mean point, divided by the std of all coordinates
                   of all clouds, again before centring (one shift and scale for every cloud).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffmm.errors import DiffmmError

NORMALIZATIONS = ("none", "shape_unit", "shape_bbox", "global_unit")


@dataclass
class Normalization:
    """x_normalised = (x − shift) / scale, with shift (M, 1, 3) and scale (M, 1, 1)."""

    mode: str
    shift: np.ndarray
    scale: np.ndarray

    def apply(self, clouds: np.ndarray) -> np.ndarray:
        return ((clouds - self.shift) / self.scale).astype(np.float32)

    def invert(self, clouds: np.ndarray) -> np.ndarray:
        return (clouds * self.scale + self.shift).astype(np.float32)


def fit_normalization(clouds: np.ndarray, mode: str) -> Normalization:
    """The shift and scale of ``mode`` for (M, N, 3) ``clouds``."""
    if mode not in NORMALIZATIONS:
        raise DiffmmError(f"unknown normalization {mode!r}; known: {', '.join(NORMALIZATIONS)}")
    x = np.asarray(clouds, np.float64)
    m = x.shape[0]
    if mode == "none":
        shift, scale = np.zeros((m, 1, 3)), np.ones((m, 1, 1))
    elif mode == "shape_unit":
        shift = x.mean(axis=1, keepdims=True)
        scale = x.reshape(m, -1).std(axis=1).reshape(m, 1, 1)
    elif mode == "shape_bbox":
        low, high = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
        shift = (low + high) / 2
        scale = ((high - low).max(axis=2, keepdims=True) / 2).reshape(m, 1, 1)
    else:
        shift = np.broadcast_to(x.reshape(-1, 3).mean(axis=0), (m, 1, 3)).copy()
        scale = np.full((m, 1, 1), x.std())
    if np.any(scale <= 0):
        raise DiffmmError(f"a cloud has zero extent: it cannot be normalised with {mode!r}")
    return Normalization(mode, shift, scale)


def normalize(clouds: np.ndarray, mode: str) -> np.ndarray:
    """``clouds`` (M, N, 3) normalised by ``mode`` (see the module docstring)."""
    return fit_normalization(clouds, mode).apply(clouds)
