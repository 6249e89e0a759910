"""Training windows and inference batches: placement, count, determinism, errors."""

import numpy as np
import pandas as pd
import pytest
import torch

from diffmm.errors import DiffmmError
from diffmm.timeseries.features import TimeFeatureSpec
from diffmm.timeseries.series import MultivariateSeries
from diffmm.timeseries.windows import (
    TrainingWindows,
    hold_out,
    inference_batch,
    split_test_windows,
)

LAGS = [1, 2, 5]


def _series(length=40, dims=2):
    target = np.arange(dims * length, dtype=np.float32).reshape(dims, length)
    target[-1, 7] = np.nan
    return MultivariateSeries(
        target, np.isfinite(target), "2021-01-01 00:00", "h", ["a", "b"][:dims]
    )


def test_every_valid_start_enumerated_in_place():
    series = _series()
    windows = TrainingWindows(series, context_length=6, prediction_length=3, lags=LAGS)
    history = 6 + 5
    assert len(windows) == 40 - (history + 3) + 1
    features = TimeFeatureSpec("h").features(series.index).T
    for start in (0, 4, len(windows) - 1):
        item = windows[start]
        assert item["past_target"].shape == (history, 2) and item["future_target"].shape == (3, 2)
        expected = np.nan_to_num(series.target.T[start : start + history + 3], nan=0.0)
        torch.testing.assert_close(
            torch.cat([item["past_target"], item["future_target"]]), torch.from_numpy(expected)
        )
        observed = series.observed.T[start : start + history + 3].astype(np.float32)
        torch.testing.assert_close(
            torch.cat([item["past_observed"], item["future_observed"]]), torch.from_numpy(observed)
        )
        torch.testing.assert_close(
            torch.cat([item["past_time_feat"], item["future_time_feat"]]),
            torch.from_numpy(features[start : start + history + 3]),
        )
    assert windows[0]["past_observed"][7, 1] == 0 and windows[0]["past_target"][7, 1] == 0


def test_random_windows_are_uniform_and_reproducible():
    series = _series(length=60)
    first = TrainingWindows(series, 6, 3, LAGS, num_windows=2000, seed=3)
    again = TrainingWindows(series, 6, 3, LAGS, num_windows=2000, seed=3)
    other = TrainingWindows(series, 6, 3, LAGS, num_windows=2000, seed=4)
    np.testing.assert_array_equal(first.starts, again.starts)
    assert not np.array_equal(first.starts, other.starts)
    num_starts = 60 - 14 + 1
    assert first.starts.min() >= 0 and first.starts.max() == num_starts - 1
    counts = np.bincount(first.starts, minlength=num_starts)
    # chi-square against uniform, 46 degrees of freedom: far below the 0.1% critical value 81
    expected = 2000 / num_starts
    assert ((counts - expected) ** 2 / expected).sum() < 81
    torch.testing.assert_close(first[5]["future_target"], again[5]["future_target"])


def test_too_short_series_names_the_numbers():
    with pytest.raises(
        DiffmmError,
        match=r"12 steps, fewer than context \(6\) \+ prediction \(3\) \+ largest lag \(5\) = 14",
    ):
        TrainingWindows(_series(length=12), 6, 3, LAGS)
    with pytest.raises(
        DiffmmError, match=r"10 steps, fewer than context \(6\) \+ largest lag \(5\) = 11"
    ):
        inference_batch([_series(length=10)], 6, 3, LAGS)


def test_inference_batch_continues_the_training_windows():
    series = _series(length=40)
    windows = TrainingWindows(series, 6, 3, LAGS)
    last = windows[len(windows) - 1]  # its future is the series' last 3 steps
    histories, targets, starts = split_test_windows([series], 3)
    batch = inference_batch(histories, 6, 3, LAGS)
    assert set(batch) == {"past_target", "past_observed", "past_time_feat", "future_time_feat"}
    for key in ("past_target", "past_observed", "past_time_feat", "future_time_feat"):
        torch.testing.assert_close(batch[key][0], last[key])
    np.testing.assert_array_equal(targets[0], series.target.T[-3:])
    assert starts[0] == pd.Period("2021-01-02 13:00", freq="h")


def test_holiday_flag_reaches_training_windows_and_inference_batches():
    days = 10
    target = np.ones((2, days * 24), dtype=np.float32)
    series = MultivariateSeries(target, np.isfinite(target), "2016-12-20 00:00", "h", ["a", "b"])
    flag = TimeFeatureSpec("h", "AU-VIC")
    boxing_day_named = TimeFeatureSpec("h", "AU-VIC", ("Boxing Day",))
    windows = TrainingWindows(series, 24, 24, [1, 24], features=flag)
    first = windows[0]  # past: 20 Dec 00:00 .. 21 Dec 23:00, future: 22 Dec
    assert first["past_time_feat"].shape == (48, 6)
    assert first["past_time_feat"][:, -1].sum() == 0 and first["future_time_feat"][:, -1].sum() == 0
    boxing_day = windows[4 * 24]  # starts are hourly; its future: 26 Dec, a Victorian holiday
    assert torch.all(boxing_day["future_time_feat"][:, -1] == 1)
    history = series.slice(0, 6 * 24)  # ends 25 Dec 23:00: the forecast is for 26 Dec
    batch = inference_batch([history], 24, 24, [1, 24], features=flag)
    torch.testing.assert_close(batch["future_time_feat"][0], boxing_day["future_time_feat"])
    torch.testing.assert_close(batch["past_time_feat"][0], boxing_day["past_time_feat"])
    named = inference_batch([history], 24, 24, [1, 24], features=boxing_day_named)
    assert named["future_time_feat"].shape == (1, 24, 7)
    assert torch.all(named["future_time_feat"][0, :, -1] == 1)
    assert named["past_time_feat"][0, :, -1].sum() == 0  # 24-25 Dec: flagged, but not Boxing Day
    named_windows = TrainingWindows(series, 24, 24, [1, 24], features=boxing_day_named)
    torch.testing.assert_close(
        named_windows[4 * 24]["future_time_feat"], named["future_time_feat"][0]
    )


def test_inference_batch_stacks_windows_and_rejects_mixed_dimensions():
    series = _series(length=40)
    batch = inference_batch([series, series.slice(0, 30)], 6, 3, LAGS)
    assert batch["past_target"].shape == (2, 11, 2) and batch["future_time_feat"].shape == (2, 3, 5)
    with pytest.raises(DiffmmError, match="different numbers of series"):
        inference_batch([series, _series(length=40, dims=1)], 6, 3, LAGS)


def test_hold_out_keeps_the_last_rolling_windows_out_of_the_fit_range():
    series = _series(length=40)
    fit, windows = hold_out(series, num_windows=3, prediction_length=4)
    assert fit.length == 40 - 3 * 4
    np.testing.assert_array_equal(fit.target, series.target[:, :28])
    assert [w.length for w in windows] == [32, 36, 40]
    histories, targets, starts = split_test_windows(windows, 4)
    assert histories[0].length == fit.length  # the first target starts where the fit range ends
    np.testing.assert_array_equal(targets[-1], series.target[:, -4:].T)
    assert starts == [series.index[28], series.index[32], series.index[36]]
