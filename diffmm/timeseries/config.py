"""The ``data`` and ``forecast`` sections of a forecasting recipe's config.

Recipes that train on series (TimeGrad and the forecasters to come) share them, so the keys of
``recipes/configs/timegrad/*.yaml`` mean the same in each, and so do their checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from diffmm.config import ConfigError
from diffmm.timeseries.data import load_training_series
from diffmm.timeseries.features import TimeFeatureSpec, lags_for_frequency
from diffmm.timeseries.series import MultivariateSeries


@dataclass
class SeriesDataConfig:
    dataset: str | None = None  # GluonTS repository name, e.g. electricity_nips
    root: str | None = None  # folder holding <dataset>/ (default: GluonTS's cache)
    directory: str | None = None  # or a GluonTS-layout folder (metadata.json, train/, test/)
    train: str | None = None  # or a user file: .csv/.parquet (wide or long) or .jsonl
    freq: str | None = None  # for a user file: inferred when null
    num_val_windows: int = 1  # rolling windows at the end of the training range, held out
    num_train_windows: int | None = None  # windows per epoch (null: every start, once)

    def load(self) -> tuple[MultivariateSeries, int | None]:
        """The training range and the dataset's prediction length (None for a user file)."""
        return load_training_series(
            dataset=self.dataset,
            root=self.root,
            directory=self.directory,
            train=self.train,
            freq=self.freq,
        )


@dataclass
class ForecastConfig:
    prediction_length: int | None = None  # null: the dataset's
    context_length: int | None = None  # null: = prediction_length (the paper)
    lags: list[int] | None = None  # null: diffmm.timeseries.lags_for_frequency
    holidays: str | None = None  # a region, e.g. AU-VIC: one more feature flags its holidays
    # and one feature per holiday (by name) whose date falls in the training range
    holiday_names: bool = False

    def __post_init__(self) -> None:
        if self.holiday_names and self.holidays is None:
            raise ConfigError("forecast.holiday_names needs a forecast.holidays region")

    def horizon(self, dataset_horizon: int | None) -> int:
        """The prediction length: this section's, else the dataset's."""
        horizon = self.prediction_length or dataset_horizon
        if horizon is None:
            raise ConfigError("forecast.prediction_length is required for a user file")
        return horizon

    def lags_for(self, freq: str) -> list[int]:
        return list(self.lags or lags_for_frequency(freq))

    def time_features(self, fit: MultivariateSeries) -> TimeFeatureSpec:
        """The features of a model trained on the range ``fit``."""
        return TimeFeatureSpec.for_training(fit.index, fit.freq, self.holidays, self.holiday_names)
