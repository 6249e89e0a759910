"""A public-holiday flag per period, from the PyPI ``holidays`` calendars.

Regions are written ``COUNTRY`` or ``COUNTRY-SUBDIVISION`` with the ``holidays`` codes, e.g.
"AU-VIC" (Victoria, Australia), "US-CA", "DE-BY", "GB-SCT", "FR".

A day is flagged when it is a holiday by date *or* the day off that replaces one falling on a
weekend: in Victoria Christmas Day 2016 fell on a Sunday and the calendar moves it to Tuesday
27 Dec, but the 25th still closed the shops. Flagging both keeps either day apart from an
ordinary Sunday or Tuesday. Only frequencies of a day or finer can carry the flag: a month is
not a holiday.

Holidays differ in kind: Christmas Day empties the city, Boxing Day fills its shops. With
``holiday_names`` each named holiday also gets its own 0/1 feature (per-holiday effects, as
Prophet models them; Taylor & Letham 2018), by date only: a substitute day off carries the flag
but not the name, because what the name stands for (the shops shut on the 25th) stays on the
date. ``seen_holiday_names`` lists the names that fall inside a range, e.g. the training range,
so that no feature is one the model never saw set.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import pandas as pd

from diffmm.errors import DiffmmError


def _calendars(region: str, years: list[int]) -> list:
    """``region``'s calendars of ``years``: by date, then with the substitute days off."""
    try:
        import holidays
    except ImportError as error:
        raise DiffmmError(
            f"public holidays ({region!r}) need the 'holidays' package: pip install holidays"
        ) from error
    country, _, subdivision = region.partition("-")
    try:
        calendars = [
            holidays.country_holidays(
                country, subdiv=subdivision or None, years=years, observed=observed
            )
            for observed in (False, True)
        ]
    except NotImplementedError as error:
        raise DiffmmError(f"no public-holiday calendar for region {region!r}: {error}") from error
    return calendars


def holiday_dates(region: str, years: list[int]) -> set[datetime.date]:
    """The dates of ``years`` that are a public holiday of ``region`` or a substitute for one."""
    by_date, observed = _calendars(region, years)
    return set(by_date) | set(observed)


def _days(index: pd.PeriodIndex) -> pd.DatetimeIndex:
    """The day each period starts on (a frequency of a day or finer)."""
    if len(index) and index[0].end_time - index[0].start_time >= pd.Timedelta(days=1):
        raise DiffmmError(
            f"public-holiday flags need a frequency of a day or finer, not {index.freqstr!r}"
        )
    return index.start_time.normalize()


def holiday_flags(index: pd.PeriodIndex, region: str) -> np.ndarray:
    """Float (T,): 1.0 for the periods that start on a holiday of ``region``, else 0.0."""
    days = _days(index)
    dates = pd.DatetimeIndex(sorted(holiday_dates(region, sorted(set(days.year)))))
    return np.asarray(days.isin(dates), dtype=np.float64)


def _names_by_day(days: pd.DatetimeIndex, region: str) -> np.ndarray:
    """The holiday name (by date, no substitutes) of each day, "" on other days."""
    by_date = _calendars(region, sorted(set(days.year)))[0]
    return np.array([by_date.get(day.date(), "") for day in days], dtype=object)


def seen_holiday_names(index: pd.PeriodIndex, region: str) -> list[str]:
    """The sorted names of ``region``'s holidays whose date falls inside ``index``."""
    return sorted(set(_names_by_day(_days(index), region)) - {""})


def holiday_name_flags(index: pd.PeriodIndex, region: str, names: Sequence[str]) -> np.ndarray:
    """Float (K, T): row k is 1.0 on the periods that start on the holiday ``names[k]``."""
    day_names = _names_by_day(_days(index), region)
    return np.asarray(
        day_names[None, :] == np.asarray(names, dtype=object)[:, None], dtype=np.float64
    )
