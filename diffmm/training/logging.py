"""Training logs: one JSON object per line in ``<exp>/logs/*.jsonl`` plus TensorBoard in ``logs/tb``.

Only the main process creates a logger. On resume from step k, lines for steps after k
(written before a crash, after the last checkpoint) are dropped and TensorBoard purges its
events past k, so the logs read as one uninterrupted run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from torch import Tensor
from torch.utils.tensorboard import SummaryWriter


def _truncate_after(path: Path, step: int) -> None:
    if not path.is_file():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # a line cut short by a crash
            continue
        if record.get("step", 0) <= step:
            kept.append(line)
    path.write_text("".join(f"{line}\n" for line in kept))


class TrainLogger:
    """Writes ``train.jsonl`` / ``val.jsonl`` and TensorBoard scalars under ``log_dir``."""

    def __init__(self, log_dir: str | Path, resume_step: int = 0) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in ("train", "val"):
            _truncate_after(self.log_dir / f"{name}.jsonl", resume_step)
        purge_step = resume_step + 1 if resume_step > 0 else None
        self.tensorboard = SummaryWriter(str(self.log_dir / "tb"), purge_step=purge_step)

    def log(self, kind: str, step: int, values: dict[str, Any]) -> None:
        """Append ``{"step": step, **values}`` to ``<kind>.jsonl``; numbers also go to TensorBoard."""
        record = {"step": step, **values}
        with (self.log_dir / f"{kind}.jsonl").open("a") as f:
            f.write(json.dumps(record) + "\n")
        for name, value in values.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and name != "time":
                self.tensorboard.add_scalar(f"{kind}/{name}", value, step)
        self.tensorboard.flush()

    def close(self) -> None:
        self.tensorboard.close()


class IntervalSums:
    """Sums of the logged quantities since the last log line."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.step_sums: dict[str, float] = defaultdict(float)
        self.extra_sums: dict[str, float] = defaultdict(float)
        self.steps = 0
        self.micro_steps = 0

    def add_extras(self, extras: dict[str, float]) -> None:
        for name, value in extras.items():
            self.extra_sums[name] += float(value.detach() if isinstance(value, Tensor) else value)
        self.micro_steps += 1

    def add_step(self, **values: float) -> None:
        for name, value in values.items():
            self.step_sums[name] += value
        self.steps += 1
