"""A new user's mistakes through the installed ``diffmm`` command: each ends with exit status 2
and one line saying what is wrong (never a traceback), before any sampling is done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from diffmm.bundle import export_bundle
from diffmm.diffusion.config import DiffusionConfig
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.models.toy import ToyMLP, ToyModelConfig
from diffmm.timeseries import TimeFeatureSpec

DIFFMM = Path(sys.executable).parent / "diffmm"
TOY_DIFFUSION = {"schedule": "linear", "num_steps": 20, "beta_start": 1e-4, "beta_end": 0.2}


def toy_bundle(path: Path) -> Path:
    model_cfg = ToyModelConfig(dim=2, hidden=8, num_layers=1, time_embed_dim=8)
    config = {"model": vars(model_cfg), "diffusion": TOY_DIFFUSION, "data_shape": [2]}
    return export_bundle(path, family="toy", config=config, model=ToyMLP(model_cfg))


def timegrad_bundle(path: Path) -> Path:
    features = TimeFeatureSpec("Q-DEC")
    cfg = TimeGradModelConfig(
        target_dim=2,
        lags=[1, 4],
        num_time_features=features.num_features,
        context_length=4,
        prediction_length=2,
        hidden_size=8,
    )
    diffusion = DiffusionConfig(schedule="linear", num_steps=10, beta_start=1e-4, beta_end=0.1)
    predictor = TimeGradPredictor(TimeGrad(cfg), diffusion, features, ["gdp", "cpi"], {"step": 0})
    return predictor.export(path)


CALLS = """
import contextlib, io, json, sys
from importlib.metadata import entry_points

(script,) = [e for e in entry_points(group="console_scripts") if e.name == "diffmm"]
main, results = script.load(), []
for argv in json.loads(sys.argv[1]):
    sys.argv, stderr = ["diffmm", *argv], io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            status = main()
        except SystemExit as exit:
            status = exit.code
        except BaseException as error:  # a traceback: recorded so the test names the case
            status = repr(error)
    results.append((status, stderr.getvalue()))
print(json.dumps(results))
"""


def run_console_script(argvs: list[list[str]]) -> list[tuple[int, str]]:
    """(exit status, stderr) of the installed ``diffmm`` console script's entry point called
    with each argv, all in one process (one torch import instead of one per case)."""
    env = {k: v for k, v in os.environ.items() if k != "DIFFMM_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", CALLS, json.dumps(argvs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [tuple(result) for result in json.loads(done.stdout.strip().splitlines()[-1])]


def test_the_installed_command_prints_one_line(tmp_path: Path) -> None:
    """The ``diffmm`` executable itself, once: a file given for a bundle directory."""
    weights = toy_bundle(tmp_path / "toy") / "model.safetensors"
    done = subprocess.run(
        [str(DIFFMM), "info", str(weights)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"diffmm info: error: {weights} is a file; a bundle is the directory holding "
        "config.yaml and model.safetensors"
    )


def read_only_folder(tmp_path: Path) -> Path | None:
    """A folder this process cannot write into: a chmod 0555 folder, or for root (whom file
    modes do not stop) /sys where it refuses new files; None when there is neither."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys")):
        try:
            (candidate / "probe").touch()
        except OSError:
            return candidate
        (candidate / "probe").unlink()
    return None


def test_each_mistake_is_one_line_and_exit_status_2(tmp_path: Path) -> None:
    toy = toy_bundle(tmp_path / "toy")
    timegrad = timegrad_bundle(tmp_path / "timegrad")
    unknown = toy_bundle(tmp_path / "unknown")
    config = yaml.safe_load((unknown / "config.yaml").read_text())
    (unknown / "config.yaml").write_text(yaml.safe_dump({**config, "family": "toy_typo"}))
    no_dates = tmp_path / "macro.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"gdp": rng.normal(size=12), "cpi": rng.normal(size=12)}).to_csv(
        no_dates, index=False
    )
    out = str(tmp_path / "out.npy")
    cases = {
        "a file for a bundle": (
            ["sample", str(toy / "model.safetensors"), "-o", out],
            ["model.safetensors is a file", "directory holding config.yaml"],
        ),
        "--device foo": (
            ["sample", str(toy), "--device", "foo", "-o", out],
            ["device 'foo' is not a device name", "cuda:N"],
        ),
        "unknown family": (
            ["sample", str(unknown), "-o", out],
            ["unknown model family 'toy_typo'", "diffwave", "image", "priorgrad", "timegrad"],
        ),
        "CSV without timestamps": (
            ["forecast", str(timegrad), "--input", str(no_dates), "-o", str(tmp_path / "q.csv")],
            ["macro.csv: no timestamp column", "'gdp'", "timestamp, date"],
        ),
        "a TimeGrad bundle to sample": (
            ["sample", str(timegrad), "-o", out],
            ["'timegrad' model", "use `diffmm forecast`"],
        ),
    }
    read_only = read_only_folder(tmp_path)
    if read_only is not None:
        cases["a read-only folder"] = (
            ["sample", str(toy), "-o", str(read_only / "out.npy"), "-n", "4"],
            [f"cannot write {read_only / 'out.npy'}", "ermission denied"],
        )
    results = run_console_script([argv for argv, _ in cases.values()])
    for (name, (_, words)), (status, stderr) in zip(cases.items(), results):
        lines = stderr.strip().splitlines()
        assert status == 2, (name, stderr)
        assert len(lines) == 1 and lines[0].startswith("diffmm "), (name, stderr)
        for word in words:
            assert word in lines[0], (name, word, lines[0])
    if read_only is not None:
        assert not (read_only / "out.npy").exists()
    assert read_only is not None or sys.platform != "linux", "no read-only folder to test with"


def test_a_device_name_that_torch_rejects_is_a_diffmm_error(tmp_path: Path) -> None:
    from diffmm.bundle import load
    from diffmm.errors import DiffmmError

    with pytest.raises(DiffmmError, match="not a device name"):
        load(toy_bundle(tmp_path / "toy"), device="gpu0")
    assert load(tmp_path / "toy", device=torch.device("cpu")).model.training is False
