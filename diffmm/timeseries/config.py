"""The ``data`` and ``forecast`` sections of a forecasting recipe's config.

Recipes that train on series (TimeGrad and the forecasters to come) share them, so the keys of
``recipes/configs/timegrad/*.yaml`` mean the same in each, and so do their checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from diffmm.config import ConfigError
from diffmm.timeseries.data import load_training_series
from diffmm.timeseries.features import (
    TimeFeatureSpec,
    lags_for_frequency,
    seasonality_for_frequency,
)
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
    # null: the prediction length (the paper), or one season of the frequency if longer
    context_length: int | None = None
    lags: list[int] | None = None  # null: GluonTS's lags for the data's frequency
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
        """The config's lags, else GluonTS's ``get_lags_for_frequency(freq)``."""
        return list(self.lags or lags_for_frequency(freq))

    def context_for(self, freq: str, prediction_length: int) -> int:
        """The config's context, else max(prediction length, one season of ``freq``)."""
        return self.context_length or max(prediction_length, seasonality_for_frequency(freq))

    def describe(self, freq: str, prediction_length: int, features: TimeFeatureSpec) -> str:
        """What was chosen for data at ``freq`` and where each choice came from, on one line."""

        def source(value: object) -> str:
            return "from the config" if value else f"the default for {freq}"

        return (
            f"context {self.context_for(freq, prediction_length)} ({source(self.context_length)}), "
            f"lags {self.lags_for(freq)} ({source(self.lags)}), "
            f"{features.num_features} time features ({', '.join(features.names)})"
        )

    def time_features(self, fit: MultivariateSeries) -> TimeFeatureSpec:
        """The features of a model trained on the range ``fit``."""
        return TimeFeatureSpec.for_training(fit.index, fit.freq, self.holidays, self.holiday_names)


DATA_SOURCES = ("dataset", "directory", "train")


def command_line_source_wins(argv: Sequence[str]) -> list[str]:
    """``argv`` where a data source set on the command line (``data.train=my.csv``) replaces
    the config's (``data.directory: ...``): the other sources are set to null before it."""
    given = [arg.partition("=")[0] for arg in argv if arg.startswith("data.") and "=" in arg]
    chosen = {key.removeprefix("data.") for key in given} & set(DATA_SOURCES)
    if len(chosen) != 1:  # none, or several: the config and the check decide
        return list(argv)
    (name,) = chosen
    nulls = [f"data.{other}=null" for other in DATA_SOURCES if other != name]
    first = next(i for i, arg in enumerate(argv) if arg.partition("=")[0] == f"data.{name}")
    return [*argv[:first], *nulls, *argv[first:]]
