"""Lags and calendar features derived from the frequency (as TimeGrad / pytorch-ts use them).

- ``lags_for_frequency``: GluonTS's ``get_lags_for_frequency`` (default upper bound 1200),
  e.g. hourly → [1..7, 23, 24, 25, 47, 48, 49, ..., 719, 720, 721].
- ``TimeFeatureSpec.features``: GluonTS's ``time_features_from_frequency_str`` (each feature in
  [-0.5, 0.5], e.g. hourly: hour of day, day of week, day of month, day of year), then, as
  pytorch-ts's TimeGrad adds with ``AddAgeFeature(log_scale=True)``, an age feature
  log10(2 + t), t = steps since ``age_origin`` (default: the first period of ``index``).
  Computing the features over a whole series and slicing them keeps the age measured from the
  series' start, as in pytorch-ts. With ``holidays`` (a region such as "AU-VIC") a last
  feature flags public holidays (``public_holidays.HolidayCalendar``): calendar features know
  the weekday and the day of year, but not that a Monday is Labour Day or where Easter fell;
  ``holiday_names`` then add one feature per named holiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from diffmm.timeseries.public_holidays import HolidayCalendar
from diffmm.timeseries.series import make_period, offset_alias, quiet_period_warnings

HOLIDAY_YEARS_AHEAD = 10  # years past the training range a bundle's holiday calendar covers


def lags_for_frequency(freq: str) -> list[int]:
    """GluonTS's lag indices for ``freq`` (ascending, starting at 1)."""
    from gluonts.time_feature import get_lags_for_frequency

    return [int(lag) for lag in get_lags_for_frequency(offset_alias(freq))]


def seasonality_for_frequency(freq: str) -> int:
    """GluonTS's ``get_seasonality``: steps per season (hourly 24, monthly 12, quarterly 4)."""
    from gluonts.time_feature import get_seasonality

    return int(get_seasonality(offset_alias(freq)))


def _calendar_features(freq: str) -> list:
    from gluonts.time_feature import time_features_from_frequency_str

    return time_features_from_frequency_str(offset_alias(freq))


@dataclass(frozen=True)
class TimeFeatureSpec:
    """Which time features a model reads, all it needs to compute them again at inference.

    ``freq``: the calendar features (and the age feature); ``holidays``: a region whose public
    holidays get one flag feature; ``holiday_names``: one more feature per named holiday;
    ``calendar``: those holidays' dates, resolved when the model was trained
    (``HolidayCalendar``), so a bundle's features never depend on the installed ``holidays``
    package. ``calendar=None`` with a region asks the package for the years of each index
    (bundles exported before calendars were stored).
    """

    freq: str
    holidays: str | None = None
    holiday_names: tuple[str, ...] = ()
    calendar: HolidayCalendar | None = None

    def __post_init__(self) -> None:
        if self.holiday_names and self.holidays is None:
            raise ValueError("holiday_names need a holidays region")
        if self.calendar is not None and self.calendar.region != self.holidays:
            raise ValueError(
                f"the holiday calendar is {self.calendar.region!r}, the region {self.holidays!r}"
            )
        object.__setattr__(self, "holiday_names", tuple(self.holiday_names))

    @classmethod
    def for_training(
        cls,
        index: pd.PeriodIndex,
        freq: str,
        holidays: str | None = None,
        named_holidays: bool = False,
    ) -> TimeFeatureSpec:
        """The spec of a model trained on ``index``: with a region, its calendar resolved from
        the first year of ``index`` to ``HOLIDAY_YEARS_AHEAD`` years past the last, and with
        ``named_holidays`` one feature per holiday whose date falls inside ``index`` (a feature
        the model never saw set would be noise)."""
        if holidays is None:
            if named_holidays:
                raise ValueError("named holidays need a holidays region")
            return cls(freq)
        calendar = HolidayCalendar.covering(holidays, index, HOLIDAY_YEARS_AHEAD)
        names = calendar.names_within(index) if named_holidays else ()
        return cls(freq, holidays, tuple(names), calendar)

    @property
    def num_features(self) -> int:
        """F: the calendar features of ``freq``, the age feature and, with ``holidays``, the
        flag and one feature per name of ``holiday_names``."""
        named = len(self.holiday_names)
        return len(_calendar_features(self.freq)) + 1 + (self.holidays is not None) + named

    @property
    def names(self) -> list[str]:
        """The features' names, in the order of ``features``' rows."""
        names = [f.__name__ for f in _calendar_features(self.freq)] + ["age"]
        if self.holidays is not None:
            names += [f"holiday ({self.holidays})", *self.holiday_names]
        return names

    def features(self, index: pd.PeriodIndex, age_origin: pd.Period | None = None) -> np.ndarray:
        """Float32 (F, T): calendar features of each period, log10(2 + age), then (with a
        region) 1.0 on its public holidays and 0.0 elsewhere, then one such row per name of
        ``holiday_names`` (that holiday's date only)."""
        with quiet_period_warnings():
            index = pd.PeriodIndex(index).asfreq(make_period(index[0], self.freq).freqstr)
            origin = index[0] if age_origin is None else make_period(age_origin, self.freq)
            first_age = (index[0] - origin).n
        if first_age < 0:
            raise ValueError(f"age_origin {origin} is after the first period {index[0]}")
        age = first_age + np.arange(len(index))
        rows = [np.asarray(f(index), dtype=np.float64) for f in _calendar_features(self.freq)]
        rows.append(np.log10(2.0 + age.astype(np.float64)))
        if self.holidays is not None:
            calendar = self.calendar or HolidayCalendar.covering(self.holidays, index)
            rows.append(calendar.flags(index))
            rows.extend(calendar.name_flags(index, self.holiday_names))
        return np.stack(rows).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "holidays": self.holidays,
            "holiday_names": list(self.holiday_names),
            "calendar": None if self.calendar is None else self.calendar.to_dict(),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TimeFeatureSpec:
        calendar = values.get("calendar")
        return cls(
            values["freq"],
            values.get("holidays"),
            tuple(values.get("holiday_names") or ()),
            None if calendar is None else HolidayCalendar.from_dict(calendar),
        )
