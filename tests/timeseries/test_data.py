"""Readers (wide/long CSV, Parquet, JSON lines), frequency handling, bad input, GluonTS grouping."""

import json

import numpy as np
import pandas as pd
import pytest

from diffmm.errors import DiffmmError
from diffmm.timeseries.data import (
    MultivariateSeries,
    canonical_freq,
    group_test,
    group_train,
    load_gluonts_dataset,
    read_jsonl,
    read_series,
    read_table,
)

HOURS = pd.date_range("2021-03-01", periods=30, freq="h")


def _wide_frame() -> pd.DataFrame:
    """Two hourly series; rows 7 and 8 absent (a gap), one empty cell."""
    frame = pd.DataFrame(
        {"timestamp": HOURS, "north": np.arange(30.0), "south": 100 + 2 * np.arange(30.0)}
    )
    frame.loc[12, "north"] = np.nan
    return frame.drop(index=[7, 8]).reset_index(drop=True)


def _write_all_formats(tmp_path) -> dict:
    wide = _wide_frame()
    long = wide.melt(id_vars="timestamp", var_name="item_id", value_name="value")
    # rows out of time order, no empty cells; items keep their order of first appearance
    long = long.dropna().sort_values(["item_id", "timestamp"], ascending=[True, False])
    paths = {
        "wide_csv": tmp_path / "wide.csv",
        "long_csv": tmp_path / "long.csv",
        "wide_parquet": tmp_path / "wide.parquet",
        "long_parquet": tmp_path / "long.parquet",
        "jsonl": tmp_path / "data.jsonl",
    }
    wide.to_csv(paths["wide_csv"], index=False)
    long.to_csv(paths["long_csv"], index=False)
    wide.to_parquet(paths["wide_parquet"])
    long.to_parquet(paths["long_parquet"])
    full = _wide_frame().set_index("timestamp").reindex(HOURS)
    with open(paths["jsonl"], "w") as handle:
        for name in ("north", "south"):
            values = ["NaN" if np.isnan(v) else v for v in full[name]]
            handle.write(
                json.dumps({"start": "2021-03-01 00:00", "target": values, "item_id": name})
            )
            handle.write("\n")
    return paths


def test_all_formats_give_the_same_series(tmp_path):
    paths = _write_all_formats(tmp_path)
    reference = read_table(paths["wide_csv"])
    assert reference.freq == "h" and reference.length == 30
    assert reference.item_ids == ["north", "south"]
    assert reference.start == pd.Period("2021-03-01 00:00", freq="h")
    # the two absent rows and the empty cell are missing, nothing else
    missing = {(0, 7), (0, 8), (1, 7), (1, 8), (0, 12)}
    assert {tuple(x) for x in np.argwhere(~reference.observed)} == missing
    assert np.isnan(reference.target[~reference.observed]).all()
    np.testing.assert_array_equal(
        reference.target[1, reference.observed[1]], 100 + 2 * np.delete(np.arange(30.0), [7, 8])
    )
    for name in ("long_csv", "wide_parquet", "long_parquet", "jsonl"):
        other = read_jsonl(paths[name], freq="h") if name == "jsonl" else read_table(paths[name])
        np.testing.assert_array_equal(other.target, reference.target, err_msg=name)
        np.testing.assert_array_equal(other.observed, reference.observed, err_msg=name)
        assert (other.start, other.freq, other.item_ids) == (
            reference.start,
            "h",
            reference.item_ids,
        )
    assert read_series(paths["jsonl"], freq="h").item_ids == ["north", "south"]


def test_monthly_dates_and_frequency_aliases(tmp_path):
    path = tmp_path / "retail.csv"
    pd.DataFrame(
        {"Month": ["1982 Apr", "1982 May", "1982 Jun", "1982 Aug"], "x": [1, 2, 3, 4]}
    ).to_csv(path, index=False)
    series = read_table(path)
    assert series.freq == "M" and series.start == pd.Period("1982-04", freq="M")
    np.testing.assert_array_equal(series.observed[0], [True, True, True, False, True])
    month_ends = tmp_path / "ends.csv"
    pd.DataFrame({"date": ["2020-01-31", "2020-02-29", "2020-03-31"], "x": [1, 2, 3]}).to_csv(
        month_ends, index=False
    )
    assert read_table(month_ends, freq="ME").freq == "M"
    assert [canonical_freq(f) for f in ("H", "1h", "ME", "MS", "QS-OCT", "YS", "W")] == [
        "h",
        "h",
        "M",
        "M",
        "Q-DEC",
        "Y-DEC",
        "W-SUN",
    ]


