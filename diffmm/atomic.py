"""Atomic file writes, spelled once: a file appears at its path only when it is complete.

Each writer gets a temporary file beside the target (same folder, so the final rename never
crosses a file system; same suffix, so writers that pick the format by it still do), which
is renamed into place when the block ends without an error and removed otherwise: an
interrupted run never leaves a half-written file that looks complete, and an existing file
is replaced only by a whole new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that becomes ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes 0600 files; give the output the mode a plain open() would
        temporary.chmod(0o666 & ~current_umask())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file handle whose content appears at ``path`` only once fully written."""
    with atomic_path(path) as temporary, open(temporary, "wb") as file:
        yield file


def write_text_atomic(path: str | Path, text: str) -> Path:
    """``Path.write_text``, atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(text)
    return Path(path)
