"""Writing CIFAR-10 python batches byte for byte as Python 2's cPickle wrote the real ones.

Python 3's pickler cannot produce them: it writes ``bytes`` through ``_codecs.encode`` and
NumPy 2 names ``numpy._core``, neither of which the real files contain. So the protocol-2
opcodes are emitted here directly (str as SHORT_BINSTRING/BINSTRING, arrays through
``numpy.core.multiarray._reconstruct`` with a version-1 state tuple), as in the real batches.
"""

from __future__ import annotations

import io
import struct
import tarfile
from pathlib import Path

import numpy as np


def _string(value: bytes) -> bytes:
    if len(value) < 256:
        return b"U" + bytes([len(value)]) + value
    return b"T" + struct.pack("<i", len(value)) + value


def _int(value: int) -> bytes:
    if 0 <= value < 256:
        return b"K" + bytes([value])
    if 0 <= value < 65536:
        return b"M" + struct.pack("<H", value)
    return b"J" + struct.pack("<i", value)


def _uint8_matrix(array: np.ndarray) -> bytes:
    dtype = (
        b"cnumpy\ndtype\n" + _string(b"u1") + _int(0) + _int(1) + b"\x87R"
        + b"(" + _int(3) + _string(b"|") + b"NNN" + b"J\xff\xff\xff\xff" * 2 + _int(0) + b"tb"
    )  # fmt: skip
    return (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
        + _int(0) + b"\x85" + _string(b"b") + b"\x87R"
        + b"(" + _int(1) + _int(array.shape[0]) + _int(array.shape[1]) + b"\x86"
        + dtype + b"\x89" + _string(array.tobytes()) + b"tb"
    )  # fmt: skip


def _value(value: object) -> bytes:
    if isinstance(value, np.ndarray):
        return _uint8_matrix(value)
    if isinstance(value, bytes):
        return _string(value)
    if isinstance(value, int):
        return _int(value)
    return b"](" + b"".join(_value(item) for item in value) + b"e"


def python2_pickle(record: dict[bytes, object]) -> bytes:
    """A dict of str keys → arrays, str, ints and lists, as cPickle.dump(record, f, 2) wrote it."""
    items = b"".join(_string(key) + _value(value) for key, value in record.items())
    return b"\x80\x02}(" + items + b"u."


CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def cifar_batches(per_batch: int, seed: int = 0) -> dict[str, tuple[np.ndarray, list[int]]]:
    """Random rows (N, 3072) and labels for data_batch_1…5 and test_batch."""
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    return {
        name: (
            rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            [int(label) for label in rng.integers(0, 10, per_batch)],
        )
        for name in names
    }


def cifar_files(batches: dict[str, tuple[np.ndarray, list[int]]]) -> dict[str, bytes]:
    """The contents of cifar-10-batches-py/: one pickle per batch plus batches.meta."""
    files = {
        name: python2_pickle(
            {
                b"batch_label": f"{name} of 5".encode(),
                b"labels": labels,
                b"data": rows,
                b"filenames": [f"img_{i}.png".encode() for i in range(len(labels))],
            }
        )
        for name, (rows, labels) in batches.items()
    }
    files["batches.meta"] = python2_pickle(
        {
            b"num_cases_per_batch": 10000,
            b"label_names": [name.encode() for name in CLASS_NAMES],
            b"num_vis": 3072,
        }
    )
    return files


def write_cifar_folder(root: Path, files: dict[str, bytes]) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def write_cifar_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in {"readme.html": b"<html></html>", **files}.items():
            member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path
