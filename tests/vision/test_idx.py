"""IDX files written by the test in LeCun's format, gzipped and raw, and their failure modes."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from diffmm.errors import DiffmmError
from diffmm.vision import FASHION_MNIST_CLASSES, load_idx_split, read_idx


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """Magic 0x0000 · type · rank, big-endian 32-bit sizes, then big-endian values."""
    header = struct.pack(">HBB", 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_split(
    folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray, gz: bool
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in (
        (f"{prefix}-images-idx3-ubyte", images),
        (f"{prefix}-labels-idx1-ubyte", labels),
    ):
        data = idx_bytes(array)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_layout_loads_both_splits(tmp_path, gz) -> None:
    rng = np.random.default_rng(0)
    train_images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    test_images = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    write_split(tmp_path, "train", train_images, np.array([9, 0, 0, 3, 2], np.uint8), gz)
    write_split(tmp_path, "t10k", test_images, np.array([1, 2, 8], np.uint8), gz)
    train = load_idx_split(tmp_path, "train")
    assert train.images.shape == (5, 28, 28, 1)
    assert np.array_equal(train.images[..., 0], train_images)
    assert train.labels.tolist() == [9, 0, 0, 3, 2]
    assert train.class_names[train.labels[0]] == "Ankle boot" == FASHION_MNIST_CLASSES[9]
    test = load_idx_split(tmp_path, "test")
    assert np.array_equal(test.images[..., 0], test_images) and test.labels.tolist() == [1, 2, 8]


def test_wider_types_keep_their_values(tmp_path) -> None:
    values = np.array([[-3, 70000], [1, -2]], np.int32)
    (tmp_path / "a.idx").write_bytes(idx_bytes(values, 0x0C))
    assert np.array_equal(read_idx(tmp_path / "a.idx"), values)
    doubles = np.array([0.5, -1e300])
    (tmp_path / "b.idx").write_bytes(gzip.compress(idx_bytes(doubles, 0x0E)))
    assert np.array_equal(read_idx(tmp_path / "b.idx"), doubles)


def _one_line_error_naming(path: Path, pattern: str) -> None:
    with pytest.raises(DiffmmError, match=pattern) as error:
        read_idx(path, expected_ndim=3)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_bad_files_are_one_line_errors_naming_the_file(tmp_path) -> None:
    good = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    (tmp_path / "magic").write_bytes(b"\x08\x03\x00\x00" + good[4:])
    _one_line_error_naming(tmp_path / "magic", "not an IDX file")
    (tmp_path / "truncated").write_bytes(good[:-5])
    _one_line_error_naming(tmp_path / "truncated", "header .* says")
    (tmp_path / "header.gz").write_bytes(gzip.compress(good[:9]))
    _one_line_error_naming(tmp_path / "header.gz", "truncated")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(good)[:-20])
    _one_line_error_naming(tmp_path / "cut.gz", "cannot decompress")
    (tmp_path / "labels").write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    _one_line_error_naming(tmp_path / "labels", "expected a 3-D IDX array, found 1-D")
    _one_line_error_naming(tmp_path / "missing", "not found")


def test_images_and_labels_must_agree(tmp_path) -> None:
    write_split(tmp_path, "train", np.zeros((4, 28, 28), np.uint8), np.zeros(3, np.uint8), gz=True)
    with pytest.raises(DiffmmError, match=r"has 4 images but .* 3 labels"):
        load_idx_split(tmp_path)
    with pytest.raises(
        DiffmmError, match=r"no t10k-images-idx3-ubyte or t10k-images-idx3-ubyte\.gz"
    ):
        load_idx_split(tmp_path, "test")
