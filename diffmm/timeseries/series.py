"""The in-memory multivariate series every forecasting component works on, and its frequency.

Frequencies are pandas ``Period`` aliases (pandas >= 2.2): ``"h"``, ``"30min"``, ``"D"``,
``"B"``, ``"W-SUN"``, ``"M"``, ``"Q-DEC"``, ``"Y-DEC"``. ``canonical_freq`` turns any
offset alias a user or a file may give (``"ME"``, ``"MS"``, ``"QS-OCT"``, ``"1h"``, GluonTS's
old ``"H"``) into that form; ``offset_alias`` gives the matching ``DateOffset`` alias
(``"ME"``, ``"QE-DEC"``) that GluonTS's lag and time-feature helpers expect.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from diffmm.errors import DiffmmError

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@contextmanager
def quiet_period_warnings() -> Iterator[None]:
    """Silence pandas' deprecation notices for old aliases and business-day periods.

    GluonTS's own ``exchange_rate_nips`` is a business-day (``"B"``) ``Period`` series, which
    pandas still supports but announces as deprecated on every construction.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _month_name(month: int) -> str:
    return _MONTHS[(month - 1) % 12]


def canonical_freq(freq: str) -> str:
    """The ``Period`` alias of ``freq`` (``"ME"``/``"MS"`` → ``"M"``, ``"QS-OCT"`` → ``"Q-DEC"``)."""
    with quiet_period_warnings():
        try:
            offset = to_offset(freq)
        except ValueError as error:
            raise DiffmmError(f"unknown frequency {freq!r}: {error}") from None
        # Period has no "start" anchored frequencies: a month starting on the 1st is the
        # period "M"; a quarter (year) starting in month m ends in month m + 2 (m + 11).
        if isinstance(offset, offsets.MonthBegin):
            offset = to_offset(f"{offset.n}ME")
        elif isinstance(offset, offsets.QuarterBegin):
            offset = to_offset(f"{offset.n}QE-{_month_name(offset.startingMonth + 2)}")
        elif isinstance(offset, offsets.YearBegin):
            offset = to_offset(f"{offset.n}YE-{_month_name(offset.month + 11)}")
        try:
            return pd.Period("2000-01-03", freq=offset).freqstr
        except (ValueError, TypeError, AttributeError) as error:
            raise DiffmmError(f"frequency {freq!r} cannot index periods: {error}") from None


def offset_alias(freq: str) -> str:
    """The ``DateOffset`` alias of a frequency (``"M"`` → ``"ME"``, ``"h"`` → ``"h"``)."""
    with quiet_period_warnings():
        return pd.Period("2000-01-03", freq=canonical_freq(freq)).freq.freqstr


def make_period(value: object, freq: str) -> pd.Period:
    """``value`` (a string, timestamp or period) as a ``Period`` of ``freq``."""
    with quiet_period_warnings():
        if isinstance(value, pd.Period):
            return value.asfreq(canonical_freq(freq))
        return pd.Period(value, freq=canonical_freq(freq))


@dataclass
class MultivariateSeries:
    """D series on one shared regular time grid.

    target:   float32 array (D, T); NaN where a value is missing.
    observed: bool array (D, T); False where missing (always False where target is NaN).
    start:    the ``pd.Period`` of column 0.
    freq:     the ``Period`` alias of the grid (see the module docstring).
    item_ids: one name per row of ``target``.

    Construction copies nothing the caller must keep: arrays are converted (float32/bool),
    ``freq`` is made canonical and ``observed`` is cleared wherever ``target`` is not finite.
    """

    target: np.ndarray
    observed: np.ndarray
    start: pd.Period
    freq: str
    item_ids: list[str]

    def __post_init__(self) -> None:
        self.freq = canonical_freq(self.freq)
        self.target = np.asarray(self.target, dtype=np.float32)
        if self.target.ndim != 2:
            raise DiffmmError(f"target must be (num_series, length), got {self.target.shape}")
        observed = np.asarray(self.observed, dtype=bool)
        if observed.shape != self.target.shape:
            raise DiffmmError(
                f"observed {observed.shape} and target {self.target.shape} differ in shape"
            )
        self.observed = observed & np.isfinite(self.target)
        self.start = make_period(self.start, self.freq)
        self.item_ids = [str(item) for item in self.item_ids]
        if len(self.item_ids) != self.target.shape[0]:
            raise DiffmmError(f"{len(self.item_ids)} item ids for {self.target.shape[0]} series")

    @property
    def num_series(self) -> int:
        return self.target.shape[0]

    @property
    def length(self) -> int:
        return self.target.shape[1]

    @property
    def end(self) -> pd.Period:
        """The period of the last column."""
        with quiet_period_warnings():
            return self.start + (self.length - 1)

    @property
    def index(self) -> pd.PeriodIndex:
        with quiet_period_warnings():
            return pd.period_range(start=self.start, periods=self.length, freq=self.freq)

    def future_index(self, prediction_length: int) -> pd.PeriodIndex:
        """The ``prediction_length`` periods right after the series' end."""
        with quiet_period_warnings():
            return pd.period_range(start=self.end + 1, periods=prediction_length, freq=self.freq)

    def slice(self, start: int | None = None, stop: int | None = None) -> MultivariateSeries:
        """The columns ``start:stop`` (Python slice rules, negative positions allowed)."""
        begin, finish, _ = slice(start, stop).indices(self.length)
        if finish <= begin:
            raise DiffmmError(f"slice {start}:{stop} of a series of length {self.length} is empty")
        with quiet_period_warnings():
            new_start = self.start + begin
        return MultivariateSeries(
            target=self.target[:, begin:finish].copy(),
            observed=self.observed[:, begin:finish].copy(),
            start=new_start,
            freq=self.freq,
            item_ids=list(self.item_ids),
        )

    def to_frame(self) -> pd.DataFrame:
        """Wide table: one row per period (index named ``timestamp``), one column per series."""
        values = np.where(self.observed, self.target, np.nan).T
        frame = pd.DataFrame(values, columns=self.item_ids, index=self.index)
        frame.index.name = "timestamp"
        return frame
