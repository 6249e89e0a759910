"""Probabilistic forecast metrics: GluonTS's multivariate evaluation plus the energy score.

``evaluate`` runs GluonTS's ``MultivariateEvaluator(quantiles=0.05, 0.10, ..., 0.95,
target_agg_funcs={"sum": np.sum})`` on ``SampleForecast``s, as TimeGrad (Rasul et al. 2021)
reports it, and returns

    "CRPS-sum"     m_sum_mean_wQuantileLoss  (the paper's CRPS-sum: the summed series)
    "CRPS"         mean_wQuantileLoss        (all dimensions)
    "ND-sum"       m_sum_ND
    "NRMSE-sum"    m_sum_NRMSE
    "energy_score" see ``energy_score``
    "num_windows", "num_samples"

GluonTS's quantile of S samples is the nearest-rank sample: sorted[round((S - 1) q)]; the
weighted quantile loss is Σ 2|(ŷ_q - y)(1{y ≤ ŷ_q} - q)| / Σ |y| summed over all windows and
steps, and its mean over the 19 levels approximates the CRPS normalised by Σ|y|. For one
series (D = 1) GluonTS's multivariate evaluator refuses; the sum then is the series itself, so
the univariate ``Evaluator`` gives the same numbers. Missing targets (NaN) are masked by GluonTS
(the summed series treats them as 0, as pandas' sum does).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist

from diffmm.errors import DiffmmError
from diffmm.timeseries.series import quiet_period_warnings

QUANTILES = np.arange(1, 20) / 20


def energy_score(samples: np.ndarray, targets: np.ndarray) -> float:
    """Mean over windows of ES = E‖X − y‖ − ½ E‖X − X'‖.

    X, X' are independent forecast sample paths and y the truth, each flattened over horizon
    and dimensions (P·D values; coordinates where y is NaN are dropped). E‖X − y‖ averages the
    S samples; E‖X − X'‖ averages the S(S − 1) ordered pairs of distinct samples (the unbiased
    estimator; 0 when S = 1). A proper score for the joint distribution, unlike CRPS-sum.
    """
    scores = []
    for window_samples, target in zip(samples, targets):
        keep = np.isfinite(target).ravel()
        paths = window_samples.reshape(len(window_samples), -1)[:, keep].astype(np.float64)
        truth = target.ravel()[keep].astype(np.float64)
        to_truth = np.linalg.norm(paths - truth, axis=1).mean()
        spread = pdist(paths).mean() if len(paths) > 1 else 0.0
        scores.append(to_truth - 0.5 * spread)
    return float(np.mean(scores))


def _check_shapes(samples: np.ndarray, targets: np.ndarray, starts: Sequence) -> None:
    if samples.ndim != 4 or targets.ndim != 3:
        raise DiffmmError(
            f"samples must be (W, S, P, D) and targets (W, P, D); got {samples.shape} and "
            f"{targets.shape}"
        )
    w, _, p, d = samples.shape
    if targets.shape != (w, p, d) or len(starts) != w:
        raise DiffmmError(
            f"samples {samples.shape}, targets {targets.shape} and {len(starts)} start periods "
            "do not describe the same windows"
        )


def evaluate(
    samples: np.ndarray,
    targets: np.ndarray,
    start_periods: Sequence[pd.Period],
    freq: str,
    *,
    quantiles: np.ndarray = QUANTILES,
) -> dict[str, float]:
    """Metrics of sample forecasts (W, S, P, D) against targets (W, P, D) starting at
    ``start_periods`` (one ``pd.Period`` per window) of frequency ``freq``."""
    from gluonts.env import env
    from gluonts.evaluation import Evaluator, MultivariateEvaluator
    from gluonts.model.forecast import SampleForecast

    samples, targets = np.asarray(samples, np.float64), np.asarray(targets, np.float64)
    _check_shapes(samples, targets, start_periods)
    num_windows, num_samples, horizon, dims = samples.shape
    # No progress bars; no notices about the empty history (only the horizon is given, so the
    # history-based MASE/MSIS, which are not reported, come out masked).
    with quiet_period_warnings(), warnings.catch_warnings(), env._let(use_tqdm=False):
        warnings.simplefilter("ignore", UserWarning)
        frames = [
            pd.DataFrame(target, index=pd.period_range(start, periods=horizon, freq=freq))
            for target, start in zip(targets, start_periods)
        ]
        if dims > 1:
            forecasts = [SampleForecast(s, start_date=t) for s, t in zip(samples, start_periods)]
            evaluator = MultivariateEvaluator(quantiles=quantiles, target_agg_funcs={"sum": np.sum})
            prefix = "m_sum_"
        else:
            forecasts = [
                SampleForecast(s[..., 0], start_date=t) for s, t in zip(samples, start_periods)
            ]
            frames = [frame[0] for frame in frames]
            evaluator = Evaluator(quantiles=quantiles, num_workers=None)
            prefix = ""
        totals, _ = evaluator(iter(frames), iter(forecasts), num_series=num_windows)
    return {
        "CRPS-sum": float(totals[f"{prefix}mean_wQuantileLoss"]),
        "CRPS": float(totals["mean_wQuantileLoss"]),
        "ND-sum": float(totals[f"{prefix}ND"]),
        "NRMSE-sum": float(totals[f"{prefix}NRMSE"]),
        "energy_score": energy_score(samples, targets),
        "num_windows": num_windows,
        "num_samples": num_samples,
    }


def metrics_line(metrics: dict) -> str:
    """One line for a log: CRPS-sum, CRPS and energy score, and over how many windows."""
    return (
        f"CRPS-sum {metrics['CRPS-sum']:.4f}  CRPS {metrics['CRPS']:.4f}  "
        f"energy score {metrics['energy_score']:.4g}  ({metrics['num_windows']} windows)"
    )


def write_metrics(path: str | Path, metrics: dict) -> None:
    """``metrics`` as indented JSON (numpy scalars converted)."""
    plain = {
        key: (value.item() if hasattr(value, "item") else value) for key, value in metrics.items()
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(plain, indent=2, sort_keys=True) + "\n")
