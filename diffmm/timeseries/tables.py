"""Read user series from CSV/Parquet tables and GluonTS JSON-lines files.

Table layouts (``layout="auto"`` picks one):
- wide: a timestamp column and one numeric column per series (the column name is the item id);
- long: an item-id column, a timestamp column and a value column, one row per (item, time).
``auto`` means long when ``item_col``/``value_col`` is given or a column is named ``item_id``,
``unique_id``, ``series_id``, ``item``, ``series`` or ``id``; wide otherwise. The timestamp
column is ``timestamp_col``, else the first column named ``timestamp``, ``date``, ``datetime``,
``date_time``, ``time``, ``ds``, ``start``, ``period`` or ``month``, else the first column.

Empty cells are missing values (NaN, observed False), and so are periods of the grid that have no
row (see ``diffmm.timeseries.grid`` for how the frequency is inferred or checked).

GluonTS JSON lines: one object per line with ``start``, ``target`` (a list, or a list of lists
for a multivariate line; ``null``/``"NaN"`` for missing) and optionally ``item_id`` and
``freq``. All rows are stacked into one multivariate series; they must share start and length.

An infinite value (in a cell or a target) is an error, not a missing value; a file's own
frequency that differs from the one it is read at is an error too.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

from diffmm.errors import DiffmmError
from diffmm.timeseries.grid import parse_timestamps, to_series
from diffmm.timeseries.series import MultivariateSeries, canonical_freq, make_period

TIMESTAMP_NAMES = ("timestamp", "date", "datetime", "date_time", "time", "ds", "start", "period")
TIMESTAMP_NAMES += ("month",)
ITEM_NAMES = ("item_id", "unique_id", "series_id", "item", "series", "id")
VALUE_NAMES = ("value", "target", "y")
LAYOUTS = ("auto", "wide", "long")


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DiffmmError(f"{path}: no such file")
    suffixes = [suffix.lower() for suffix in path.suffixes]
    try:
        if suffixes and suffixes[-1] in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif ".tsv" in suffixes:
            frame = pd.read_csv(path, sep="\t")
        else:
            frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DiffmmError(f"{path}: the file is empty") from None
    except (ValueError, OSError) as error:
        raise DiffmmError(f"{path}: cannot read the table: {error}") from None
    if frame.empty:
        raise DiffmmError(f"{path}: the table has no data rows")
    return frame


def _find_column(frame: pd.DataFrame, wanted: str | None, names: tuple[str, ...]) -> str | None:
    if wanted is not None:
        if wanted not in frame.columns:
            raise DiffmmError(f"no column {wanted!r}; columns are {list(frame.columns)}")
        return wanted
    lowered = {str(column).lower(): column for column in frame.columns}
    return next((lowered[name] for name in names if name in lowered), None)


def _first_column_of_dates(frame: pd.DataFrame, source: str) -> str:
    """The first column, as the timestamps of a table with no column named like them, unless
    it holds numbers that are not years (those would read as nanoseconds since 1970)."""
    first = frame.columns[0]
    column = frame[first]
    years = pd.api.types.is_integer_dtype(column) and column.between(1000, 9999).all()
    if pd.api.types.is_numeric_dtype(column) and not years:
        raise DiffmmError(
            f"{source}: no timestamp column: name the column of dates one of "
            f"{', '.join(TIMESTAMP_NAMES)} (the first column, {first!r}, holds numbers)"
        )
    return first


def _numeric(column: pd.Series, name: str, path: str) -> np.ndarray:
    """The column as float64, NaN where empty; an error naming the first non-numeric or
    infinite cell (an infinity is no missing value: it is a broken one)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numbers = pd.to_numeric(column, errors="coerce")
        bad = np.flatnonzero(column.notna().to_numpy() & numbers.isna().to_numpy())
        if len(bad):
            row = int(bad[0])
            raise DiffmmError(
                f"{path}: non-numeric value {column.iloc[row]!r} in column {name!r} at data "
                f"row {row + 1}"
            )
        values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        row = int(infinite[0])
        raise DiffmmError(
            f"{path}: infinite value {values[row]} in column {name!r} at data row {row + 1} "
            "(leave the cell empty for a missing value)"
        )
    return values


def read_table(
    path: str | Path,
    *,
    freq: str | None = None,
    timestamp_col: str | None = None,
    item_col: str | None = None,
    value_col: str | None = None,
    layout: str = "auto",
) -> MultivariateSeries:
    """A CSV (``.csv``, ``.tsv``, gzip allowed) or Parquet table as one multivariate series."""
    path = Path(path)
    return table_to_series(
        _read_frame(path),
        freq=freq,
        timestamp_col=timestamp_col,
        item_col=item_col,
        value_col=value_col,
        layout=layout,
        source=str(path),
    )


