"""Training windows and inference batches for autoregressive forecasters (TimeGrad).

A window starting at column s of a series (D, T) covers

    past:   s ... s + max_lag + context_length - 1      (history_length = context + max_lag)
    future: the next prediction_length columns

so the lagged inputs of every context and future step lie inside it. Every tensor is float32
and time-major:

    past_target    (history_length, D)   0 where missing
    past_observed  (history_length, D)   1.0 observed / 0.0 missing
    past_time_feat (history_length, F)   the ``TimeFeatureSpec``'s features of the whole
                                         series, sliced
    future_target  (prediction_length, D)
    future_observed(prediction_length, D)
    future_time_feat (prediction_length, F)

``TrainingWindows`` enumerates every valid start (``num_windows=None``), or a fixed draw of
``num_windows`` starts, uniform with replacement, from ``seed``. Item i depends on (seed, i)
only, so the trainer's resumable shuffling replays a run exactly.

``inference_batch`` stacks, for windows that end where the forecast begins, the same past
tensors and ``future_time_feat`` (no future target/observed) with a leading window axis.
``split_test_windows`` cuts the last ``prediction_length`` steps off rolling test windows;
``hold_out`` makes such windows of one series' end, ``rolling_windows`` both at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torch.utils.data import Dataset

from diffmm.errors import DiffmmError
from diffmm.timeseries.features import TimeFeatureSpec
from diffmm.timeseries.series import MultivariateSeries, quiet_period_warnings


def _check_sizes(context_length: int, prediction_length: int, lags: Sequence[int]) -> int:
    if context_length < 1 or prediction_length < 1:
        raise DiffmmError(
            f"context_length ({context_length}) and prediction_length ({prediction_length}) "
            "must be positive"
        )
    if not lags or min(lags) < 1:
        raise DiffmmError(f"lags must be positive integers, got {list(lags)}")
    return int(max(lags))


def _time_major(series: MultivariateSeries) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) targets with missing values as 0, and the (T, D) 0/1 observed mask."""
    observed = series.observed.T.astype(np.float32)
    return np.where(series.observed, series.target, 0.0).T.astype(np.float32), observed


class TrainingWindows(Dataset):
    """Windows of one series (see the module docstring for the tensors and their shapes)."""

    def __init__(
        self,
        series: MultivariateSeries,
        context_length: int,
        prediction_length: int,
        lags: Sequence[int],
        *,
        num_windows: int | None = None,
        seed: int = 0,
        features: TimeFeatureSpec | None = None,
    ) -> None:
        self.max_lag = _check_sizes(context_length, prediction_length, lags)
        self.history_length = context_length + self.max_lag
        self.prediction_length = prediction_length
        window_length = self.history_length + prediction_length
        if series.length < window_length:
            raise DiffmmError(
                f"the series has {series.length} steps, fewer than context ({context_length}) + "
                f"prediction ({prediction_length}) + largest lag ({self.max_lag}) = {window_length}"
            )
        self.target, self.observed = _time_major(series)
        features = features or TimeFeatureSpec(series.freq)
        self.time_feat = features.features(series.index).T.copy()
        num_starts = series.length - window_length + 1
        if num_windows is None:
            self.starts = np.arange(num_starts)
        elif num_windows < 1:
            raise DiffmmError(f"num_windows must be positive, got {num_windows}")
        else:
            self.starts = np.random.default_rng(seed).integers(0, num_starts, size=num_windows)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, item: int) -> dict[str, Tensor]:
        start = int(self.starts[item])
        split = start + self.history_length
        stop = split + self.prediction_length
        return {
            "past_target": torch.from_numpy(self.target[start:split]),
            "past_observed": torch.from_numpy(self.observed[start:split]),
            "past_time_feat": torch.from_numpy(self.time_feat[start:split]),
            "future_target": torch.from_numpy(self.target[split:stop]),
            "future_observed": torch.from_numpy(self.observed[split:stop]),
            "future_time_feat": torch.from_numpy(self.time_feat[split:stop]),
        }


