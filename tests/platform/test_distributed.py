"""Two gloo processes under torchrun: ranks stay in sync and a resumed run matches an unbroken one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

pytestmark = [
    pytest.mark.platform,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (dist.is_available() and dist.is_gloo_available()),
        reason="torch.distributed with the gloo backend is not available",
    ),
]

SCRIPT = Path(__file__).with_name("dist_train_script.py")


def torchrun(exp_dir: Path, max_steps: int, out_dir: Path) -> list[dict]:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node", "2", str(SCRIPT), str(exp_dir), str(max_steps), str(out_dir)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads((out_dir / f"rank{r}.json").read_text()) for r in range(2)]


def test_two_ranks_agree_and_resume_exactly(tmp_path: Path) -> None:
    first = torchrun(tmp_path / "split", 6, tmp_path / "out1")
    assert [r["num_processes"] for r in first] == [2, 2]  # really one gloo group, not 2 solo runs
    assert first[0]["params"] == first[1]["params"] and first[0]["ema"] == first[1]["ema"]
    state = json.loads(
        (tmp_path / "split/checkpoints/step_00000006/trainer_state.json").read_text()
    )
    assert len(state["generator_states"]) == 2
    assert state["generator_states"][0] != state["generator_states"][1]  # independent noise

    resumed = torchrun(tmp_path / "split", 12, tmp_path / "out2")
    whole = torchrun(tmp_path / "whole", 12, tmp_path / "out3")
    assert [r["resumed_from"] for r in resumed] == [6, 6]
    assert resumed[0] == resumed[1]
    assert {k: resumed[0][k] for k in ("params", "ema")} == {
        k: whole[0][k] for k in ("params", "ema")
    }
