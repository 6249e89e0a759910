"""Drawings as fixed-length point sequences: what the 1-D UNet sees, and back.

A drawing of n points becomes an (L, 3) float32 array of rows [x, y, pen]: the absolute points
in order, normalised so that the bounding box is centred on 0 and its longer side spans
[−1, 1], and pen = +1 where the pen lifts after the point (a stroke ends there), −1 where it
stays down. Absolute points rather than stroke-3 offsets because a diffusion model denoises
every row at once: an error in one offset would shift every later point, an error in one
absolute point moves that point only. The n < L rows are followed by L − n copies of the last
point with the pen up, which draw nothing; a drawing of more than L points is truncated (its
last kept point lifting the pen) or refused, as the caller asks.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.sketch.strokes import Strokes, as_strokes

PEN_DOWN, PEN_UP = -1.0, 1.0
Overflow = Literal["truncate", "drop", "error"]


@dataclass(frozen=True)
class Normalisation:
    """Where the drawing was and how large: points = centre + scale · normalised points."""

    centre: np.ndarray
    scale: float


def normalise_strokes(strokes: Strokes) -> tuple[Strokes, Normalisation]:
    """Strokes centred on their bounding box and scaled so its longer side spans [−1, 1]."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    centre, half_extent = (low + high) / 2, float((high - low).max()) / 2
    scale = half_extent if half_extent > 0 else 1.0  # a single dot: keep it where it is
    return [(s - centre) / scale for s in strokes], Normalisation(centre, scale)


def strokes_to_sequence(
    strokes: Strokes, length: int, *, truncate: bool = False, source: str = "drawing"
) -> tuple[np.ndarray, Normalisation]:
    """One drawing → (``length``, 3) rows [x, y, pen] and its normalisation (module docstring).

    A drawing of more than ``length`` points is a ``DiffmmError`` unless ``truncate``.
    """
    strokes = as_strokes(strokes, source)
    if not strokes:
        raise DiffmmError(f"{source} has no points")
    count = sum(len(s) for s in strokes)
    if count > length and not truncate:
        raise DiffmmError(f"{source} has {count} points, more than the sequence length {length}")
    normalised, normalisation = normalise_strokes(strokes)
    rows = np.concatenate([np.column_stack([s, np.full(len(s), PEN_DOWN)]) for s in normalised])
    rows[np.cumsum([len(s) for s in normalised]) - 1, 2] = PEN_UP
    rows = rows[:length]
    rows[-1, 2] = PEN_UP
    padding = np.repeat(rows[-1:], length - len(rows), axis=0)
    return np.concatenate([rows, padding]).astype(np.float32), normalisation


def strokes_to_sequences(
    drawings: Sequence[Strokes], length: int, on_overflow: Overflow = "truncate"
) -> tuple[np.ndarray, np.ndarray]:
    """Many drawings → (N, ``length``, 3) sequences and the indices of the drawings kept.

    Drawings longer than ``length``: ``truncate`` keeps their first points, ``drop`` leaves
    them out (either with one warning giving the count), ``error`` stops at the first one.
    """
    if on_overflow not in ("truncate", "drop", "error"):
        raise DiffmmError(f"on_overflow must be truncate, drop or error, got {on_overflow!r}")
    sequences, kept, too_long = [], [], 0
    for i, strokes in enumerate(drawings):
        long = sum(len(s) for s in strokes) > length
        too_long += long
        if long and on_overflow == "drop":
            continue
        sequence, _ = strokes_to_sequence(
            strokes, length, truncate=on_overflow == "truncate", source=f"drawing {i}"
        )
        sequences.append(sequence)
        kept.append(i)
    if too_long:
        done = "truncated" if on_overflow == "truncate" else "dropped"
        warnings.warn(
            f"{too_long} of {len(drawings)} drawings have more than {length} points: {done}",
            stacklevel=2,
        )
    if not sequences:
        raise DiffmmError(f"no drawing fits in {length} points")
    return np.stack(sequences), np.asarray(kept, dtype=np.int64)


def sequence_to_strokes(
    sequence: np.ndarray,
    normalisation: Normalisation | None = None,
    *,
    padding_tolerance: float = 1e-6,
) -> Strokes:
    """(L, 3) rows → strokes (pen > 0 ends a stroke), mapped back through ``normalisation``.

    The padding comes back as one-point strokes on the previous stroke's last point; those
    within ``padding_tolerance`` of it are dropped (for sampled sequences, whose padding is
    only nearly still, pass a tolerance of about a pixel of the raster).
    """
    sequence = np.asarray(sequence, dtype=np.float64)
    if sequence.ndim != 2 or sequence.shape[1] != 3:
        raise DiffmmError(f"a sketch sequence must be (L, 3) rows, got {sequence.shape}")
    ends = np.flatnonzero(sequence[:, 2] > 0) + 1
    strokes: Strokes = []
    for part in np.split(sequence[:, :2], ends):
        if not len(part):
            continue
        if len(part) == 1 and strokes:
            if np.abs(part[0] - strokes[-1][-1]).max() <= padding_tolerance:
                continue
        strokes.append(part)
    if normalisation is not None:
        strokes = [normalisation.centre + normalisation.scale * s for s in strokes]
    return strokes
