"""Bad input and data safety through the real ``diffmm`` entry point (``diffmm.cli.main:main``).

Each case is a mistake that once gave a silent wrong result or lost a file: every one must end
in exit status 2 and one line naming the input and what is wrong (or a documented warning),
and leave every file that existed before byte-for-byte as it was. Tiny random-weight bundles,
built once per module.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from test_cli_messages import timegrad_bundle, toy_bundle

from diffmm.atomic import atomic_path
from diffmm.audio.mel import MelSpectrogram, get_mel_preset, log_mel_range
from diffmm.bundle import export_bundle
from diffmm.cli.main import main
from diffmm.diffusion.config import DiffusionConfig
from diffmm.models.diffwave import DiffWave, DiffWaveConfig
from diffmm.models.toy import ToyMLP, ToyModelConfig
from diffmm.models.vocoder import FAST_BETAS, Vocoder

PRESET = get_mel_preset("hifigan", sample_rate=8000, n_mels=8, hop_length=32, fmax=4000.0)
FORECAST = ["--num-samples", "2", "--sampler", "ddim", "--steps", "2"]
QUARTERS = 12  # rows of the forecast CSVs: the tiny TimeGrad reads the last 4 + 4 (lags 1, 4)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    torch.manual_seed(0)
    vocoder = Vocoder(
        DiffWave(DiffWaveConfig(2, 4, 2, PRESET.n_mels, PRESET.hop_length)),
        DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05),
        PRESET,
        FAST_BETAS,
    )
    cube = ToyModelConfig(dim=3, hidden=8, num_layers=1, time_embed_dim=8)
    diffusion = {"schedule": "linear", "num_steps": 20, "beta_start": 1e-4, "beta_end": 0.2}
    return {
        "toy": toy_bundle(root / "toy"),
        "timegrad": timegrad_bundle(root / "timegrad"),
        "vocoder": vocoder.export(root / "vocoder"),
        # 3-D points: sampled fine, but with no PNG rendering (fails after the sampling)
        "cube": export_bundle(
            root / "cube",
            family="toy",
            config={"model": vars(cube), "diffusion": diffusion, "data_shape": [3]},
            model=ToyMLP(cube),
        ),
    }


def cli(capsys: pytest.CaptureFixture, *argv: object) -> tuple[int, list[str]]:
    """Exit status and the stderr lines of ``diffmm ARGV`` (tqdm's bar lines left out)."""
    capsys.readouterr()
    status = main([str(a) for a in argv])
    lines = capsys.readouterr().err.splitlines()
    return status, [line for line in lines if line.startswith("diffmm ")]


def refused(capsys: pytest.CaptureFixture, *argv: object, words: Sequence[str]) -> str:
    status, lines = cli(capsys, *argv)
    assert status == 2 and len(lines) == 1, (status, lines)
    assert lines[0].startswith(f"diffmm {argv[0]}: error: ")
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def quarterly(values: np.ndarray, names: tuple[str, ...] = ("gdp", "cpi")) -> pd.DataFrame:
    dates = pd.period_range("2000Q1", periods=len(values), freq="Q").to_timestamp(how="end")
    frame = pd.DataFrame(values, columns=list(names))
    frame.insert(0, "date", dates.strftime("%Y-%m-%d"))
    return frame


def series_frame(rows: int = QUARTERS) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return quarterly(100.0 + rng.normal(size=(rows, 2)).cumsum(axis=0))


def save(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_outputs_are_never_lost(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    source = save(series_frame(), tmp_path / "series.csv")
    mel = np.random.default_rng(1).normal(size=(8, 6)).astype(np.float32) - 4.0
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "utt.npy", mel)
    existing = tmp_path / "samples.npy"
    np.save(existing, np.zeros(3))
    (tmp_path / "wavs").mkdir()
    (tmp_path / "wavs/utt.wav").write_bytes(b"the user's own recording")
    (tmp_path / "afile").write_text("not a folder")
    before = snapshot(tmp_path)

    vocode = ["vocode", bundles["vocoder"], "--batch-size", "2"]
    refused(capsys, *vocode, "--mel", tmp_path / "a/utt.npy", tmp_path / "b/utt.npy", "-o",
            tmp_path / "out", words=("a/utt.npy and", "b/utt.npy would both be written to",
                                     "out/utt.wav"))  # fmt: skip
    assert not (tmp_path / "out").exists()
    refused(capsys, "forecast", bundles["timegrad"], "--input", source, "-o", source, *FORECAST,
            words=(f"output {source} is the input {source}",))  # fmt: skip
    refused(capsys, "sample", bundles["toy"], "-o", existing, "-n", "2",
            words=(f"{existing} exists already", "--overwrite"))  # fmt: skip
    refused(capsys, "forecast", bundles["timegrad"], "--input", source, "-o", existing.parent /
            "series.csv", "--plot", tmp_path / "wavs/utt.wav", *FORECAST,
            words=("is the input",))  # fmt: skip
    refused(capsys, *vocode, "--mel", tmp_path / "a/utt.npy", "-o", tmp_path / "wavs",
            words=(f"{tmp_path / 'wavs/utt.wav'} exists already", "--overwrite"))  # fmt: skip
    wav = tmp_path / "wavs/utt.wav"
    refused(capsys, *vocode, "--wav-dir", tmp_path / "wavs", "-o", tmp_path / "wavs",
            "--overwrite", words=(f"output {wav} is the input {wav}",))  # fmt: skip
    refused(capsys, *vocode, "--mel", tmp_path / "a/utt.npy", "-o", tmp_path / "afile",
            words=(f"-o {tmp_path / 'afile'} exists and is not a folder",))  # fmt: skip
    assert snapshot(tmp_path) == before

    # asked for: replaced by a whole new file, and nothing else left behind
    status, _ = cli(capsys, *vocode, "--mel", tmp_path / "a/utt.npy", "-o", tmp_path / "wavs",
                    "--overwrite")  # fmt: skip
    assert status == 0
    assert (tmp_path / "wavs/utt.wav").read_bytes()[:4] == b"RIFF"
    assert sorted(p.name for p in (tmp_path / "wavs").iterdir()) == ["utt.wav"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    plot = tmp_path / "plot.png"
    plot.write_bytes(b"an earlier plot")
    refused(capsys, "sample", bundles["cube"], "-o", plot, "-n", "2", "--overwrite",
            words=("no PNG rendering", "(2, 3)"))  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]
    assert plot.read_bytes() == b"an earlier plot"
    with pytest.raises(KeyboardInterrupt), atomic_path(plot) as temporary:
        temporary.write_bytes(b"half")
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_forecast_inputs_are_checked_against_the_bundle(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good = series_frame()
    values = good[["gdp", "cpi"]].to_numpy()
    yearly = quarterly(values).assign(date=[f"{2000 + k}-12-31" for k in range(QUARTERS)])
    blind = good.copy()
    blind.loc[QUARTERS - 4 :, "cpi"] = np.nan
    inf = values[:, 0] * np.where(np.arange(QUARTERS) == 2, np.inf, 1.0)
    cases = {
        "all_nan": (good.assign(cpi=np.nan), ["all_nan.csv: series 'cpi' has no value"]),
        "inf": (good.assign(gdp=inf), ["infinite value inf", "column 'gdp' at data row 3"]),
        "minus_inf": (good.assign(cpi=-np.inf), ["infinite value -inf", "'cpi'"]),
        "yearly": (yearly, ["yearly.csv", "mostly 4 periods of frequency 'Q-DEC'"]),
        "renamed": (
            quarterly(values, ("gdp", "inflation")),
            ["'inflation' are not the bundle", "lacks 'cpi'"],
        ),
        "one_series": (good.drop(columns="cpi"), ["trained on 2 series", "has 1"]),
        "three_series": (good.assign(rate=1.0), ["trained on 2 series", "has 3"]),
        "blind": (blind, ["'cpi' has no value in the last 4 steps before 2003Q1"]),
    }
    for name, (frame, words) in cases.items():
        source = save(frame, tmp_path / f"{name}.csv")
        refused(capsys, "forecast", bundles["timegrad"], "--input", source, "-o",
                tmp_path / f"{name}_out.csv", *FORECAST, words=words)  # fmt: skip
    lines = tmp_path / "other_freq.jsonl"
    lines.write_text('{"start": "2000-01", "target": [1, 2, 3], "freq": "M"}\n')
    refused(capsys, "forecast", bundles["timegrad"], "--input", lines, "-o", tmp_path / "j.csv",
            *FORECAST, words=("other_freq.jsonl", "says frequency 'M'", "'Q-DEC'"))  # fmt: skip
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".csv"] * len(cases) + [".jsonl"]


def forecast_table(bundle: Path, source: Path, out: Path, capsys) -> tuple[pd.DataFrame, list]:
    status, lines = cli(capsys, "forecast", bundle, "--input", source, "-o", out, *FORECAST)
    assert status == 0, lines
    return pd.read_csv(out), [line for line in lines if ": warning: " in line]


def test_unsorted_rows_are_sorted_and_gaps_read_as_missing_with_a_warning(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good = series_frame()
    expected, quiet = forecast_table(
        bundles["timegrad"], save(good, tmp_path / "good.csv"), tmp_path / "good_out.csv", capsys
    )
    assert quiet == []

    shuffled = save(good.iloc[[0, 1, 5, 2, 3, 4, *range(6, QUARTERS)]], tmp_path / "shuffled.csv")
    table, warnings = forecast_table(bundles["timegrad"], shuffled, tmp_path / "s.csv", capsys)
    pd.testing.assert_frame_equal(table, expected)  # the same forecast as the sorted rows
    assert len(warnings) == 1 and "shuffled.csv: rows are not in time order" in warnings[0]
    assert "2000-09-30 00:00:00 at data row 4 comes after 2001-06-30" in warnings[0]

    early_gap = save(good.drop(index=1), tmp_path / "early_gap.csv")  # before the 8 rows read
    table, warnings = forecast_table(bundles["timegrad"], early_gap, tmp_path / "e.csv", capsys)
    pd.testing.assert_frame_equal(table, expected)
    assert warnings == []

    gap = save(good.drop(index=QUARTERS - 3), tmp_path / "gap.csv")  # 2002Q2 has no row
    table, warnings = forecast_table(bundles["timegrad"], gap, tmp_path / "g.csv", capsys)
    assert len(warnings) == 1
    assert "gap.csv: 2 of the 16 values the model reads are missing" in warnings[0]
    assert "series 'gdp' at 2002Q2" in warnings[0] and "0 in the lags" in warnings[0]
    assert list(table["timestamp"]) == list(expected["timestamp"])
    assert not np.allclose(table["mean"], expected["mean"])  # the gap is read, not skipped


def test_vocode_refuses_mels_that_are_not_the_bundles_log_mels(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    low, high = log_mel_range(PRESET)
    assert low == pytest.approx(math.log(1e-5))
    t = torch.arange(4000) / 8000
    square = torch.sign(torch.sin(2 * math.pi * 1000 * t))  # ±1 in phase: near the bound
    log_mel = MelSpectrogram(PRESET)(square)[0]
    assert low <= float(log_mel.min()) and float(log_mel.max()) <= high
    assert float(log_mel.max()) > high - 1.0  # the bound is close, not loose

    out_of_range = [f"outside [{low:.3g}, {high:.3g}]", "linear-magnitude"]
    cases = {
        "integer": (log_mel.round().to(torch.int64).numpy(), ["integer.npy", "int64 values"]),
        "batch": (np.stack([log_mel.numpy()] * 2), ["batch.npy", "shape (2, 8, 125)"]),
        "linear": (log_mel.exp().numpy(), ["linear.npy", *out_of_range]),
    }
    vocode = ["vocode", bundles["vocoder"]]
    for name, (array, words) in cases.items():
        np.save(tmp_path / f"{name}.npy", array)
        refused(capsys, *vocode, "--mel", tmp_path / f"{name}.npy", "-o", tmp_path / name,
                words=words)  # fmt: skip
        assert not (tmp_path / name).exists()

    quiet = (log_mel - float(log_mel.max()) - 10.0).exp()  # a linear mel inside the range
    np.save(tmp_path / "quiet.npy", quiet.numpy())
    np.save(tmp_path / "one.npy", log_mel[None].numpy())
    status, lines = cli(capsys, *vocode, "--mel", tmp_path / "quiet.npy", tmp_path / "one.npy",
                        "-o", tmp_path / "out")  # fmt: skip
    assert status == 0
    warnings = [line for line in lines if ": warning: " in line]
    assert len(warnings) == 2
    assert "quiet.npy: no mel value is below 0" in warnings[0] + warnings[1]
    assert "one.npy: read the (1, 8, frames) array as one mel" in warnings[0] + warnings[1]


def test_sample_checks_the_bundle_files(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import shutil

    extra_key = shutil.copytree(bundles["toy"], tmp_path / "extra_key")
    config = yaml.safe_load((extra_key / "config.yaml").read_text())
    (extra_key / "config.yaml").write_text(yaml.safe_dump({**config, "guidance": 3.0}))
    no_extras = shutil.copytree(bundles["toy"], tmp_path / "no_extras")
    (no_extras / "extras.safetensors").unlink()
    out = tmp_path / "out.npy"
    refused(capsys, "sample", extra_key, "-o", out,
            words=("key(s) guidance unknown to the 'toy' schema", "data_shape"))  # fmt: skip
    refused(capsys, "sample", no_extras, "-o", out,
            words=("no_extras has no extras.safetensors", "incomplete"))  # fmt: skip
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_gpu_this_machine_lacks_is_one_line(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    np.save(tmp_path / "utt.npy", np.full((8, 4), -5.0, dtype=np.float32))
    refused(capsys, "sample", bundles["toy"], "--device", "cuda", "-o", tmp_path / "s.npy",
            words=("device 'cuda' is not available",))  # fmt: skip
    refused(capsys, "vocode", bundles["vocoder"], "--mel", tmp_path / "utt.npy", "--device",
            "cuda:0", "-o", tmp_path / "o", words=("device 'cuda:0' is not available",))  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["utt.npy"]


def test_egs_stage_must_be_an_integer(repo_root: Path) -> None:
    script = repo_root / "egs/toy/ddpm/run.sh"
    for option, value in (("--stage", "abc"), ("--stop-stage", "1.5")):
        done = subprocess.run([str(script), option, value, "--tag", "never_made"],
                              capture_output=True, text=True, timeout=60, env=os.environ.copy())  # fmt: skip
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.strip().splitlines() == [
            f"{script}: option {option} takes an integer, got '{value}'"
        ]
    assert not (script.parent / "exp/never_made").exists()
