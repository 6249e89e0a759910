"""Forecasting data: one entry point for every source (see each module for the details).

- ``MultivariateSeries`` (``series``): target float32 (D, T) with NaN where missing, observed
  bool (D, T), ``start`` ``pd.Period``, ``freq`` (a ``Period`` alias: "h", "30min", "D", "B",
  "W-SUN", "M", "Q-DEC", "Y-DEC"; "ME", "MS", "H" and the like are accepted and made
  canonical), ``item_ids``; ``num_series``, ``length``, ``index``, ``end``, ``slice``.
- ``read_table`` (``tables``): CSV/Parquet, wide or long, frequency inferred or given, gaps
  filled as missing; ``read_jsonl``: GluonTS JSON lines.
- ``load_gluonts_dataset`` (``repository``): the TimeGrad benchmarks by name →
  ``GluonTSData(train, test_windows, freq, prediction_length)``, the test windows being the
  paper's rolling evaluation (``MultivariateGrouper`` semantics).
- ``read_series``: any of the user formats by file suffix.
- ``load_training_series``: a recipe's training range from exactly one of those sources.
"""

from __future__ import annotations

from pathlib import Path

from diffmm.errors import DiffmmError
from diffmm.timeseries.repository import (
    TIMEGRAD_DATASETS,
    GluonTSData,
    group_test,
    group_train,
    load_gluonts_dataset,
    load_gluonts_directory,
)
from diffmm.timeseries.series import MultivariateSeries, canonical_freq, offset_alias
from diffmm.timeseries.tables import read_jsonl, read_table

JSON_SUFFIXES = (".json", ".jsonl", ".gz")


def read_series(
    path: str | Path, *, freq: str | None = None, **table_options
) -> MultivariateSeries:
    """A user file by suffix: ``.json``/``.jsonl`` (gzip allowed) → ``read_jsonl``, else
    ``read_table`` (``table_options``: timestamp_col, item_col, value_col, layout)."""
    suffixes = Path(path).suffixes
    if (
        suffixes
        and suffixes[-1] in JSON_SUFFIXES
        and (suffixes[-1] != ".gz" or (len(suffixes) > 1 and suffixes[-2] in JSON_SUFFIXES))
    ):
        return read_jsonl(path, freq=freq)
    return read_table(path, freq=freq, **table_options)


def load_training_series(
    *,
    dataset: str | None = None,
    root: str | Path | None = None,
    directory: str | Path | None = None,
    train: str | Path | None = None,
    freq: str | None = None,
) -> tuple[MultivariateSeries, int | None]:
    """The training range of exactly one source, and its prediction length (None for a user
    file): a GluonTS repository ``dataset`` (from ``root`` or GluonTS's cache), a GluonTS-layout
    ``directory``, or a user file ``train`` (at ``freq``, inferred when None)."""
    sources = {"dataset": dataset, "directory": directory, "train": train}
    given = [name for name, value in sources.items() if value]
    if len(given) != 1:
        raise DiffmmError(
            f"set exactly one of data.dataset, data.directory, data.train; got {given}"
        )
    if dataset:
        data = load_gluonts_dataset(dataset, path=root)
        return data.train, data.prediction_length
    if directory:
        data = load_gluonts_directory(directory)
        return data.train, data.prediction_length
    return read_series(train, freq=freq), None


__all__ = [
    "TIMEGRAD_DATASETS",
    "GluonTSData",
    "MultivariateSeries",
    "canonical_freq",
    "group_test",
    "group_train",
    "load_gluonts_dataset",
    "load_gluonts_directory",
    "load_training_series",
    "offset_alias",
    "read_jsonl",
    "read_series",
    "read_table",
]
