"""Options that every sampling command shares, spelled once."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from diffmm.errors import DiffmmError
from diffmm.models.precision import PRECISIONS


def add_precision_option(parser: argparse.ArgumentParser) -> None:
    """``--dtype {fp32,bf16,fp16}``: the network's precision (``diffmm.models.precision``)."""
    parser.add_argument(
        "--dtype", default="fp32", choices=PRECISIONS, help="network precision (fp16: GPU only)"
    )


def check_writable(*paths: str | Path | None) -> None:
    """Raise ``DiffmmError`` now, before any work, when an output path could not be written:
    its nearest existing folder is a file or refuses a new file (read-only, no permission).
    The probe creates and deletes a file there, since ``os.access`` says yes to root even on
    a read-only mount."""
    for path in paths:
        if path is None:
            continue
        base = Path(path).absolute().parent
        while not base.exists():
            base = base.parent
        if not base.is_dir():
            raise DiffmmError(f"cannot write {path}: {base} is a file, not a folder")
        try:
            with tempfile.TemporaryFile(dir=base):
                pass
        except OSError as err:
            raise DiffmmError(f"cannot write {path}: {base}: {err.strerror}") from None
