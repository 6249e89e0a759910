"""CIFAR-10 "python version" (Krizhevsky 2009): the tarball or its extracted folder.

``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/`` with ``data_batch_1`` … ``_5`` (10,000
training images each), ``test_batch`` and ``batches.meta``. Each batch is a pickled dict with
``b"data"``, a uint8 (N, 3072) array whose rows are the red, green and blue 32×32 planes in
turn, and ``b"labels"``, a list of N class indices; ``batches.meta`` has ``b"label_names"``.
The pickles are read with ``NumpyOnlyUnpickler``, so a crafted file cannot run code.
"""

from __future__ import annotations

import tarfile
import zlib
from pathlib import Path
from typing import Literal

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.vision.labelled_images import LabelledImages
from diffmm.vision.restricted_pickle import load_numpy_pickle

FOLDER_NAME = "cifar-10-batches-py"
SPLIT_BATCHES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
META = "batches.meta"
SIDE = 32


def load_cifar10(path: str | Path, split: Literal["train", "test"] = "train") -> LabelledImages:
    """The ``split`` of CIFAR-10 from the tarball, the ``cifar-10-batches-py`` folder or its parent.

    Training batches are concatenated in file order (1 … 5), so image i is the same on every
    machine.
    """
    if split not in SPLIT_BATCHES:
        raise DiffmmError(f"CIFAR-10 split must be 'train' or 'test', got {split!r}")
    names = (*SPLIT_BATCHES[split], META)
    path = Path(path)
    files = _read_tar_members(path, names) if path.is_file() else _read_folder(path, names)
    class_names = _class_names(files[META], f"{path}:{META}")
    images, labels = [], []
    for name in SPLIT_BATCHES[split]:
        batch_images, batch_labels = _decode_batch(files[name], f"{path}:{name}")
        images.append(batch_images)
        labels.append(batch_labels)
    return LabelledImages(np.concatenate(images), np.concatenate(labels), class_names)


def _read_folder(path: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    if not path.is_dir():
        raise DiffmmError(f"CIFAR-10 not found: {path} (give the tarball or {FOLDER_NAME}/)")
    folder = path / FOLDER_NAME if (path / FOLDER_NAME).is_dir() else path
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise DiffmmError(f"{folder} is not a CIFAR-10 python folder: no {', '.join(missing)}")
    return {name: (folder / name).read_bytes() for name in names}


def _read_tar_members(path: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    # One sequential pass: a .tar.gz cannot seek, so looking members up one by one would
    # decompress the archive once per member.
    wanted = {f"{FOLDER_NAME}/{name}": name for name in names}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    found[wanted[member.name]] = archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise DiffmmError(f"cannot read CIFAR-10 tarball {path}: {error}") from error
    missing = [name for name in names if name not in found]
    if missing:
        raise DiffmmError(
            f"{path} is not the CIFAR-10 python tarball: no {FOLDER_NAME}/{', '.join(missing)}"
        )
    return found


def _class_names(data: bytes, source: str) -> tuple[str, ...]:
    meta = load_numpy_pickle(data, source)
    if not isinstance(meta, dict) or not isinstance(meta.get(b"label_names"), list):
        raise DiffmmError(f"{source} has no label_names list")
    return tuple(
        name.decode() if isinstance(name, bytes) else str(name) for name in meta[b"label_names"]
    )


def _decode_batch(data: bytes, source: str) -> tuple[np.ndarray, np.ndarray]:
    batch = load_numpy_pickle(data, source)
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DiffmmError(f"{source} is not a CIFAR-10 batch (no data/labels)")
    rows, labels = batch[b"data"], np.asarray(batch[b"labels"], dtype=np.int64)
    if not isinstance(rows, np.ndarray) or rows.dtype != np.uint8 or rows.ndim != 2:
        raise DiffmmError(f"{source}: data must be a uint8 (N, 3072) array")
    if rows.shape[1] != 3 * SIDE * SIDE or labels.shape != (rows.shape[0],):
        raise DiffmmError(
            f"{source}: data {rows.shape} and {labels.shape[0]} labels, expected (N, 3072) and N"
        )
    # Each row is three whole planes (R, G, B), each row-major 32×32: NCHW, then to NHWC.
    images = rows.reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
