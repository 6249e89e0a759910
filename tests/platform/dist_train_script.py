"""Run by test_distributed.py under ``torch.distributed.run``: train the tiny problem, then
write a digest of this rank's parameters and EMA to ``<out_dir>/rank<i>.json``."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from tiny_training import make_trainer


def digest(tensors) -> str:
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def main() -> None:
    exp_dir, max_steps, out_dir = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    trainer = make_trainer(exp_dir, max_steps, save_every=3, log_every=2)
    resumed_from = trainer.step
    result = trainer.train()
    acc = trainer.accelerator
    record = {
        "num_processes": acc.num_processes,
        "resumed_from": resumed_from,
        "step": result.step,
        "params": digest(trainer.model.parameters()),
        "ema": digest(v for shadow in trainer.ema.shadows for v in shadow.values()),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"rank{acc.process_index}.json").write_text(json.dumps(record))
    trainer.close()


if __name__ == "__main__":
    main()
