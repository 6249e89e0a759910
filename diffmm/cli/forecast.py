"""``diffmm forecast BUNDLE --input FILE``: probabilistic forecasts from a TimeGrad bundle.

The input is a table (CSV/Parquet, wide: a timestamp column + one column per series; long:
item id, timestamp, value), GluonTS JSON lines, or a GluonTS-layout dataset folder
(metadata.json, train/, test/). A file is forecast ``--prediction-length`` steps past its end;
with ``--windows N`` its last N rolling windows of P steps are forecast instead, each from the
history before it, so the truth is known and ``--metrics`` can score them. A dataset folder
is forecast on its test windows (the paper's rolling evaluation).

Output (``-o``, .csv or .parquet), long format: item_id, timestamp, mean and the quantiles
0.05, 0.10, ..., 0.95 of the sample paths, one row per series and step. ``--samples-npy`` keeps
the raw paths (W, S, P, D); ``--plot`` draws a fan chart of the last window, a panel per series
over its dates (and the summed series unless ``--units mixed``).
``--score-samples`` scores paths written earlier (no sampling). Several bundles are pooled into
one forecast, a deep ensemble (``diffmm.models.forecaster.Forecaster``, the code behind this).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from diffmm.atomic import atomic_path
from diffmm.cli.options import add_precision_option, check_writable
from diffmm.cli.outputs import add_overwrite_option, check_outputs
from diffmm.diffusion.samplers import SAMPLERS
from diffmm.errors import DiffmmError
from diffmm.models.precision import check_precision

# --units → the fan chart's same_unit: whether its panel of the summed series means anything
SAME_UNIT = {"unknown": None, "same": True, "mixed": False}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("forecast", help="probabilistic forecasts from TimeGrad bundles")
    parser.add_argument(
        "bundle", nargs="+", help="TimeGrad bundle directory; several are pooled (an ensemble)"
    )
    parser.add_argument(
        "--input", required=True, help="CSV/Parquet table, JSON lines, or a GluonTS dataset folder"
    )
    parser.add_argument("-o", "--output", default=None, help="quantiles table (.csv or .parquet)")
    parser.add_argument("--prediction-length", type=int, default=None)
    parser.add_argument(
        "--num-samples", type=int, default=100, help="sample paths per window (all bundles)"
    )
    parser.add_argument("--sampler", default="ddpm", choices=sorted(SAMPLERS))
    parser.add_argument("--steps", type=int, default=None, help="sampling steps (default: all T)")
    parser.add_argument("--spacing", choices=["default", "log_snr"], default=None)
    parser.add_argument("--windows", type=int, default=None, help="forecast the last N windows")
    parser.add_argument("--freq", default=None, help="frequency of a table (default: the bundle's)")
    parser.add_argument("--layout", choices=["auto", "wide", "long"], default="auto")
    parser.add_argument("--samples-npy", default=None, help="write sample paths (W, S, P, D)")
    parser.add_argument("--score-samples", default=None, help="score these .npy paths instead")
    parser.add_argument("--metrics", default=None, help="metrics.json (needs known truth)")
    parser.add_argument("--plot", default=None, help="fan chart PNG of the last window")
    parser.add_argument(
        "--units",
        choices=sorted(SAME_UNIT),
        default="unknown",
        help="do the series share a unit? (the fan chart's sum panel: same: plain, mixed: none)",
    )
    parser.add_argument("--window-batch", type=int, default=8, help="windows sampled together")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    add_precision_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def plot_title(bundles: list[str]) -> str:
    """The bundle's folder name (with its parent's when it is just "bundle", as recipes export
    it), or how many bundles were pooled and the first of them."""
    path = Path(bundles[0]).resolve()
    name = f"{path.parent.name}/{path.name}" if path.name == "bundle" else path.name
    return name if len(bundles) == 1 else f"ensemble of {len(bundles)} bundles: {name}, ..."


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from diffmm.models.forecaster import Forecaster
    from diffmm.timeseries.evaluation import metrics_line, write_metrics
    from diffmm.timeseries.forecast import TABLE_SUFFIXES, Forecast

    if args.output is None and args.samples_npy is None and args.metrics is None:
        raise DiffmmError("nothing to write: give -o, --samples-npy or --metrics")
    if args.output is not None and Path(args.output).suffix not in TABLE_SUFFIXES:
        raise DiffmmError(f"output must end in .csv or .parquet, got {Path(args.output).name}")
    if args.num_samples < 1:
        raise DiffmmError(f"--num-samples must be positive, got {args.num_samples}")
    if args.num_samples < len(args.bundle):
        raise DiffmmError(
            f"--num-samples {args.num_samples} is fewer than one path for each of "
            f"{len(args.bundle)} bundles"
        )
    outputs = {
        "-o": args.output,
        "--samples-npy": args.samples_npy,
        "--metrics": args.metrics,
        "--plot": args.plot,
    }
    check_outputs(
        outputs.items(),
        inputs=[args.input, *args.bundle, *([args.score_samples] if args.score_samples else [])],
        overwrite=args.overwrite,
    )
    check_writable(*outputs.values())
    check_precision(args.dtype, args.device)
    forecaster = Forecaster.from_bundles(args.bundle, device=args.device)
    windows = forecaster.read(
        args.input,
        prediction_length=args.prediction_length,
        num_windows=args.windows,
        freq=args.freq,
        layout=args.layout,
    )
    if args.metrics is not None and windows.targets is None:
        raise DiffmmError("--metrics needs known truth: use --windows N or a dataset folder")
    timing = ""
    if args.score_samples is not None:
        forecast = Forecast(windows, np.load(args.score_samples), forecaster.item_ids)
    else:
        total = len(windows.histories) * len(forecaster.members)
        start = time.perf_counter()
        with tqdm(total=total, desc="forecast", unit="window") as bar:
            forecast = forecaster.sample(
                windows,
                num_samples=args.num_samples,
                sampler=args.sampler,
                steps=args.steps,
                spacing=args.spacing,
                seed=args.seed,
                dtype=args.dtype,
                window_batch=args.window_batch,
                on_batch=bar.update,
            )
        timing = f" in {time.perf_counter() - start:.2f} s ({args.device}, {args.dtype})"
        if args.samples_npy is not None:
            with atomic_path(args.samples_npy) as temporary:
                np.save(temporary, forecast.samples.astype(np.float32))
    if args.output is not None:
        with atomic_path(args.output) as temporary:
            forecast.write_table(temporary)
    if args.metrics is not None:
        metrics = forecast.evaluate()
        with atomic_path(args.metrics) as temporary:
            write_metrics(temporary, metrics)
        print(metrics_line(metrics))
    if args.plot is not None:
        with atomic_path(args.plot) as temporary:
            title = f"{Path(args.input).name} forecast by {plot_title(args.bundle)}"
            forecast.fan_chart(temporary, title, SAME_UNIT[args.units])
    w, s, p, _ = forecast.samples.shape
    print(f"forecast {w} window(s) x {s} paths x {p} steps{timing}")
    return 0
