"""A public-holiday flag per period, from the PyPI ``holidays`` calendars.

Regions are written ``COUNTRY`` or ``COUNTRY-SUBDIVISION`` with the ``holidays`` codes, e.g.
"AU-VIC" (Victoria, Australia), "US-CA", "DE-BY", "GB-SCT", "FR".

A day is flagged when it is a holiday by date *or* the day off that replaces one falling on a
weekend: in Victoria Christmas Day 2016 fell on a Sunday and the calendar moves it to Tuesday
27 Dec, but the 25th still closed the shops. Flagging both keeps either day apart from an
ordinary Sunday or Tuesday. Only frequencies of a day or finer can carry the flag: a month is
not a holiday.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from diffmm.errors import DiffmmError


def holiday_dates(region: str, years: list[int]) -> set[datetime.date]:
    """The dates of ``years`` that are a public holiday of ``region`` or a substitute for one."""
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
    return set(calendars[0]) | set(calendars[1])


def holiday_flags(index: pd.PeriodIndex, region: str) -> np.ndarray:
    """Float (T,): 1.0 for the periods that start on a holiday of ``region``, else 0.0."""
    if len(index) and index[0].end_time - index[0].start_time >= pd.Timedelta(days=1):
        raise DiffmmError(
            f"public-holiday flags need a frequency of a day or finer, not {index.freqstr!r}"
        )
    days = index.start_time.normalize()
    dates = pd.DatetimeIndex(sorted(holiday_dates(region, sorted(set(days.year)))))
    return np.asarray(days.isin(dates), dtype=np.float64)
