"""Unpickling NumPy arrays (CIFAR-10 python batches, object arrays in ``.npy``/``.npz`` such as
sketch-rnn's QuickDraw files) without letting the file run code.

A pickle is a small program: its GLOBAL opcodes name any importable callable and REDUCE calls
it, so ``pickle.load`` of a crafted file can run ``os.system``. The CIFAR batches only ever
name the three globals that rebuild a NumPy array (``_reconstruct``, ``ndarray``, ``dtype``;
the rest is dicts, lists, ints and byte strings), so this unpickler resolves those from a
fixed table and refuses every other global before anything is imported or called.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from diffmm.errors import DiffmmError

# An array's own __reduce__ hands back _reconstruct from whichever module this NumPy keeps it
# in, without importing the deprecated numpy.core path.
_reconstruct = np.zeros(0).__reduce__()[0]


def _latin1_bytes(text: str, encoding: str) -> bytes:
    """What Python 3's protocol-2 pickles call (as ``_codecs.encode``) to rebuild a bytes
    object, such as an array's raw data; only the latin-1 form is admitted."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


# Python 2's cPickle wrote numpy.core.multiarray; NumPy 2 names the same function under
# numpy._core (a batch re-saved from Python 3 with protocol 3 or 4 names it so).
_NUMPY_ARRAY_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_bytes,
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` admits only NumPy array reconstruction."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _NUMPY_ARRAY_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused global {module}.{name}: only NumPy arrays may be rebuilt"
            ) from None


def load_numpy_pickle(data: bytes, source: str | Path, encoding: str = "bytes") -> Any:
    """Unpickle ``data``; ``encoding`` reads Python 2 strings ("bytes" keeps them as bytes, as the
    CIFAR batches need; "latin1" as NumPy's own ``np.load`` reads Python 2 object arrays).

    Any failure, a refused global included, is a one-line ``DiffmmError`` naming ``source``.
    """
    try:
        return NumpyOnlyUnpickler(io.BytesIO(data), encoding=encoding).load()
    except Exception as error:  # a corrupt pickle raises many types; all mean "bad file"
        raise DiffmmError(f"cannot unpickle {source}: {error}") from error
