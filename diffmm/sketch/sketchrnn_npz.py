"""sketch-rnn's QuickDraw ``.npz`` files, read without unpickling anything but NumPy arrays.

Each class file (``cat.npz`` …) holds ``train``, ``valid`` and ``test``: 1-D object arrays whose
items are (L, 3) int16 stroke-3 drawings (``diffmm.sketch.strokes``). NumPy stores an object
array as a pickle after the ``.npy`` header, and ``np.load(allow_pickle=True)`` would run
whatever that pickle names; here the header is parsed by NumPy's format module and the
payload goes through ``NumpyOnlyUnpickler``, which rebuilds arrays and refuses every other
global. Arrays that are not object arrays are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.vision.restricted_pickle import load_numpy_pickle

SPLITS = ("train", "valid", "test")


def read_npz_member(path: str | Path, name: str) -> np.ndarray:
    """Array ``name`` of the ``.npz`` at ``path``; an object array is unpickled safely."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            member = f"{name}.npy"
            if member not in archive.namelist():
                keys = sorted(n.removesuffix(".npy") for n in archive.namelist())
                raise DiffmmError(f"{path} has no '{name}' array (keys: {', '.join(keys)})")
            with archive.open(member) as file:
                version = np.lib.format.read_magic(file)
                # format 3.0 differs from 2.0 only in the header's text encoding
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, _, dtype = read_header(file)
                if not dtype.hasobject:
                    with archive.open(member) as again:
                        return np.lib.format.read_array(again, allow_pickle=False)
                array = load_numpy_pickle(file.read(), f"{path}:{name}", encoding="latin1")
    except FileNotFoundError:
        raise DiffmmError(f"sketch file not found: {path}") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DiffmmError(f"cannot read {path}: {error}") from error
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise DiffmmError(f"{path}:{name} does not hold the {shape} array its header announces")
    return array


def load_sketchrnn_npz(path: str | Path, split: str = "train") -> list[np.ndarray]:
    """The stroke-3 drawings of one split of a sketch-rnn class file, as float (L, 3) arrays."""
    if split not in SPLITS:
        raise DiffmmError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    array = read_npz_member(path, split)
    drawings = list(array) if array.dtype.hasobject else list(array.reshape(-1, *array.shape[-2:]))
    for i, drawing in enumerate(drawings):
        if not isinstance(drawing, np.ndarray) or drawing.ndim != 2 or drawing.shape[1] != 3:
            shape = getattr(drawing, "shape", type(drawing).__name__)
            raise DiffmmError(f"{path}:{split}[{i}] is not an (L, 3) stroke-3 array: {shape}")
    return [np.asarray(d, dtype=np.float64) for d in drawings]
