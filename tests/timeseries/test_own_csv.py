"""docs/timegrad.md, "Your own CSV", run as written from a stand-in repository root (with the
smoke-run overrides the page gives): a quarterly file gets quarterly lags, context and time
features, and the forecast and its fan chart come out."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from doc_blocks import REPO_ROOT, code_blocks, run_shell, scratch_root
from gluonts.time_feature import get_lags_for_frequency

SECTION = "Your own CSV"


def section_blocks():
    blocks = [b for b in code_blocks(REPO_ROOT / "docs/timegrad.md") if b.heading == SECTION]
    assert [b.language for b in blocks] == ["python", "bash"], blocks
    return blocks


def smoke_overrides() -> str:
    """The overrides the page says to append for a smoke run."""
    text = (REPO_ROOT / "docs/timegrad.md").read_text()
    (overrides,) = re.findall(r"for a smoke run\s+in seconds append `([^`]+)`", text)
    return overrides


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = scratch_root(tmp_path_factory.mktemp("own_csv"))
    make_csv, shell = section_blocks()
    with pytest.MonkeyPatch.context() as patch:  # the page's Python, run from the root
        patch.chdir(root)
        exec(compile(make_csv.text, "docs/timegrad.md", "exec"), {})
    train, forecast = shell.commands
    assert train.startswith(".venv/bin/python recipes/timegrad.py ") and "own_data.yaml" in train
    printed = run_shell(f"{train} {smoke_overrides()}", root)
    run_shell(forecast, root)
    return {"root": root, "printed": printed}


def test_quarterly_file_gets_gluonts_quarterly_lags_and_features(ran: dict) -> None:
    quarterly_lags = [int(lag) for lag in get_lags_for_frequency("QE-DEC")]
    assert quarterly_lags[:4] == [1, 2, 3, 4] and 12 in quarterly_lags and 24 not in quarterly_lags
    line = next(row for row in ran["printed"].splitlines() if row.startswith("TimeGrad: "))
    assert line.startswith("TimeGrad: 5 series at Q-DEC, horizon 4; context 4 (the default")
    assert f"lags {quarterly_lags} (the default for Q-DEC)" in line
    assert "2 time features (month_of_year, age)" in line
    bundle = yaml.safe_load((ran["root"] / "exp/macro/bundle/config.yaml").read_text())
    assert bundle["model"]["lags"] == quarterly_lags
    assert bundle["model"]["context_length"] == 4  # one season of 4 quarters = the horizon
    assert bundle["model"]["num_time_features"] == 2
    assert bundle["time_features"]["freq"] == "Q-DEC"


def test_forecast_covers_the_next_year_of_every_series(ran: dict) -> None:
    table = pd.read_csv(ran["root"] / "macro_forecast.csv", parse_dates=["timestamp"])
    assert sorted(table.item_id.unique()) == ["cpi", "realcons", "realgdp", "realinv", "unemp"]
    assert sorted(table.timestamp.dt.strftime("%Y-%m").unique()) == [
        "2009-10",
        "2010-01",
        "2010-04",
        "2010-07",
    ]  # the file ends with 2009Q3
    assert (ran["root"] / "macro_fan.png").stat().st_size > 10_000


def test_a_source_on_the_command_line_replaces_the_configs() -> None:
    from diffmm.config import load_config
    from diffmm.timeseries.config import SeriesDataConfig, command_line_source_wins

    config = REPO_ROOT / "recipes/configs/timegrad/mini.yaml"
    argv = command_line_source_wins(["--config", str(config), "data.train=my.csv", "x=1"])
    overrides = argv[2:]
    assert overrides == ["data.dataset=null", "data.directory=null", "data.train=my.csv", "x=1"]
    data = load_config(SeriesDataConfig, None, [o.removeprefix("data.") for o in overrides[:3]])
    assert (data.dataset, data.directory, data.train) == (None, None, "my.csv")
    both = ["data.train=a.csv", "data.directory=d"]  # two sources: left to the one-source check
    assert command_line_source_wins(both) == both
