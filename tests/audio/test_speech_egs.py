"""The mini_speech egs end to end with tiny settings: every stage of both run.sh scripts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

TINY = (
    "trainer.max_steps=4 trainer.batch_size=2 trainer.val_every=0 trainer.save_every=0 "
    "model.residual_layers=2 model.residual_channels=4"
)


@pytest.mark.parametrize("recipe", ["diffwave", "priorgrad"])
def test_mini_speech_egs_runs_every_stage(tmp_path: Path, repo_root: Path, recipe: str) -> None:
    egs = tmp_path / recipe
    egs.mkdir()
    for name in ("run.sh", "path.sh", "cmd.sh", "utils", "conf"):
        (egs / name).symlink_to(repo_root / "egs/mini_speech" / recipe / name)
    out = subprocess.run(
        ["bash", str(egs / "run.sh"), "--num-synthetic", "0", "--train-args", TINY],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    tag = "mini" if recipe == "diffwave" else "mini_priorgrad"
    decode = egs / f"exp/{tag}/decode_valid_ddpm"
    valid = (egs / "data/valid/wav.scp").read_text().split("\n")
    assert len(list((decode / "wav").glob("*.wav"))) == len([x for x in valid if x]) == 3
    scores = json.loads((decode / "scores.json").read_text())
    assert scores, "stage 7 wrote no scores"
    assert (egs / f"exp/export/{tag}/model.safetensors").is_file()
    assert "real-time factor" in out.stdout + out.stderr
