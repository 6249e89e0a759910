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
    read_jsonl,
    read_series,
    read_table,
)
from diffmm.timeseries.features import lags_for_frequency, num_time_features, time_features
from diffmm.timeseries.scaling import mean_scale, unscale
from diffmm.timeseries.windows import (
    TrainingWindows,
    bundle_inference_batch,
    hold_out,
    inference_batch,
    split_test_windows,
)

__all__ = [
    "TIMEGRAD_DATASETS",
    "GluonTSData",
    "MultivariateSeries",
    "TrainingWindows",
    "bundle_inference_batch",
    "canonical_freq",
    "hold_out",
    "inference_batch",
    "lags_for_frequency",
    "load_gluonts_dataset",
    "load_gluonts_directory",
    "mean_scale",
    "num_time_features",
    "read_jsonl",
    "read_series",
    "read_table",
    "split_test_windows",
    "time_features",
    "unscale",
]
