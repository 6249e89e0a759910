"""Public holidays of a region as a calendar of dates that a bundle can store.

Regions are written ``COUNTRY`` or ``COUNTRY-SUBDIVISION`` with the PyPI ``holidays`` codes,
e.g. "AU-VIC" (Victoria, Australia), "US-CA", "DE-BY", "GB-SCT", "FR".

A day is flagged when it is a holiday by date *or* the day off that replaces one falling on a
weekend: in Victoria Christmas Day 2016 fell on a Sunday and the calendar moves it to Tuesday
27 Dec, but the 25th still closed the shops. Flagging both keeps either day apart from an
ordinary Sunday or Tuesday. Only frequencies of a day or finer can carry the flag: a month is
not a holiday.

Holidays differ in kind: Christmas Day empties the city, Boxing Day fills its shops. Each named
holiday can also get its own 0/1 feature (per-holiday effects, as Prophet models them; Taylor &
Letham 2018), by date only: a substitute day off carries the flag but not the name, because
what the name stands for (the shops shut on the 25th) stays on the date.

``HolidayCalendar.resolve`` asks the ``holidays`` package once, for a range of years; the
calendar then holds plain dates and names, so a model trained with it (its bundle stores the
calendar) computes the same features whatever version of the package is installed later, or
none. Periods outside the resolved years are an error, never a silent 0.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diffmm.errors import DiffmmError


def _days(index: pd.PeriodIndex) -> pd.DatetimeIndex:
    """The day each period starts on (a frequency of a day or finer)."""
    if len(index) and index[0].end_time - index[0].start_time >= pd.Timedelta(days=1):
        raise DiffmmError(
            f"public-holiday flags need a frequency of a day or finer, not {index.freqstr!r}"
        )
    return index.start_time.normalize()


@dataclass(frozen=True)
class HolidayCalendar:
    """The holidays of ``region`` from ``first_year`` to ``last_year`` (inclusive), resolved.

    ``flagged``: ISO dates that are a holiday by date or a substitute day off for one;
    ``names``: ISO date → the holiday's name on that date (by date only, no substitutes).
    """

    region: str
    first_year: int
    last_year: int
    flagged: frozenset[str] = field(default_factory=frozenset)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, region: str, first_year: int, last_year: int) -> HolidayCalendar:
        """Ask the installed ``holidays`` package for ``region``'s years."""
        try:
            import holidays
        except ImportError as error:
            raise DiffmmError(
                f"public holidays ({region!r}) need the 'holidays' package: pip install holidays"
            ) from error
        country, _, subdivision = region.partition("-")
        years = list(range(first_year, last_year + 1))
        try:
            by_date, with_days_off = (
                holidays.country_holidays(
                    country, subdiv=subdivision or None, years=years, observed=observed
                )
                for observed in (False, True)
            )
        except NotImplementedError as error:
            raise DiffmmError(
                f"no public-holiday calendar for region {region!r}: {error}"
            ) from error
        flagged = frozenset(day.isoformat() for day in set(by_date) | set(with_days_off))
        names = {day.isoformat(): name for day, name in sorted(by_date.items())}
        return cls(region, first_year, last_year, flagged, names)

    @classmethod
    def covering(cls, region: str, index: pd.PeriodIndex, years_after: int = 0) -> HolidayCalendar:
        """The calendar of the years ``index`` spans, and ``years_after`` more."""
        days = _days(index)
        return cls.resolve(region, int(days.year.min()), int(days.year.max()) + years_after)

    def _covered_days(self, index: pd.PeriodIndex) -> pd.DatetimeIndex:
        days = _days(index)
        if len(days) and (days.year.min() < self.first_year or days.year.max() > self.last_year):
            raise DiffmmError(
                f"the {self.region} holiday calendar covers {self.first_year}-{self.last_year}, "
                f"but the series runs from {days.min().date()} to {days.max().date()}: a model "
                "trained on an earlier range must be retrained (or its bundle re-exported) to "
                "forecast there"
            )
        return days

    def flags(self, index: pd.PeriodIndex) -> np.ndarray:
        """Float (T,): 1.0 for the periods that start on a flagged day, else 0.0."""
        days = self._covered_days(index)
        return np.asarray(days.strftime("%Y-%m-%d").isin(self.flagged), dtype=np.float64)

    def name_flags(self, index: pd.PeriodIndex, names: Sequence[str]) -> np.ndarray:
        """Float (K, T): row k is 1.0 on the periods that start on the holiday ``names[k]``."""
        day_names = self._day_names(self._covered_days(index))
        return np.asarray(
            day_names[None, :] == np.asarray(names, dtype=object)[:, None], dtype=np.float64
        )

    def names_within(self, index: pd.PeriodIndex) -> list[str]:
        """The sorted names of the holidays whose date falls inside ``index``."""
        return sorted(set(self._day_names(self._covered_days(index))) - {""})

    def _day_names(self, days: pd.DatetimeIndex) -> np.ndarray:
        """The holiday name of each day, "" on other days."""
        return np.array(
            [self.names.get(day, "") for day in days.strftime("%Y-%m-%d")], dtype=object
        )

    def to_dict(self) -> dict[str, Any]:
        """YAML-safe: the region, the years and the dates as ISO strings."""
        return {
            "region": self.region,
            "first_year": self.first_year,
            "last_year": self.last_year,
            "flagged": sorted(self.flagged),
            "names": dict(sorted(self.names.items())),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HolidayCalendar:
        for day in [*values["flagged"], *values["names"]]:
            datetime.date.fromisoformat(day)  # a malformed date fails here, not as a silent 0
        return cls(
            values["region"],
            int(values["first_year"]),
            int(values["last_year"]),
            frozenset(values["flagged"]),
            dict(values["names"]),
        )
