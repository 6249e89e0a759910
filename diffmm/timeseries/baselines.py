"""Baseline forecasters for the benchmark, producing samples (W, S, P, D) like TimeGrad.

- ``seasonal_naive``: GluonTS's ``SeasonalNaivePredictor`` on each dimension of each window:
  step h repeats history[T - m + (h mod m)] with m the frequency's seasonality (GluonTS's
  ``get_seasonality``: 24 hourly, 48 half-hourly, 5 business-daily, 12 monthly); missing
  history values imputed with the last observed one. A point forecast: S = 1.
- ``var_samples``: a vector autoregression (statsmodels ``VAR``) per window, on the last
  ``fit_length`` steps standardised per series (missing values carried forward), lag order
  chosen by AIC up to ``max_lags`` (capped so that each equation has fewer coefficients than
  observations), and ``num_samples`` Gaussian sample paths y_t = ν + Σ_i A_i y_{t-i} + ε_t,
  ε_t ~ N(0, Σ_u), simulated from the end of the history. Series constant over the fit are
  forecast as that constant.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.timeseries.series import MultivariateSeries, offset_alias, quiet_period_warnings


def season_length(freq: str) -> int:
    """GluonTS's seasonality of ``freq``."""
    from gluonts.time_feature import get_seasonality

    return int(get_seasonality(offset_alias(freq)))


def seasonal_naive(
    histories: Sequence[MultivariateSeries], prediction_length: int, season: int | None = None
) -> np.ndarray:
    """Point forecasts (W, 1, P, D) by GluonTS's seasonal-naive rule."""
    from gluonts.model.seasonal_naive import SeasonalNaivePredictor

    forecasts = []
    for history in histories:
        predictor = SeasonalNaivePredictor(
            prediction_length=prediction_length, season_length=season or season_length(history.freq)
        )
        values = np.where(history.observed, history.target, np.nan)
        with quiet_period_warnings():
            paths = [
                predictor.predict_item({"start": history.start, "target": row}).samples[0]
                for row in values
            ]
        forecasts.append(np.stack(paths, axis=-1)[None])
    return np.stack(forecasts).astype(np.float32)


def _carry_forward(values: np.ndarray) -> np.ndarray:
    """(T, D) with NaN replaced by the last observed value (the first observed one before it)."""
    filled = values.copy()
    for column in filled.T:
        seen = np.flatnonzero(np.isfinite(column))
        if len(seen) == 0:
            column[:] = 0.0
            continue
        last = np.maximum.accumulate(np.where(np.isfinite(column), np.arange(len(column)), 0))
        column[:] = np.where(np.arange(len(column)) < seen[0], column[seen[0]], column[last])
    return filled


def _simulate(results, history: np.ndarray, steps: int, num_samples: int, rng) -> np.ndarray:
    """Sample paths (S, steps, D) of a fitted statsmodels VAR from the end of ``history``."""
    order, dims = results.k_ar, history.shape[1]
    noise = rng.multivariate_normal(np.zeros(dims), results.sigma_u, size=(num_samples, steps))
    window = np.repeat(history[None, -order:], num_samples, axis=0) if order else None
    paths = np.empty((num_samples, steps, dims))
    for step in range(steps):
        mean = np.broadcast_to(results.intercept, (num_samples, dims)).copy()
        for lag in range(order):
            mean += window[:, -1 - lag] @ results.coefs[lag].T
        paths[:, step] = mean + noise[:, step]
        if order:
            window = np.concatenate([window[:, 1:], paths[:, step : step + 1]], axis=1)
    return paths


def var_samples(
    histories: Sequence[MultivariateSeries],
    prediction_length: int,
    num_samples: int = 100,
    *,
    max_lags: int | None = None,
    fit_length: int = 2000,
    seed: int = 0,
) -> np.ndarray:
    """Gaussian VAR sample paths (W, S, P, D), one fit per window history."""
    from statsmodels.tsa.api import VAR

    rng = np.random.default_rng(seed)
    forecasts = []
    for history in histories:
        values = _carry_forward(np.where(history.observed, history.target, np.nan).T[-fit_length:])
        mean, std = values.mean(0), values.std(0)
        varying = std > 1e-8 * np.maximum(np.abs(mean), 1.0)
        samples = np.broadcast_to(mean, (num_samples, prediction_length, len(mean))).copy()
        if varying.any():
            standard = (values[:, varying] - mean[varying]) / std[varying]
            steps, dims = standard.shape
            cap = (steps - 1) // (dims + 1) - 1
            lags = min(max_lags or season_length(history.freq) + 1, cap)
            if lags < 1:
                raise DiffmmError(
                    f"VAR: {steps} history steps are too few for {dims} varying series"
                )
            model = VAR(standard)
            chosen = max(int(model.select_order(lags).aic), 1)
            results = model.fit(chosen, trend="c")
            paths = _simulate(results, standard, prediction_length, num_samples, rng)
            samples[:, :, varying] = paths * std[varying] + mean[varying]
        forecasts.append(samples)
    return np.stack(forecasts).astype(np.float32)