def test_timezone_aware_timestamps_become_utc(tmp_path):
    path = tmp_path / "tz.csv"
    stamps = ["2021-01-01T10:00:00+01:00", "2021-01-01T11:00:00+01:00", "2021-01-01T12:00:00+01:00"]
    pd.DataFrame({"timestamp": stamps, "x": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    assert read_table(path).start == pd.Period("2021-01-01 09:00", freq="h")


@pytest.mark.parametrize(
    "rows, message",
    [
        (
            {
                "timestamp": ["2021-01-01 00:00", "2021-01-01 01:00", "2021-01-01 01:00"],
                "x": [1, 2, 3],
            },
            "duplicate timestamps: 2021-01-01 01:00",
        ),
        (
            {
                "timestamp": [
                    "2021-01-01 00:00",
                    "2021-01-01 01:00",
                    "2021-01-01 01:37",
                    "2021-01-01 03:00",
                ],
                "x": [1, 2, 3, 4],
            },
            "irregular spacing",
        ),
        (
            {"timestamp": ["2021-01-01", "2021-01-02", "2021-01-03"], "x": ["1", "two", "3"]},
            "non-numeric value 'two' in column 'x' at data row 2",
        ),
        (
            {"timestamp": ["2021-01-01", "not a date", "2021-01-03"], "x": [1, 2, 3]},
            "'not a date' at data row 2 is not a date",
        ),
    ],
)
def test_bad_tables_name_the_problem(tmp_path, rows, message):
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DiffmmError, match=message):
        read_table(path)


def test_more_bad_input(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DiffmmError, match="empty"):
        read_table(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("timestamp,x\n")
    with pytest.raises(DiffmmError, match="no data rows"):
        read_table(header_only)
    long = tmp_path / "long.csv"
    pd.DataFrame(
        {"item_id": ["a", "a", "b"], "timestamp": ["2021-01-01"] * 3, "value": [1, 2, 3]}
    ).to_csv(long, index=False)
    with pytest.raises(DiffmmError, match="duplicate timestamps: item 'a' at 2021-01-01 00:00:00"):
        read_table(long)
    hourly = tmp_path / "hourly.csv"
    pd.DataFrame({"timestamp": HOURS[:4], "x": [1, 2, 3, 4]}).to_csv(hourly, index=False)
    with pytest.raises(DiffmmError, match="fall in one period"):
        read_table(hourly, freq="D")
    lines = tmp_path / "mismatch.jsonl"
    lines.write_text(
        '{"start": "2021-01-01", "target": [1, 2, 3]}\n{"start": "2021-01-01", "target": [1, 2]}\n'
    )
    with pytest.raises(DiffmmError, match="line 2: every line must share start and length"):
        read_jsonl(lines, freq="D")
    with pytest.raises(DiffmmError, match="no frequency"):
        read_jsonl(lines)


def test_series_slice_and_index():
    target = np.arange(12, dtype=np.float32).reshape(2, 6)
    series = MultivariateSeries(target, np.ones_like(target, bool), "2020-01", "ME", ["a", "b"])
    assert series.freq == "M" and series.end == pd.Period("2020-06", freq="M")
    tail = series.slice(-2)
    assert tail.start == pd.Period("2020-05", freq="M")
    np.testing.assert_array_equal(tail.target, target[:, 4:])
    assert list(series.index[2:4].astype(str)) == ["2020-03", "2020-04"]
    assert list(series.future_index(2).astype(str)) == ["2020-07", "2020-08"]
    with pytest.raises(DiffmmError, match="empty"):
        series.slice(3, 3)


def _synthetic_gluonts(num_series=3, prediction_length=4, num_test_dates=3):
    """Univariate train/test entries as a GluonTS repository dataset lays them out."""
    rng = np.random.default_rng(0)
    starts = [pd.Period("2021-01-01 00:00", freq="h") + k for k in (0, 2, 5)][:num_series]
    train_lengths = [40, 38, 35]  # all end together, as in the benchmarks
    full = [
        rng.normal(size=length + num_test_dates * prediction_length).astype(np.float32) + 10
        for length in train_lengths
    ]
    full[1][3] = np.nan  # a missing value inside a series
    train = [
        {"start": s, "target": f[:n], "item_id": k}
        for k, (s, f, n) in enumerate(zip(starts, full, train_lengths))
    ]
    test = [
        {"start": s, "target": f[: n + (date + 1) * prediction_length], "item_id": k}
        for date in range(num_test_dates)
        for k, (s, f, n) in enumerate(zip(starts, full, train_lengths))
    ]
    return train, test


def test_grouping_matches_gluonts_multivariate_grouper():
    from gluonts.dataset.common import ListDataset
    from gluonts.dataset.multivariate_grouper import MultivariateGrouper

    train, test = _synthetic_gluonts()
    # gluonts' grouper expects the entries it reads from a ListDataset
    train_ds = ListDataset([dict(e, start=str(e["start"])) for e in train], freq="h")
    test_ds = ListDataset([dict(e, start=str(e["start"])) for e in test], freq="h")
    reference_train = list(MultivariateGrouper(max_target_dim=3)(train_ds))
    reference_test = list(
        MultivariateGrouper(max_target_dim=3, num_test_dates=len(test) // len(train))(test_ds)
    )

    ours = group_train(train, "h")
    (entry,) = reference_train
    assert ours.start == entry["start"] and ours.target.shape == entry["target"].shape
    np.testing.assert_array_equal(ours.target[ours.observed], entry["target"][ours.observed])
    # where we mark padding as missing, the grouper fills the series' mean
    padded = ~ours.observed & ~np.isnan(np.asarray(entry["target"]))
    for row in range(3):
        np.testing.assert_allclose(
            entry["target"][row, padded[row]], np.nanmean(train[row]["target"])
        )

    windows = group_test(test, "h", len(test) // len(train))
    assert len(windows) == len(reference_test) == 3
    for window, entry in zip(windows, reference_test):
        assert window.start == entry["start"] and window.target.shape == entry["target"].shape
        np.testing.assert_array_equal(
            window.target[window.observed], entry["target"][window.observed]
        )
        padded = ~window.observed & ~np.isnan(np.asarray(entry["target"]))
        assert (entry["target"][padded] == 0).all()  # the grouper's test padding is 0
    # consecutive windows end one prediction length apart
    assert [w.length for w in windows] == [windows[0].length + 4 * k for k in range(3)]


def _write_gluonts_folder(folder, train, test, prediction_length=4):
    for split, entries in (("train", train), ("test", test)):
        (folder / split).mkdir(parents=True)
        with open(folder / split / "data.json", "w") as handle:
            for entry in entries:
                values = [None if np.isnan(v) else float(v) for v in entry["target"]]
                handle.write(
                    json.dumps(
                        {
                            "start": str(entry["start"]),
                            "target": values,
                            "item_id": entry["item_id"],
                        }
                    )
                    + "\n"
                )
    (folder / "metadata.json").write_text(
        json.dumps({"freq": "H", "prediction_length": prediction_length})
    )


def test_load_gluonts_dataset_from_a_folder(tmp_path):
    train, test = _synthetic_gluonts()
    _write_gluonts_folder(tmp_path / "electricity_nips", train, test)
    data = load_gluonts_dataset("electricity_nips", path=tmp_path)
    assert data.freq == "h" and data.prediction_length == 4 and len(data.test_windows) == 3
    expected = group_train(train, "h")
    np.testing.assert_array_equal(data.train.target, expected.target)
    np.testing.assert_array_equal(data.test_windows[-1].target, group_test(test, "h", 3)[-1].target)


def test_offline_download_failure_says_where_to_put_files(tmp_path, monkeypatch):
    from gluonts.dataset.repository import datasets

    def no_network(**kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setitem(datasets.dataset_recipes, "traffic_nips", no_network)
    with pytest.raises(DiffmmError, match=r"copy the folder traffic_nips/ .*into " + str(tmp_path)):
        load_gluonts_dataset("traffic_nips", path=tmp_path)
    assert not (tmp_path / "traffic_nips").exists()
    with pytest.raises(DiffmmError, match="unknown GluonTS dataset"):
        load_gluonts_dataset("no_such_dataset", path=tmp_path)
