"""Stopping a training run cleanly on Ctrl-C (SIGINT) or ``kill`` (SIGTERM).

While a ``StopRequests`` block is active the first of these signals only sets ``requested``;
the trainer finishes its optimizer step, saves a checkpoint and raises ``TrainingInterrupted``,
whose one-line message says where the checkpoint is and how to resume. A second signal acts
as before (KeyboardInterrupt / termination) for a user who will not wait for the save.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from diffmm.errors import DiffmmError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(DiffmmError):
    """A run stopped by a signal after saving its checkpoint; exit status 128 + signal."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_status = 128 + signum


class StopRequests:
    """``with StopRequests() as stop:`` ... ``stop.requested`` (0, or the signal's number)."""

    def __init__(self) -> None:
        self.requested = 0
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = signum
        signal.signal(signum, self._previous[signum])  # a second signal is not deferred

    def __enter__(self) -> StopRequests:
        # signal handlers can only be installed from the main thread; elsewhere none are
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
