"""Place timestamped rows on a regular period grid: infer or check the frequency, fill gaps.

``to_series`` is the one place where user timestamps become a ``MultivariateSeries``:
- the frequency is given, or inferred: first ``pd.infer_freq`` on all timestamps, then (when
  gaps make that fail) the most common answer of ``pd.infer_freq`` on short runs of
  consecutive timestamps, accepted only if it explains every timestamp;
- a timestamp "fits" a period when it is the period's start (sub-daily frequencies) or falls
  on the first or last day of the period (daily and coarser: month-start and month-end dates
  both mean the month);
- two timestamps in one period, or timestamps no frequency explains, are errors, and so are
  rows mostly k > 1 periods apart on a given frequency's grid (data of another frequency);
- rows out of time order are sorted by timestamp, with a warning;
- periods of the grid with no row become missing values (NaN, observed False).
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd

from diffmm.errors import DiffmmError
from diffmm.timeseries.series import MultivariateSeries, canonical_freq, quiet_period_warnings

_RUN_LENGTHS = (5, 3)
_NUM_RUNS = 64
_ONE_DAY = pd.Timedelta(days=1).value


def _fits_grid(times: pd.DatetimeIndex, periods: pd.PeriodIndex) -> np.ndarray:
    """Per timestamp: does it sit where a timestamp of its period is expected?"""
    with quiet_period_warnings():
        period_start = periods.to_timestamp(how="start")
        if _sub_daily(periods.freq):
            return np.asarray(times == period_start)
        day = times.normalize()
        period_end = periods.to_timestamp(how="end").normalize()
        return np.asarray((day == period_start.normalize()) | (day == period_end))


def _sub_daily(offset: pd.DateOffset) -> bool:
    try:
        return offset.nanos < _ONE_DAY
    except ValueError:  # calendar offsets (month, business day) have no fixed length
        return False


def _explains(times: pd.DatetimeIndex, freq: str) -> bool:
    with quiet_period_warnings():
        periods = times.to_period(freq)
    return bool(_fits_grid(times, periods).all()) and not periods.has_duplicates


def infer_frequency(times: pd.DatetimeIndex) -> str:
    """The ``Period`` alias explaining sorted unique ``times`` (gaps allowed), else an error."""
    if len(times) < 3:
        raise DiffmmError(
            f"cannot infer a frequency from {len(times)} timestamp(s); give the frequency"
        )
    with quiet_period_warnings():
        whole = pd.infer_freq(times)
        if whole is not None:
            return canonical_freq(whole)
        votes: Counter = Counter()
        for run in _RUN_LENGTHS:
            last_start = max(len(times) - run, 0)
            for start in np.unique(np.linspace(0, last_start, _NUM_RUNS).astype(int)):
                if start + run <= len(times):
                    votes[pd.infer_freq(times[start : start + run])] += 1
    for candidate, _ in votes.most_common():
        if candidate is not None and _explains(times, canonical_freq(candidate)):
            return canonical_freq(candidate)
    spacing = times[1:] - times[:-1]
    common = spacing.value_counts().index[0]
    odd = int(np.flatnonzero(spacing != common)[0])
    raise DiffmmError(
        f"irregular spacing: no frequency explains the timestamps (most are {common} apart, "
        f"but {times[odd]} -> {times[odd + 1]} is {spacing[odd]}); give the frequency explicitly"
    )


def parse_timestamps(column: pd.Series, name: str) -> pd.DatetimeIndex:
    """A column of dates/times (strings, datetimes or integer years) as naive timestamps.

    Time-zone aware values are converted to UTC and the zone dropped (periods are naive).
    """
    values = column.astype(str) if pd.api.types.is_integer_dtype(column) else column
    with quiet_period_warnings(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format": dateutil is fine
        try:
            times = pd.to_datetime(values)
        except (ValueError, TypeError):
            times = pd.to_datetime(values, errors="coerce", format="mixed")
    times = pd.DatetimeIndex(times)
    bad = np.flatnonzero(times.isna())
    if len(bad):
        raise DiffmmError(
            f"timestamp column {name!r}: value {column.iloc[bad[0]]!r} at data row "
            f"{bad[0] + 1} is not a date/time"
        )
    if times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    return times


def duplicated_labels(labels: pd.Index) -> list[str]:
    """The (first few) labels that occur more than once, as strings."""
    return [str(label) for label in labels[labels.duplicated()].unique()[:5]]


def _check_step(positions: np.ndarray, freq: str) -> None:
    """Rows that are mostly k > 1 periods apart are data of another frequency, not gaps:
    filling the k − 1 periods between every pair of rows would invent a series."""
    steps = np.diff(positions)
    if len(steps) == 0:
        return
    values, counts = np.unique(steps, return_counts=True)
    common = int(values[np.argmax(counts)])
    if common > 1:
        raise DiffmmError(
            f"consecutive timestamps are mostly {common} periods of frequency {freq!r} apart: "
            f"the data has another frequency than {freq!r}"
        )


def to_series(
    times: pd.DatetimeIndex, values: np.ndarray, item_ids: list[str], freq: str | None
) -> MultivariateSeries:
    """Rows ``values`` (N, D) at unique ``times`` (N,) as a gap-filled regular series."""
    if times.has_duplicates:
        raise DiffmmError(f"duplicate timestamps: {', '.join(duplicated_labels(times))}")
    if not times.is_monotonic_increasing:
        back = int(np.flatnonzero(np.diff(times.values) < np.timedelta64(0))[0])
        warnings.warn(
            f"rows are not in time order ({times[back + 1]} at data row {back + 2} comes after "
            f"{times[back]}): sorted by timestamp",
            stacklevel=2,
        )
    order = np.argsort(times.values, kind="stable")
    times, values = times[order], values[order]
    given = freq is not None
    freq = canonical_freq(freq) if given else infer_frequency(times)
    with quiet_period_warnings():
        periods = times.to_period(freq)
    fits = _fits_grid(times, periods)
    if not fits.all():
        raise DiffmmError(
            f"irregular spacing: timestamp {times[int(np.flatnonzero(~fits)[0])]} is not on the "
            f"grid of frequency {freq!r}"
        )
    if periods.has_duplicates:
        clash = periods[periods.duplicated()][0]
        same = times[periods == clash]
        raise DiffmmError(
            f"timestamps {', '.join(map(str, same[:3]))} fall in one period ({clash}) of "
            f"frequency {freq!r}"
        )
    with quiet_period_warnings():
        grid = pd.period_range(start=periods[0], end=periods[-1], freq=freq)
    positions = grid.get_indexer(periods)
    if given:
        _check_step(positions, freq)
    target = np.full((values.shape[1], len(grid)), np.nan, dtype=np.float32)
    target[:, positions] = values.T
    return MultivariateSeries(
        target=target,
        observed=np.isfinite(target),
        start=grid[0],
        freq=freq,
        item_ids=item_ids,
    )
