"""QuickDraw class files in either public format, one class per file.

A folder of sketch-rnn ``<class>.npz`` files or of simplified ``<class>.ndjson`` files
(``full_simplified_<class>.ndjson`` as downloaded); the class name is the file's stem without
that prefix. sketch-rnn files carry their own train/valid/test splits; an ``.ndjson`` file has
none, so its first ``num_test`` drawings are the test split and the rest the training split
(reading stops once ``max_drawings`` are read: the full files hold 100k drawings or more).
"""

from __future__ import annotations

from pathlib import Path

from diffmm.errors import DiffmmError
from diffmm.sketch.ndjson import load_ndjson
from diffmm.sketch.sketchrnn_npz import load_sketchrnn_npz
from diffmm.sketch.strokes import Strokes, stroke3_to_strokes

SUFFIXES = (".npz", ".ndjson")


def quickdraw_class_files(folder: str | Path) -> list[Path]:
    """The class files of ``folder``, sorted by class name; one format only."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DiffmmError(f"QuickDraw folder not found: {folder}")
    files = {suffix: sorted(folder.glob(f"*{suffix}")) for suffix in SUFFIXES}
    found = [suffix for suffix, paths in files.items() if paths]
    if len(found) != 1:
        what = "both .npz and .ndjson files" if found else "no .npz or .ndjson files"
        raise DiffmmError(f"{folder} holds {what}: give a folder of one format")
    return sorted(files[found[0]], key=class_name)


def class_name(path: str | Path) -> str:
    return Path(path).stem.removeprefix("full_simplified_")


def load_class_drawings(
    path: str | Path, split: str = "train", *, max_drawings: int | None = None, num_test: int = 0
) -> list[Strokes]:
    """The drawings of one class file and split (``valid`` too for sketch-rnn files)."""
    path = Path(path)
    if path.suffix == ".npz":
        stroke3 = load_sketchrnn_npz(path, split)[:max_drawings]
        return [stroke3_to_strokes(d, f"{path}:{split}[{i}]") for i, d in enumerate(stroke3)]
    if path.suffix != ".ndjson":
        raise DiffmmError(f"{path}: QuickDraw files are .npz (sketch-rnn) or .ndjson")
    if split not in ("train", "test"):
        raise DiffmmError(f"{path}: an .ndjson file has train and test splits only, not {split!r}")
    if split == "test":
        wanted = num_test if max_drawings is None else min(num_test, max_drawings)
        return [d.strokes for d in load_ndjson(path, max_drawings=wanted)]
    limit = None if max_drawings is None else num_test + max_drawings
    return [d.strokes for d in load_ndjson(path, max_drawings=limit)[num_test:]]
