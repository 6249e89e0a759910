"""Score forecast sample paths against a dataset's test windows: metrics and a fan chart.

    diffmm evaluate forecast --samples S.npy --data DIR -o OUT [--title T]

(or ``python -m diffmm.metrics.score_forecast`` with the same options).

S.npy holds the paths (W, S, P, D) that ``diffmm forecast --samples-npy`` wrote for the test
windows of the GluonTS-layout dataset folder DIR (metadata.json, train/, test/). Writes
OUT/metrics.json (CRPS-sum as in the TimeGrad paper, CRPS, ND-sum, NRMSE-sum, energy score)
and OUT/fan_chart.png of the last window. The egs' stage 7.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError, run_entry_point
from diffmm.timeseries import load_gluonts_directory, split_test_windows
from diffmm.timeseries.evaluation import metrics_line, write_metrics
from diffmm.timeseries.forecast import Forecast, ForecastWindows


def score_dataset_forecast(samples: np.ndarray, data_dir: str | Path) -> Forecast:
    """The paths as a ``Forecast`` of the dataset's test windows (a shape mismatch is an error)."""
    data = load_gluonts_directory(data_dir)
    histories, targets, _ = split_test_windows(data.test_windows, data.prediction_length)
    windows = ForecastWindows(histories, targets, data.prediction_length)
    return Forecast(windows, samples, list(histories[0].item_ids))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", required=True, help="sample paths (W, S, P, D), .npy")
    parser.add_argument("--data", required=True, help="GluonTS-layout dataset folder")
    parser.add_argument("-o", "--out-dir", required=True, help="metrics.json, fan_chart.png")
    parser.add_argument("--title", default="", help="the fan chart's title")


def run(args: argparse.Namespace) -> int:
    if not Path(args.samples).is_file():
        raise DiffmmError(f"--samples {args.samples} does not exist")
    forecast = score_dataset_forecast(np.load(args.samples), args.data)
    metrics = forecast.evaluate()
    out = Path(args.out_dir)
    write_metrics(out / "metrics.json", metrics)
    forecast.fan_chart(out / "fan_chart.png", title=args.title)
    print(metrics_line(metrics))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(run_entry_point("python -m diffmm.metrics.score_forecast", main))
