"""The base class of errors caused by the user's input (config, files, data), not by a bug,
and the wrapper that prints them on one line.

The CLI and the recipes catch user errors and print their message on one line, without a
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable


class DiffmmError(Exception):
    """A problem the user can fix: a bad config value, a missing or corrupt file, a diverged run."""


# PermissionError: a write refused by the file system is the user's to fix, not a bug
USER_ERRORS = (DiffmmError, ValueError, FileNotFoundError, PermissionError)


def run_entry_point(prog: str, fn: Callable[[], int | None]) -> int:
    """Call ``fn``; a user error prints ``prog: error: message`` and returns 2 (or the
    error's ``exit_status``); Ctrl-C prints ``prog: interrupted`` and returns 130.

    Warnings (what was done about a doubtful input: rows sorted, gaps filled) print as one
    line, ``prog: warning: message``. Set DIFFMM_DEBUG=1 to get tracebacks and Python's own
    warning format instead.
    """
    try:
        with warnings.catch_warnings():
            if not os.environ.get("DIFFMM_DEBUG"):
                warnings.showwarning = _one_line_warning(prog)
            return int(fn() or 0)
    except USER_ERRORS as err:
        if os.environ.get("DIFFMM_DEBUG"):
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return getattr(err, "exit_status", 2)
    except KeyboardInterrupt:
        if os.environ.get("DIFFMM_DEBUG"):
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT, as a shell reports it


def _one_line_warning(prog: str) -> Callable[..., None]:
    def show(message: Warning | str, *_: object, **__: object) -> None:
        text = str(message).strip()
        print(f"{prog}: warning: {text.splitlines()[0] if text else message}", file=sys.stderr)

    return show