def table_to_series(
    frame: pd.DataFrame,
    *,
    freq: str | None = None,
    timestamp_col: str | None = None,
    item_col: str | None = None,
    value_col: str | None = None,
    layout: str = "auto",
    source: str = "table",
) -> MultivariateSeries:
    """``read_table`` for a DataFrame already in memory (``source`` names it in errors)."""
    if layout not in LAYOUTS:
        raise DiffmmError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if frame.empty:
        raise DiffmmError(f"{source}: the table has no data rows")
    path = source
    time_name = _find_column(frame, timestamp_col, TIMESTAMP_NAMES) or _first_column_of_dates(
        frame, source
    )
    found_item = _find_column(frame, item_col, ITEM_NAMES)
    if layout == "auto":
        layout = "long" if (found_item is not None or value_col is not None) else "wide"
    times = parse_timestamps(frame[time_name], str(time_name))
    if layout == "wide":
        columns = [column for column in frame.columns if column != time_name]
        if not columns:
            raise DiffmmError(f"{path}: a wide table needs value columns besides {time_name!r}")
        values = np.stack([_numeric(frame[c], str(c), path) for c in columns], axis=1)
        return to_series(times, values, [str(c) for c in columns], freq)
    if found_item is None:
        raise DiffmmError(
            f"{path}: a long table needs an item-id column (item_col=, or one named "
            f"{'/'.join(ITEM_NAMES)}); columns are {list(frame.columns)}"
        )
    value_name = _find_column(frame, value_col, VALUE_NAMES)
    rest = [column for column in frame.columns if column not in (time_name, found_item)]
    if value_name is None and len(rest) == 1:
        value_name = rest[0]
    if value_name is None:
        raise DiffmmError(f"{path}: which column holds the values? give value_col (one of {rest})")
    values = _numeric(frame[value_name], str(value_name), path)
    keys = pd.MultiIndex.from_arrays([frame[found_item].astype(str), times])
    if keys.has_duplicates:
        clashes = [
            f"item {item!r} at {time}" for item, time in keys[keys.duplicated()].unique()[:5]
        ]
        raise DiffmmError(f"{path}: duplicate timestamps: {', '.join(clashes)}")
    wide = pd.Series(values, index=keys).unstack(level=0)
    item_ids = list(pd.unique(frame[found_item].astype(str)))
    wide = wide[item_ids]
    return to_series(pd.DatetimeIndex(wide.index), wide.to_numpy(np.float64), item_ids, freq)


def _metadata_freq(path: Path) -> str | None:
    for folder in (path.parent, path.parent.parent):
        metadata = folder / "metadata.json"
        if metadata.is_file():
            return json.loads(metadata.read_text()).get("freq")
    return None


def _target_rows(target: object, where: str) -> np.ndarray:
    def number(value: object) -> float:
        if value is None or (isinstance(value, str) and value.lower() == "nan"):
            return np.nan
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DiffmmError(f"{where}: non-numeric target value {value!r}") from None
        if np.isinf(number):
            raise DiffmmError(f"{where}: infinite target value {value!r} (null for missing)")
        return number

    if not isinstance(target, list) or not target:
        raise DiffmmError(f"{where}: 'target' must be a non-empty list")
    rows = target if isinstance(target[0], list) else [target]
    if len({len(row) for row in rows}) != 1:
        raise DiffmmError(f"{where}: the rows of a multivariate target differ in length")
    return np.array([[number(value) for value in row] for row in rows], dtype=np.float64)


def read_jsonl(path: str | Path, *, freq: str | None = None) -> MultivariateSeries:
    """GluonTS JSON lines (``.json``/``.jsonl``, gzip allowed) as one multivariate series.

    The frequency is ``freq``, else a ``freq`` field of the lines, else the ``freq`` of a
    GluonTS ``metadata.json`` next to the file or one folder up.
    """
    path = Path(path)
    if not path.is_file():
        raise DiffmmError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        lines = [(number, line) for number, line in enumerate(handle, 1) if line.strip()]
    if not lines:
        raise DiffmmError(f"{path}: the file is empty")
    entries = []
    for number, line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise DiffmmError(f"{path} line {number}: not JSON ({error})") from None
        if not isinstance(entry, dict) or "start" not in entry or "target" not in entry:
            raise DiffmmError(f"{path} line {number}: needs 'start' and 'target'")
        entries.append((number, entry))
    declared = entries[0][1].get("freq") or _metadata_freq(path)
    freq = freq or declared
    if freq is None:
        raise DiffmmError(f"{path}: no frequency: give freq (no 'freq' field or metadata.json)")
    freq = canonical_freq(freq)
    if declared is not None and canonical_freq(declared) != freq:
        raise DiffmmError(
            f"{path}: the file says frequency {declared!r}, but it is read at {freq!r}"
        )
    first_start = make_period(entries[0][1]["start"], freq)
    rows, item_ids = [], []
    for number, entry in entries:
        where = f"{path} line {number}"
        block = _target_rows(entry["target"], where)
        start = make_period(entry["start"], freq)
        if rows and (start != first_start or block.shape[1] != rows[0].shape[1]):
            raise DiffmmError(
                f"{where}: every line must share start and length to form one multivariate "
                f"series (line {entries[0][0]}: start {first_start}, length {rows[0].shape[1]}; "
                f"this line: start {start}, length {block.shape[1]})"
            )
        item = str(entry.get("item_id", len(item_ids)))
        item_ids += [item] if len(block) == 1 else [f"{item}_{k}" for k in range(len(block))]
        rows.append(block)
    target = np.concatenate(rows, axis=0)
    return MultivariateSeries(
        target=target, observed=np.isfinite(target), start=first_start, freq=freq, item_ids=item_ids
    )
