"""What every command may write, spelled once: the rules that keep the user's files safe.

- An output that already exists is refused unless ``--overwrite`` is given
  (``add_overwrite_option``); the check runs before any work, so a refused run costs nothing.
- An output that is one of the command's inputs is refused even with ``--overwrite``.
- Two outputs of one run that land on the same path (two inputs with the same stem written
  into one folder) are refused: the second would silently replace the first.
- Each file is written under a temporary name in its own folder and renamed into place only
  when complete (``atomic_path``), so an interrupted or failed run never leaves a half-written
  file that looks complete, and an existing file is replaced only by a whole new one.

``check_outputs`` applies the first three to ``(what, path)`` pairs (``what`` names the option
or the input the file comes from in messages); ``output_folder`` checks a folder output; ``atomic_path`` (``diffmm.atomic``) writes.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from diffmm.errors import DiffmmError


def add_overwrite_option(parser: argparse.ArgumentParser) -> None:
    """``--overwrite``: replace outputs that already exist (refused by default)."""
    parser.add_argument(
        "--overwrite", action="store_true", help="replace output files that already exist"
    )


def _same_file(a: Path, b: Path) -> bool:
    """Do ``a`` and ``b`` name one file (links and relative spellings included)?"""
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def check_outputs(
    outputs: Iterable[tuple[str, str | Path | None]],
    *,
    inputs: Sequence[str | Path] = (),
    overwrite: bool = False,
) -> None:
    """A one-line ``DiffmmError`` unless every output path can be written without losing a file:
    none is an input, no two are the same file, and none exists (unless ``overwrite``)."""
    claimed: dict[Path, str] = {}
    existing: list[Path] = []
    for what, path in outputs:
        if path is None:
            continue
        path = Path(path)
        for source in inputs:
            if _same_file(path, Path(source)):
                raise DiffmmError(
                    f"output {path} is the input {source}: choose another output (an input "
                    "is never overwritten)"
                )
        key = path.resolve()
        if key in claimed:
            raise DiffmmError(
                f"{claimed[key]} and {what} would both be written to {path}: rename one of them"
            )
        claimed[key] = what
        if path.is_dir():
            raise DiffmmError(f"{what} {path} is a folder, not a file")
        if path.exists():
            existing.append(path)
    if existing and not overwrite:
        more = f" and {len(existing) - 1} more exist" if len(existing) > 1 else " exists"
        raise DiffmmError(
            f"{existing[0]}{more} already: pass --overwrite to replace, or choose another output"
        )


def output_folder(path: str | Path, what: str = "-o") -> Path:
    """``path`` as a folder that outputs go into: an error if it exists as something else."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DiffmmError(f"{what} {path} exists and is not a folder")
    return path
