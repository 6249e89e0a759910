"""Running a command-line program so that user errors read as one line, not a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from diffmm.errors import DiffmmError

USER_ERRORS = (DiffmmError, ValueError, FileNotFoundError)


def run_entry_point(prog: str, fn: Callable[[], int | None]) -> int:
    """Call ``fn``; a user error prints ``prog: error: message`` and returns 2.

    Set DIFFMM_DEBUG=1 to get the traceback instead.
    """
    try:
        return int(fn() or 0)
    except USER_ERRORS as err:
        if os.environ.get("DIFFMM_DEBUG"):
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
