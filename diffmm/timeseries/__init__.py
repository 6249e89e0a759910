"""Forecasting data, features, windows, scaling and evaluation (TimeGrad and baselines).

Modules: ``data`` (series, tables, JSON lines, GluonTS datasets), ``features`` (lags and time
features per frequency), ``scaling`` (mean scaling), ``windows`` (training windows, inference
batches), ``evaluation`` (GluonTS metrics, energy score, fan charts), ``baselines``
(seasonal naive, VAR).
"""

from diffmm.timeseries.data import (
    TIMEGRAD_DATASETS,
    GluonTSData,
    MultivariateSeries,
    canonical_freq,
    load_gluonts_dataset,
    load_gluonts_directory,
    load_training_series,
    read_jsonl,
    read_series,
    read_table,
)
from diffmm.timeseries.features import TimeFeatureSpec, lags_for_frequency
from diffmm.timeseries.scaling import mean_scale, unscale
from diffmm.timeseries.windows import (
    TrainingWindows,
    hold_out,
    inference_batch,
    rolling_windows,
    split_test_windows,
)

__all__ = [
    "TIMEGRAD_DATASETS",
    "GluonTSData",
    "MultivariateSeries",
    "TimeFeatureSpec",
    "TrainingWindows",
    "canonical_freq",
    "hold_out",
    "inference_batch",
    "lags_for_frequency",
    "load_gluonts_dataset",
    "load_gluonts_directory",
    "load_training_series",
    "mean_scale",
    "read_jsonl",
    "read_series",
    "read_table",
    "rolling_windows",
    "split_test_windows",
    "unscale",
]
