"""Lags and calendar features derived from the frequency (as TimeGrad / pytorch-ts use them).

- ``lags_for_frequency``: GluonTS's ``get_lags_for_frequency`` (default upper bound 1200),
  e.g. hourly → [1..7, 23, 24, 25, 47, 48, 49, ..., 719, 720, 721].
- ``time_features``: GluonTS's ``time_features_from_frequency_str`` (each feature in
  [-0.5, 0.5], e.g. hourly: hour of day, day of week, day of month, day of year), then, as
  pytorch-ts's TimeGrad adds with ``AddAgeFeature(log_scale=True)``, an age feature
  log10(2 + t), t = steps since ``age_origin`` (default: the first period of ``index``).
  Computing the features over a whole series and slicing them keeps the age measured from the
  series' start, as in pytorch-ts. With ``holidays`` (a region such as "AU-VIC") a last
  feature flags public holidays (``public_holidays.holiday_flags``): calendar features know the
  weekday and the day of year, but not that a Monday is Labour Day or where Easter fell;
  ``holiday_names`` then add one feature per named holiday (``holiday_name_flags``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from diffmm.timeseries.public_holidays import holiday_flags, holiday_name_flags
from diffmm.timeseries.series import make_period, offset_alias, quiet_period_warnings


def lags_for_frequency(freq: str) -> list[int]:
    """GluonTS's lag indices for ``freq`` (ascending, starting at 1)."""
    from gluonts.time_feature import get_lags_for_frequency

    return [int(lag) for lag in get_lags_for_frequency(offset_alias(freq))]


def _calendar_features(freq: str) -> list:
    from gluonts.time_feature import time_features_from_frequency_str

    return time_features_from_frequency_str(offset_alias(freq))


def num_time_features(
    freq: str, holidays: str | None = None, holiday_names: Sequence[str] = ()
) -> int:
    """F: the calendar features of ``freq``, the age feature and, with ``holidays``, the flag
    and one feature per name of ``holiday_names``."""
    return len(_calendar_features(freq)) + 1 + (holidays is not None) + len(holiday_names)


def time_features(
    index: pd.PeriodIndex,
    freq: str,
    *,
    age_origin: pd.Period | None = None,
    holidays: str | None = None,
    holiday_names: Sequence[str] = (),
) -> np.ndarray:
    """Float32 (F, T): calendar features of each period, log10(2 + age), then (with a
    ``holidays`` region) 1.0 on that region's public holidays and 0.0 elsewhere, then one such
    row per name of ``holiday_names`` (that holiday's date only)."""
    if holiday_names and holidays is None:
        raise ValueError("holiday_names need a holidays region")
    with quiet_period_warnings():
        index = pd.PeriodIndex(index).asfreq(make_period(index[0], freq).freqstr)
        origin = index[0] if age_origin is None else make_period(age_origin, freq)
        first_age = (index[0] - origin).n
    if first_age < 0:
        raise ValueError(f"age_origin {origin} is after the first period {index[0]}")
    age = first_age + np.arange(len(index))
    rows = [np.asarray(feature(index), dtype=np.float64) for feature in _calendar_features(freq)]
    rows.append(np.log10(2.0 + age.astype(np.float64)))
    if holidays is not None:
        rows.append(holiday_flags(index, holidays))
        rows.extend(holiday_name_flags(index, holidays, holiday_names))
    return np.stack(rows).astype(np.float32)
