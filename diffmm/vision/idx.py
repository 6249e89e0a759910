"""IDX files (LeCun's MNIST format, also Fashion-MNIST's), gzip-compressed or not.

An IDX file is a big-endian header — two zero bytes, a type code, the number of dimensions d,
then d 32-bit sizes — followed by the values in row-major order. MNIST-style images are
``0x00000803`` (uint8, N × rows × cols) and labels ``0x00000801`` (uint8, N). Debian's
``dataset-fashion-mnist`` installs the four Fashion-MNIST files, gzipped, under
``/usr/share/datasets/fashion-mnist/``.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Literal

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.vision.labelled_images import LabelledImages

IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
SPLIT_PREFIX = {"train": "train", "test": "t10k"}


def read_idx(path: str | Path, *, expected_ndim: int | None = None) -> np.ndarray:
    """The array stored in an IDX file (gzip detected from its first bytes, not its name).

    A wrong magic number, an unexpected rank or a file shorter than its header promises is a
    one-line ``DiffmmError`` naming the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DiffmmError(f"IDX file not found: {path}") from None
    except (OSError, EOFError, zlib.error) as error:
        raise DiffmmError(f"cannot decompress IDX file {path}: {error}") from error
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in IDX_TYPES:
        raise DiffmmError(f"{path} is not an IDX file (magic {raw[:4].hex() or 'missing'})")
    dtype, ndim = IDX_TYPES[raw[2]], raw[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise DiffmmError(f"{path}: expected a {expected_ndim}-D IDX array, found {ndim}-D")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DiffmmError(f"{path} is truncated: the header needs {header_size} bytes")
    shape = tuple(int(size) for size in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = header_size + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DiffmmError(f"{path} holds {len(raw)} bytes, its header {shape} says {expected}")
    values = np.frombuffer(raw, dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def load_idx_images(
    images_path: str | Path, labels_path: str | Path, class_names: tuple[str, ...]
) -> LabelledImages:
    """A uint8 images file (N, rows, cols) and its labels file (N) as grey NHWC images."""
    images = read_idx(images_path, expected_ndim=3)
    labels = read_idx(labels_path, expected_ndim=1)
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise DiffmmError(f"{images_path} and {labels_path} must both hold unsigned bytes")
    if len(images) != len(labels):
        raise DiffmmError(
            f"{images_path} has {len(images)} images but {labels_path} {len(labels)} labels"
        )
    return LabelledImages(images[..., None], labels.astype(np.int64), class_names)


def load_idx_split(
    folder: str | Path,
    split: Literal["train", "test"] = "train",
    class_names: tuple[str, ...] = FASHION_MNIST_CLASSES,
) -> LabelledImages:
    """``train-…`` or ``t10k-{images-idx3,labels-idx1}-ubyte[.gz]`` from an MNIST-layout folder."""
    if split not in SPLIT_PREFIX:
        raise DiffmmError(f"IDX split must be 'train' or 'test', got {split!r}")
    folder = Path(folder)
    paths = [
        _find(folder, f"{SPLIT_PREFIX[split]}-{kind}-ubyte")
        for kind in ("images-idx3", "labels-idx1")
    ]
    return load_idx_images(*paths, class_names)


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    raise DiffmmError(f"no {stem} or {stem}.gz in {folder}")
