"""GluonTS repository datasets as one training series and the paper's rolling test windows.

The six TimeGrad benchmarks (Rasul et al. 2021) are GluonTS datasets of univariate entries:
``train`` holds one entry per series, ``test`` holds ``num_test_dates`` copies of every series,
each ending ``prediction_length`` steps after the previous test date. We group them as
GluonTS's ``MultivariateGrouper`` does (as TimeGrad does, with ``max_target_dim`` = number of
series and ``num_test_dates = len(test) / len(train)``):
- train: every series aligned on [earliest start, latest end];
- test: the entries cut into ``num_test_dates`` consecutive blocks of ``len(train)`` entries;
  block k becomes one window spanning [earliest start of all test entries, its common end],
  i.e. the full history up to the end of test date k, whose last ``prediction_length`` steps
  are the forecast target.
One deliberate difference: where the grouper pads with the series' mean (train) or 0 (test),
we pad with NaN and ``observed=False``, so padding never reaches a loss or a metric.

Datasets come from GluonTS's cache (``~/.gluonts/datasets/<name>/``: ``metadata.json``,
``train/``, ``test/``) or a folder given as ``path``; without internet a missing dataset is a
``DiffmmError`` saying where to put the files.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffmm.errors import DiffmmError
from diffmm.timeseries.series import (
    MultivariateSeries,
    canonical_freq,
    make_period,
    quiet_period_warnings,
)

TIMEGRAD_DATASETS = (
    "exchange_rate_nips",
    "solar_nips",
    "electricity_nips",
    "traffic_nips",
    "taxi_30min",
    "wiki-rolling_nips",
)


@dataclass
class GluonTSData:
    """A training series, the rolling test windows (full history each), their horizon."""

    train: MultivariateSeries
    test_windows: list[MultivariateSeries]
    freq: str
    prediction_length: int


def _entries(dataset: Iterable[dict], freq: str) -> list[tuple[object, np.ndarray, str]]:
    with quiet_period_warnings():
        return [
            (
                make_period(entry["start"], freq),
                np.asarray(entry["target"], dtype=np.float32),
                str(entry.get("item_id", index)),
            )
            for index, entry in enumerate(dataset)
        ]


def _stack(entries: Sequence[tuple], first: object, last: object, freq: str) -> MultivariateSeries:
    with quiet_period_warnings():
        length = (last - first).n + 1
        target = np.full((len(entries), length), np.nan, dtype=np.float32)
        for row, (start, values, _) in enumerate(entries):
            if values.ndim != 1:
                raise DiffmmError("GluonTS entries must be univariate to be grouped")
            offset = (start - first).n
            target[row, offset : offset + len(values)] = values
    return MultivariateSeries(
        target=target,
        observed=np.isfinite(target),
        start=first,
        freq=freq,
        item_ids=[item for _, _, item in entries],
    )


def _end(entry: tuple) -> object:
    with quiet_period_warnings():
        return entry[0] + (len(entry[1]) - 1)


def group_train(dataset: Iterable[dict], freq: str) -> MultivariateSeries:
    """Univariate entries aligned on [earliest start, latest end] (MultivariateGrouper, train)."""
    freq = canonical_freq(freq)
    entries = _entries(dataset, freq)
    if not entries:
        raise DiffmmError("the training dataset has no entries")
    return _stack(entries, min(e[0] for e in entries), max(_end(e) for e in entries), freq)


def group_test(dataset: Iterable[dict], freq: str, num_test_dates: int) -> list[MultivariateSeries]:
    """One window per test date (MultivariateGrouper with ``num_test_dates``, test)."""
    freq = canonical_freq(freq)
    entries = _entries(dataset, freq)
    if num_test_dates < 1 or not entries or len(entries) % num_test_dates:
        raise DiffmmError(
            f"{len(entries)} test entries cannot form {num_test_dates} rolling test dates"
        )
    first = min(entry[0] for entry in entries)
    block = len(entries) // num_test_dates
    windows = []
    for date in range(num_test_dates):
        members = entries[date * block : (date + 1) * block]
        ends = {_end(entry) for entry in members}
        if len(ends) != 1:
            raise DiffmmError(
                f"test date {date}: its {block} entries end at different times "
                f"({', '.join(sorted(map(str, ends))[:3])})"
            )
        windows.append(_stack(members, first, ends.pop(), freq))
    return windows


def load_gluonts_directory(directory: str | Path) -> GluonTSData:
    """A materialised GluonTS dataset folder (``metadata.json``, ``train/``, ``test/``)."""
    from gluonts.dataset.common import load_datasets

    directory = Path(directory)
    if not (directory / "metadata.json").is_file():
        raise DiffmmError(f"{directory}: not a GluonTS dataset folder (no metadata.json)")
    with quiet_period_warnings():
        datasets = load_datasets(
            metadata=directory, train=directory / "train", test=directory / "test"
        )
        freq = canonical_freq(datasets.metadata.freq)
        prediction_length = datasets.metadata.prediction_length
        train = group_train(datasets.train, freq)
        if datasets.test is None or len(datasets.test) == 0:
            raise DiffmmError(f"{directory}: the dataset has no test split")
        num_test_dates = len(datasets.test) // train.num_series
        test_windows = group_test(datasets.test, freq, num_test_dates)
    if prediction_length is None:
        raise DiffmmError(f"{directory}/metadata.json has no prediction_length")
    return GluonTSData(train, test_windows, freq, int(prediction_length))


def default_dataset_root() -> Path:
    """GluonTS's cache folder for repository datasets (``~/.gluonts/datasets``)."""
    from gluonts.dataset.repository.datasets import default_dataset_path

    return Path(default_dataset_path)


def load_gluonts_dataset(
    name: str, *, path: str | Path | None = None, regenerate: bool = False
) -> GluonTSData:
    """A GluonTS repository dataset by name, from ``path`` (a folder holding ``<name>/``) or
    GluonTS's cache, downloading it (through GluonTS) when absent or ``regenerate``."""
    from gluonts.dataset.repository.datasets import dataset_recipes, materialize_dataset

    if name not in dataset_recipes:
        raise DiffmmError(
            f"unknown GluonTS dataset {name!r}; the TimeGrad ones are {', '.join(TIMEGRAD_DATASETS)}"
        )
    root = Path(path) if path is not None else default_dataset_root()
    directory = root / name
    if regenerate or not (directory / "metadata.json").is_file():
        if directory.exists() and not regenerate:
            raise DiffmmError(
                f"{directory} is incomplete (no metadata.json): remove it or pass regenerate"
            )
        existed = root.exists()
        try:
            with quiet_period_warnings():
                materialize_dataset(name, root, regenerate)
        except Exception as error:  # any download/extraction failure: gluonts raises many kinds
            if directory.exists():
                shutil.rmtree(directory)
            if not existed and root.exists() and not any(root.iterdir()):
                root.rmdir()
            raise DiffmmError(
                f"cannot download GluonTS dataset {name!r} ({type(error).__name__}: {error}). "
                f"Offline, materialise it on a machine with internet (python "
                f"data_prep/gluonts_dataset.py --name {name}) and copy the folder {name}/ "
                f"(metadata.json, train/, test/) into {root}, or pass its parent folder as path"
            ) from None
    return load_gluonts_directory(directory)