def inference_batch(
    series_list: Sequence[MultivariateSeries],
    context_length: int,
    prediction_length: int,
    lags: Sequence[int],
    *,
    features: TimeFeatureSpec | None = None,
) -> dict[str, Tensor]:
    """Past tensors (W, history_length, ·) and ``future_time_feat`` (W, P, F) for forecasting
    ``prediction_length`` steps past the end of each series (``features``: by default the
    calendar features of the series' frequency)."""
    max_lag = _check_sizes(context_length, prediction_length, lags)
    history_length = context_length + max_lag
    if not series_list:
        raise DiffmmError("no series to forecast")
    dims = {series.num_series for series in series_list}
    if len(dims) != 1:
        raise DiffmmError(f"the windows have different numbers of series: {sorted(dims)}")
    batch: dict[str, list[np.ndarray]] = {
        "past_target": [],
        "past_observed": [],
        "past_time_feat": [],
        "future_time_feat": [],
    }
    for series in series_list:
        if series.length < history_length:
            raise DiffmmError(
                f"a series to forecast has {series.length} steps, fewer than context "
                f"({context_length}) + largest lag ({max_lag}) = {history_length}"
            )
        target, observed = _time_major(series)
        with quiet_period_warnings():
            index = series.index.append(series.future_index(prediction_length))
        spec = features or TimeFeatureSpec(series.freq)
        feats = spec.features(pd.PeriodIndex(index)).T
        batch["past_target"].append(target[-history_length:])
        batch["past_observed"].append(observed[-history_length:])
        batch["past_time_feat"].append(
            feats[-history_length - prediction_length : -prediction_length]
        )
        batch["future_time_feat"].append(feats[-prediction_length:])
    return {key: torch.from_numpy(np.stack(values)) for key, values in batch.items()}


def split_test_windows(
    windows: Sequence[MultivariateSeries], prediction_length: int
) -> tuple[list[MultivariateSeries], np.ndarray, list[pd.Period]]:
    """(histories, targets (W, P, D) with NaN where missing, forecast start periods)."""
    histories, targets, starts = [], [], []
    for window in windows:
        if window.length <= prediction_length:
            raise DiffmmError(
                f"a test window of {window.length} steps leaves no history before its "
                f"{prediction_length}-step target"
            )
        history = window.slice(0, window.length - prediction_length)
        future = window.slice(window.length - prediction_length)
        histories.append(history)
        targets.append(np.where(future.observed, future.target, np.nan).T)
        starts.append(future.start)
    return histories, np.stack(targets).astype(np.float32), starts


def hold_out(
    series: MultivariateSeries, num_windows: int, prediction_length: int
) -> tuple[MultivariateSeries, list[MultivariateSeries]]:
    """(fit range, the last ``num_windows`` rolling windows, each its history plus its target)."""
    fit_end = series.length - num_windows * prediction_length
    windows = [series.slice(0, fit_end + (k + 1) * prediction_length) for k in range(num_windows)]
    return series.slice(0, fit_end), windows


def rolling_windows(
    series: MultivariateSeries, num_windows: int, prediction_length: int
) -> tuple[list[MultivariateSeries], np.ndarray, list[pd.Period]]:
    """The last ``num_windows`` rolling windows of ``prediction_length`` steps of ``series``,
    each forecast from all the history before it: ``split_test_windows`` of ``hold_out``."""
    if num_windows < 1:
        raise DiffmmError(f"the number of windows must be positive, got {num_windows}")
    if series.length - num_windows * prediction_length < 1:
        raise DiffmmError(
            f"the series has {series.length} steps, too few for {num_windows} windows of "
            f"{prediction_length}"
        )
    return split_test_windows(
        hold_out(series, num_windows, prediction_length)[1], prediction_length
    )
