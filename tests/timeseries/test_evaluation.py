"""Metrics against hand computations (GluonTS's nearest-rank quantiles), energy score, baselines."""

import json

import numpy as np
import pandas as pd
import pytest

from diffmm.timeseries.baselines import seasonal_naive, var_samples
from diffmm.timeseries.evaluation import energy_score, evaluate, write_metrics
from diffmm.timeseries.series import MultivariateSeries

LEVELS = np.arange(1, 20) / 20


def _weighted_quantile_loss(samples, targets):
    """Mean over the 19 levels of Σ QL_q / Σ|y| for univariate samples (W, S, P), targets (W, P)."""
    ordered = np.sort(samples, axis=1)
    num_samples = samples.shape[1]
    losses = []
    for q in LEVELS:
        rank = int(np.round((num_samples - 1) * q))  # nearest-rank sample
        quantile = ordered[:, rank, :]
        indicator = (targets <= quantile).astype(float)
        losses.append(
            2 * np.sum(np.abs((quantile - targets) * (indicator - q))) / np.sum(np.abs(targets))
        )
    return np.mean(losses)


def _toy(dims=3):
    rng = np.random.default_rng(1)
    samples = rng.gamma(2.0, 3.0, size=(2, 7, 4, dims))
    targets = rng.gamma(2.0, 3.0, size=(2, 4, dims))
    starts = [pd.Period("2021-01-01 00:00", freq="h") + 4 * w for w in range(2)]
    return samples, targets, starts


def test_crps_sum_and_crps_equal_hand_computation():
    samples, targets, starts = _toy()
    metrics = evaluate(samples, targets, starts, "h")
    assert metrics["CRPS-sum"] == pytest.approx(
        _weighted_quantile_loss(samples.sum(-1), targets.sum(-1)), rel=1e-9
    )
    # all dimensions: every (window, dimension) is one series of the same weighted sum
    per_dim = samples.transpose(0, 3, 1, 2).reshape(-1, 7, 4)
    assert metrics["CRPS"] == pytest.approx(
        _weighted_quantile_loss(per_dim, targets.transpose(0, 2, 1).reshape(-1, 4)), rel=1e-9
    )
    median = np.sort(samples.sum(-1), axis=1)[:, 3]
    assert metrics["ND-sum"] == pytest.approx(
        np.abs(median - targets.sum(-1)).sum() / np.abs(targets.sum(-1)).sum()
    )
    rmse = np.sqrt(np.mean((samples.sum(-1).mean(1) - targets.sum(-1)) ** 2))
    assert metrics["NRMSE-sum"] == pytest.approx(rmse / np.abs(targets.sum(-1)).mean())
    assert (metrics["num_windows"], metrics["num_samples"]) == (2, 7)


def test_single_series_uses_the_series_itself_as_its_sum():
    samples, targets, starts = _toy(dims=1)
    metrics = evaluate(samples, targets, starts, "h")
    expected = _weighted_quantile_loss(samples[..., 0], targets[..., 0])
    assert metrics["CRPS-sum"] == pytest.approx(expected, rel=1e-9)
    assert metrics["CRPS"] == pytest.approx(expected, rel=1e-9)


def test_energy_score_by_hand():
    samples = np.array([[[[0.0, 0.0]], [[3.0, 4.0]]]])  # one window, two samples, P=1, D=2
    target = np.array([[[0.0, 4.0]]])
    # E‖X − y‖ = (4 + 3) / 2 ; E‖X − X'‖ over distinct pairs = 5
    assert energy_score(samples, target) == pytest.approx(3.5 - 2.5)
    assert energy_score(np.repeat(target[:, None], 5, axis=1), target) == 0.0
    with_missing = target.copy()
    with_missing[0, 0, 1] = np.nan  # dropped coordinate: distances over the first one only
    assert energy_score(samples, with_missing) == pytest.approx(1.5 - 1.5)


def test_metrics_json_round_trips(tmp_path):
    samples, targets, starts = _toy()
    metrics = evaluate(samples, targets, starts, "h")
    write_metrics(tmp_path / "metrics.json", metrics)
    assert json.loads((tmp_path / "metrics.json").read_text()) == pytest.approx(metrics)


def test_seasonal_naive_rule():
    values = np.arange(30, dtype=np.float32)[None].repeat(2, 0)
    values[1, 27] = np.nan  # imputed with the last observed value (26)
    history = MultivariateSeries(values, np.isfinite(values), "2021-01-01", "D", ["a", "b"])
    forecast = seasonal_naive([history], prediction_length=5, season=4)
    assert forecast.shape == (1, 1, 5, 2)
    np.testing.assert_array_equal(forecast[0, 0, :, 0], [26, 27, 28, 29, 26])
    np.testing.assert_array_equal(forecast[0, 0, :, 1], [26, 26, 28, 29, 26])


def test_var_recovers_a_known_var1_process():
    rng = np.random.default_rng(0)
    coefficients = np.array([[0.6, 0.2], [-0.1, 0.5]])
    values = np.zeros((600, 2))
    for t in range(1, 600):
        values[t] = 1.0 + values[t - 1] @ coefficients.T + rng.normal(size=2) * 0.5
    history = MultivariateSeries(values.T, np.ones((2, 600), bool), "2021-01-01", "D", ["a", "b"])
    samples = var_samples([history], prediction_length=1, num_samples=4000, max_lags=3, seed=1)
    assert samples.shape == (1, 4000, 1, 2)
    one_step = 1.0 + coefficients @ values[-1]
    np.testing.assert_allclose(samples[0, :, 0].mean(0), one_step, atol=0.1)
    np.testing.assert_allclose(samples[0, :, 0].std(0), [0.5, 0.5], rtol=0.1)
