"""Writing an ``.npz`` so that a crash never leaves half a file under its name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from diffmm.atomic import atomic_file


def save_npz_atomic(path: str | Path, **arrays: np.ndarray) -> Path:
    """``np.savez`` into a temporary sibling, then rename it to ``path``."""
    with atomic_file(path) as file:
        np.savez(file, **arrays)
    return Path(path)
