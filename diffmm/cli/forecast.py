"""``diffmm forecast BUNDLE --input FILE``: probabilistic forecasts from a TimeGrad bundle.

The input is a table (CSV/Parquet, wide: a timestamp column + one column per series; long:
item id, timestamp, value), GluonTS JSON lines, or a GluonTS-layout dataset folder
(metadata.json, train/, test/). A file is forecast ``--prediction-length`` steps past its end;
with ``--windows N`` its last N rolling windows of P steps are forecast instead, each from the
history before it, so the truth is known and ``--metrics`` can score them. A dataset folder
is forecast on its test windows (the paper's rolling evaluation).

Output (``-o``, .csv or .parquet), long format: item_id, timestamp, mean and the quantiles
0.05, 0.10, ..., 0.95 of the sample paths, one row per series and step. ``--samples-npy`` keeps
the raw paths (W, S, P, D); ``--plot`` draws a fan chart of the summed series and a few series.
``--score-samples`` scores paths written earlier (no sampling).

Several bundles (e.g. one recipe trained with several seeds) are pooled into one forecast, a deep
ensemble (Lakshminarayanan et al. 2017): the ``--num-samples`` paths are split evenly among them,
member k sampling with seed ``--seed`` + k. They must share the series, their order and the
frequency; their networks, context lengths and lags may differ.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffmm.diffusion.samplers import SAMPLERS
from diffmm.errors import DiffmmError

OUTPUT_SUFFIXES = (".csv", ".parquet")


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
    parser.add_argument("--window-batch", type=int, default=8, help="windows sampled together")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.set_defaults(run=run)


@dataclass
class Windows:
    """What to forecast: histories, and the truth (W, P, D) when it is known."""

    histories: list
    targets: np.ndarray | None
    prediction_length: int


def check_members(configs: list[dict], paths: list[str]) -> None:
    """Bundles pooled into one forecast must describe the same series at the same frequency."""
    first = configs[0]["data"]
    for config, path in zip(configs[1:], paths[1:]):
        data = config["data"]
        if data["item_ids"] != first["item_ids"]:
            raise DiffmmError(
                f"bundle {path} was trained on other series (or order) than {paths[0]}"
            )
        if data["freq"] != first["freq"]:
            raise DiffmmError(
                f"bundle {path} has frequency {data['freq']!r}, {paths[0]} {first['freq']!r}"
            )


def read_windows(args: argparse.Namespace, configs: list[dict]) -> Windows:
    """The histories to forecast from ``--input``, checked against every bundle's data shape
    (``check_members`` has made sure they share series and frequency)."""
    from diffmm.timeseries import load_gluonts_directory, read_series
    from diffmm.timeseries.windows import split_test_windows

    model, data = configs[0]["model"], configs[0]["data"]
    horizon = args.prediction_length or model["prediction_length"]
    if horizon < 1:
        raise DiffmmError(f"--prediction-length must be positive, got {horizon}")
    source = Path(args.input)
    if source.is_dir():
        if args.windows is not None:
            raise DiffmmError("--windows applies to a file; a dataset folder has its test windows")
        dataset = load_gluonts_directory(source)
        if args.prediction_length not in (None, dataset.prediction_length):
            raise DiffmmError(
                f"{source} has test windows of {dataset.prediction_length} steps, "
                f"not --prediction-length {args.prediction_length}"
            )
        horizon = dataset.prediction_length
        histories, targets, _ = split_test_windows(dataset.test_windows, horizon)
        series = histories[0]
    else:
        if not source.is_file():
            raise DiffmmError(f"input {source} does not exist")
        options = {} if source.suffix in (".json", ".jsonl", ".gz") else {"layout": args.layout}
        series = read_series(source, freq=args.freq or data["freq"], **options)
        series = align_series(series, data["item_ids"], source)
        histories, targets = rolling_windows(series, args.windows, horizon)
    for config in configs:
        check_shape(series, histories, config["model"], config["data"], source)
    return Windows(histories, targets, horizon)


def align_series(series, item_ids: list[str], source: Path):
    """The input's series in the bundle's order when the names are a permutation of its names."""
    if len(item_ids) != series.num_series:
        raise DiffmmError(
            f"the bundle was trained on {len(item_ids)} series, but {source} has "
            f"{series.num_series}"
        )
    if series.item_ids == item_ids or sorted(series.item_ids) != sorted(item_ids):
        return series
    order = [series.item_ids.index(name) for name in item_ids]
    return type(series)(
        series.target[order], series.observed[order], series.start, series.freq, list(item_ids)
    )


def rolling_windows(
    series, num_windows: int | None, horizon: int
) -> tuple[list, np.ndarray | None]:
    if num_windows is None:
        return [series], None
    if num_windows < 1:
        raise DiffmmError(f"--windows must be positive, got {num_windows}")
    first_end = series.length - num_windows * horizon
    if first_end < 1:
        raise DiffmmError(
            f"the input has {series.length} rows, too few for {num_windows} windows of {horizon}"
        )
    histories, targets = [], []
    for k in range(num_windows):
        end = first_end + k * horizon
        histories.append(series.slice(0, end))
        future = series.slice(end, end + horizon)
        targets.append(np.where(future.observed, future.target, np.nan).T)
    return histories, np.stack(targets).astype(np.float32)


def check_shape(series, histories: list, model: dict, data: dict, source: Path) -> None:
    if series.num_series != model["target_dim"]:
        raise DiffmmError(
            f"the bundle was trained on {model['target_dim']} series, but {source} has "
            f"{series.num_series}"
        )
    if series.freq != data["freq"]:
        raise DiffmmError(
            f"the bundle was trained at frequency {data['freq']!r}, but {source} is {series.freq!r}"
        )
    needed = model["context_length"] + max(model["lags"])
    shortest = min(history.length for history in histories)
    if shortest < needed:
        raise DiffmmError(
            f"{source}: a forecast needs at least context_length + largest lag = "
            f"{model['context_length']} + {max(model['lags'])} = {needed} rows of history, "
            f"got {shortest}"
        )


def member_paths(num_samples: int, num_bundles: int) -> list[int]:
    """``num_samples`` paths split as evenly as possible over the bundles, first ones first."""
    if num_samples < num_bundles:
        raise DiffmmError(
            f"--num-samples {num_samples} is fewer than one path for each of {num_bundles} bundles"
        )
    share, extra = divmod(num_samples, num_bundles)
    return [share + (k < extra) for k in range(num_bundles)]


def sample_ensemble(args: argparse.Namespace, bundles: list, windows: Windows) -> np.ndarray:
    """Paths (W, S, P, D) of all bundles pooled along S; member k samples with ``--seed`` + k."""
    counts = member_paths(args.num_samples, len(bundles))
    return np.concatenate(
        [
            sample(args, bundle, windows, count, args.seed + k)
            for k, (bundle, count) in enumerate(zip(bundles, counts))
        ],
        axis=1,
    )


def sample(
    args: argparse.Namespace, bundle, windows: Windows, num_samples: int, seed: int
) -> np.ndarray:
    """Sample paths (W, S, P, D) of one bundle, ``--window-batch`` windows at a time."""
    import torch
    from tqdm.auto import tqdm

    from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
    from diffmm.models.timegrad_sampling import sample_paths
    from diffmm.timeseries.windows import bundle_inference_batch

    diffusion = DiffusionConfig.from_dict(bundle.config["diffusion"])
    schedule = build_schedule(diffusion)
    schedule.grid(args.steps, args.spacing or "default")  # a bad step count fails before sampling
    denoiser = build_denoiser(bundle.model, diffusion)
    generator = torch.Generator(args.device).manual_seed(seed)
    chunks = []
    step = max(1, args.window_batch)
    for first in tqdm(range(0, len(windows.histories), step), desc="forecast", unit="batch"):
        batch = bundle_inference_batch(
            bundle.config, windows.histories[first : first + step], windows.prediction_length
        )
        batch = {key: value.to(args.device) for key, value in batch.items()}
        paths = sample_paths(
            bundle.model,
            batch,
            schedule,
            denoiser,
            num_samples=num_samples,
            sampler=args.sampler,
            num_steps=args.steps,
            spacing=args.spacing,
            generator=generator,
        )
        chunks.append(paths.cpu().numpy())
    return np.concatenate(chunks)


def quantile_table(samples: np.ndarray, histories: list, item_ids: list[str]):
    """Long table: item_id, timestamp, mean, 0.05 ... 0.95 for every window, step and series."""
    import pandas as pd

    from diffmm.timeseries.evaluation import QUANTILES

    frames = []
    levels = np.quantile(samples, QUANTILES, axis=1)  # (Q, W, P, D)
    for w, history in enumerate(histories):
        stamps = history.future_index(samples.shape[2]).to_timestamp()
        horizon, dims = samples.shape[2], samples.shape[3]
        frame = pd.DataFrame(
            {
                "item_id": np.tile(np.asarray(item_ids, dtype=object), horizon),
                "timestamp": np.repeat(stamps, dims),
                "mean": samples[w].mean(0).reshape(-1),
            }
        )
        for q, level in zip(QUANTILES, levels[:, w]):
            frame[f"{q:.2f}"] = level.reshape(-1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def write_table(frame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def plot_title(bundles: list[str]) -> str:
    """The bundle's folder name (with its parent's when it is just "bundle", as recipes export
    it), or how many bundles were pooled and the first of them."""
    path = Path(bundles[0]).resolve()
    name = f"{path.parent.name}/{path.name}" if path.name == "bundle" else path.name
    return name if len(bundles) == 1 else f"ensemble of {len(bundles)} bundles: {name}, ..."


def run(args: argparse.Namespace) -> int:
    from diffmm.bundle import load
    from diffmm.timeseries.evaluation import evaluate, fan_chart, write_metrics

    if args.output is None and args.samples_npy is None and args.metrics is None:
        raise DiffmmError("nothing to write: give -o, --samples-npy or --metrics")
    if args.output is not None and Path(args.output).suffix not in OUTPUT_SUFFIXES:
        raise DiffmmError(f"output must end in .csv or .parquet, got {Path(args.output).name}")
    if args.num_samples < 1:
        raise DiffmmError(f"--num-samples must be positive, got {args.num_samples}")
    bundles = [load(path, expected_family="timegrad", device=args.device) for path in args.bundle]
    check_members([bundle.config for bundle in bundles], args.bundle)
    windows = read_windows(args, [bundle.config for bundle in bundles])
    if args.metrics is not None and windows.targets is None:
        raise DiffmmError("--metrics needs known truth: use --windows N or a dataset folder")
    if args.score_samples is not None:
        samples = np.load(args.score_samples)
        expected = (
            len(windows.histories),
            windows.prediction_length,
            windows.histories[0].num_series,
        )
        if samples.ndim != 4 or (samples.shape[0], *samples.shape[2:]) != expected:
            raise DiffmmError(
                f"{args.score_samples} holds paths {samples.shape}, expected (W, S, P, D) with "
                f"(W, P, D) = {expected}"
            )
    else:
        samples = sample_ensemble(args, bundles, windows)
    item_ids = bundles[0].config["data"]["item_ids"]
    if args.samples_npy is not None and args.score_samples is None:
        Path(args.samples_npy).parent.mkdir(parents=True, exist_ok=True)
        np.save(args.samples_npy, samples.astype(np.float32))
    if args.output is not None:
        write_table(quantile_table(samples, windows.histories, item_ids), Path(args.output))
    if args.metrics is not None:
        starts = [history.end + 1 for history in windows.histories]
        metrics = evaluate(samples, windows.targets, starts, windows.histories[0].freq)
        write_metrics(args.metrics, metrics)
        print(
            f"CRPS-sum {metrics['CRPS-sum']:.4f}  CRPS {metrics['CRPS']:.4f}  "
            f"energy score {metrics['energy_score']:.4g}  ({len(samples)} windows)"
        )
    if args.plot is not None:
        last = windows.histories[-1]
        history = np.where(last.observed, last.target, np.nan).T
        truth = None if windows.targets is None else windows.targets[-1]
        fan_chart(
            args.plot, history, samples[-1], truth, item_ids=item_ids, title=plot_title(args.bundle)
        )
    print(
        f"forecast {len(samples)} window(s) x {samples.shape[1]} paths x {samples.shape[2]} steps"
    )
    return 0
