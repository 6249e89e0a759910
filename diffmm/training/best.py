"""The weights with the best validation metric so far, kept on disk beside the checkpoints.

    <exp_dir>/best/model.safetensors   the EMA weights of the best validation
    <exp_dir>/best/best.json           {"step": N, "<metric>": value}

Lower is better (a loss, CRPS, FID). Each file is written to a temporary name and renamed, the
weights before the record, so a crash at any moment leaves either the previous best pair or the
new one, never a record that points at torn weights. The record lives outside the checkpoints,
so it survives their pruning and a resumed run keeps comparing against it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from safetensors.torch import load_model, save_model
from torch import nn

from diffmm.errors import DiffmmError

WEIGHTS_FILE = "model.safetensors"
RECORD_FILE = "best.json"


class BestWeights:
    """Keeps the weights whose ``metric`` is the lowest seen so far in ``directory``."""

    def __init__(self, directory: str | Path, metric: str) -> None:
        self.directory = Path(directory)
        self.metric = metric

    @property
    def record(self) -> dict[str, Any] | None:
        """{"step": N, metric: value} of the kept weights, or None when nothing is kept."""
        path = self.directory / RECORD_FILE
        return json.loads(path.read_text()) if path.is_file() else None

    def offer(self, model: nn.Module, step: int, metrics: dict[str, float]) -> bool:
        """Keep ``model``'s weights if ``metrics[metric]`` beats the kept value; True if kept."""
        if self.metric not in metrics:
            raise DiffmmError(
                f"the validation returned {sorted(metrics)}, not the metric '{self.metric}' "
                "that picks the best weights"
            )
        value = float(metrics[self.metric])
        record = self.record
        if not math.isfinite(value) or (record is not None and record[self.metric] <= value):
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        weights = self.directory / WEIGHTS_FILE
        save_model(model, str(weights.with_suffix(".tmp")))
        os.replace(weights.with_suffix(".tmp"), weights)
        temp_record = self.directory / f"{RECORD_FILE}.tmp"
        temp_record.write_text(json.dumps({"step": step, self.metric: value}))
        os.replace(temp_record, self.directory / RECORD_FILE)
        return True

    def load_into(self, model: nn.Module) -> dict[str, Any] | None:
        """Load the kept weights into ``model``; their record, or None (``model`` untouched)."""
        record = self.record
        if record is not None:
            load_model(model, str(self.directory / WEIGHTS_FILE))
        return record
