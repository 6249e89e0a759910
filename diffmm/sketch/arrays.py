"""Prepared sketch data on disk: fixed-length sequences with their classes, in one ``.npz``.

    sequences    float32 (N, L, 3) rows [x, y, pen] (``diffmm.sketch.sequence``)
    labels       int64 (N,)
    class_names  str (K,)

Written atomically and read with ``allow_pickle=False``: nothing in it is executable.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.vision.atomic_npz import save_npz_atomic


@dataclass
class SketchArrays:
    sequences: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.sequences.ndim != 3 or self.sequences.shape[2] != 3:
            raise DiffmmError(f"sketch sequences must be (N, L, 3), got {self.sequences.shape}")
        if len(self.labels) != len(self.sequences):
            raise DiffmmError(f"{len(self.sequences)} sequences but {len(self.labels)} labels")
        if len(self.labels) and not 0 <= int(self.labels.min()) <= int(self.labels.max()) < len(
            self.class_names
        ):
            raise DiffmmError(f"labels must lie in [0, {len(self.class_names)})")

    @property
    def length(self) -> int:
        return int(self.sequences.shape[1])


def save_sketch_arrays(path: str | Path, sketches: SketchArrays) -> Path:
    return save_npz_atomic(
        path,
        sequences=sketches.sequences.astype(np.float32),
        labels=sketches.labels.astype(np.int64),
        class_names=np.asarray(sketches.class_names, dtype=np.str_),
    )


def load_sketch_arrays(path: str | Path) -> SketchArrays:
    """The arrays ``save_sketch_arrays`` wrote; anything else is a one-line error."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = {"sequences", "labels", "class_names"} - set(archive.files)
            if missing:
                raise DiffmmError(
                    f"{path} is not a sketch arrays file: no {', '.join(sorted(missing))}"
                )
            return SketchArrays(
                archive["sequences"].astype(np.float32),
                archive["labels"].astype(np.int64),
                tuple(str(name) for name in archive["class_names"]),
            )
    except FileNotFoundError:
        raise DiffmmError(f"sketch arrays not found: {path}") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DiffmmError(f"cannot read sketch arrays {path}: {error}") from error
