"""Probabilistic forecasts from one or several TimeGrad bundles: the code behind ``diffmm forecast``.

    forecaster = Forecaster.from_bundles(["exp/timegrad_pedestrian/bundle"])
    forecast = forecaster.forecast(series, num_samples=100, sampler="ddpm")
    forecast.quantile_table(); forecast.fan_chart("fan.png")

Several bundles (e.g. one recipe trained with several seeds) are pooled into one forecast, a
deep ensemble (Lakshminarayanan et al. 2017): the paths are split evenly among them, member k
sampling with seed ``seed`` + k. They must share the series, their order and the frequency;
their networks, context lengths and lags may differ.

Input checks (one-line ``DiffmmError``): the number of series, their names (a permutation of
the bundle's names is put in the bundle's order; any other name is an error), the frequency,
the length of history every member needs, and a value in every series' context (the C steps
its scale comes from; a series with no value at all is named as such). Missing values inside
the history the networks read (empty cells, timestamps with no row) are read as TimeGrad reads
them in training, 0 in the lags and left out of the scale, with a warning that counts them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from diffmm.errors import DiffmmError
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.models.timegrad_sampling import DEFAULT_NUM_SAMPLES
from diffmm.timeseries import (
    GluonTSData,
    MultivariateSeries,
    load_gluonts_directory,
    read_series,
    rolling_windows,
    split_test_windows,
)
from diffmm.timeseries.forecast import Forecast, ForecastWindows


@contextmanager
def naming_the_input(path: Path) -> Iterator[None]:
    """Errors and warnings raised while reading ``path`` start with its name."""
    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        except DiffmmError as err:
            if str(path) in str(err):
                raise
            raise DiffmmError(f"{path}: {err}") from None
    for warning in caught:
        warnings.warn(f"{path}: {warning.message}", warning.category, stacklevel=4)


def paths_per_member(num_samples: int, num_members: int) -> list[int]:
    """``num_samples`` paths split as evenly as possible over the members, first ones first."""
    if num_samples < num_members:
        raise DiffmmError(
            f"{num_samples} sample paths are fewer than one for each of {num_members} bundles"
        )
    share, extra = divmod(num_samples, num_members)
    return [share + (k < extra) for k in range(num_members)]


@dataclass
class Forecaster:
    members: list[TimeGradPredictor]

    def __post_init__(self) -> None:
        if not self.members:
            raise DiffmmError("a forecaster needs at least one bundle")
        first = self.members[0]
        for k, member in enumerate(self.members[1:], start=1):
            if member.item_ids != first.item_ids:
                raise DiffmmError(
                    f"bundle {k} was trained on other series (or order) than bundle 0"
                )
            if member.freq != first.freq:
                raise DiffmmError(
                    f"bundle {k} has frequency {member.freq!r}, bundle 0 {first.freq!r}"
                )

    @classmethod
    def from_bundles(
        cls, paths: Sequence[str | Path], *, device: str | torch.device = "cpu"
    ) -> Forecaster:
        members = [TimeGradPredictor.from_bundle(path, device=device) for path in paths]
        try:
            return cls(members)
        except DiffmmError as err:  # name the bundles, not their positions
            message = str(err)
            for k, path in enumerate(paths):
                message = message.replace(f"bundle {k} ", f"bundle {path} ")
            raise DiffmmError(message) from None

    @property
    def item_ids(self) -> list[str]:
        return self.members[0].item_ids

    @property
    def freq(self) -> str:
        return self.members[0].freq

    @property
    def prediction_length(self) -> int:
        """The horizon the (first) network was trained for, the default horizon."""
        return self.members[0].model.cfg.prediction_length

    # ------------------------------------------------------------------ inputs
    def windows_of(
        self,
        series: MultivariateSeries,
        *,
        prediction_length: int | None = None,
        num_windows: int | None = None,
        source: str = "the input",
    ) -> ForecastWindows:
        """Forecast past the end of ``series``, or its last ``num_windows`` rolling windows
        (truth known, so they can be scored)."""
        horizon = self._horizon(prediction_length)
        series = self._align(series, source)
        if num_windows is None:
            windows = ForecastWindows([series], None, horizon)
        else:
            histories, targets, _ = rolling_windows(series, num_windows, horizon)
            windows = ForecastWindows(histories, targets, horizon)
        self._check_history(windows, source)
        return windows

    def windows_of_dataset(
        self, data: GluonTSData, *, prediction_length: int | None = None, source: str = "dataset"
    ) -> ForecastWindows:
        """A GluonTS dataset's test windows (the paper's rolling evaluation)."""
        if prediction_length not in (None, data.prediction_length):
            raise DiffmmError(
                f"{source} has test windows of {data.prediction_length} steps, not a "
                f"prediction length of {prediction_length}"
            )
        histories, targets, _ = split_test_windows(data.test_windows, data.prediction_length)
        self._align(histories[0], source)
        windows = ForecastWindows(histories, targets, data.prediction_length)
        self._check_history(windows, source)
        return windows

    def read(
        self,
        path: str | Path,
        *,
        prediction_length: int | None = None,
        num_windows: int | None = None,
        freq: str | None = None,
        layout: str = "auto",
    ) -> ForecastWindows:
        """The windows to forecast from a file (CSV/Parquet table, JSON lines) or a GluonTS
        dataset folder (its test windows); see ``windows_of``."""
        path = Path(path)
        if path.is_dir():
            if num_windows is not None:
                raise DiffmmError("a number of windows applies to a file; a dataset has its own")
            data = load_gluonts_directory(path)
            return self.windows_of_dataset(
                data, prediction_length=prediction_length, source=str(path)
            )
        if not path.is_file():
            raise DiffmmError(f"input {path} does not exist")
        options = {} if path.suffix in (".json", ".jsonl", ".gz") else {"layout": layout}
        with naming_the_input(path):
            series = read_series(path, freq=freq or self.freq, **options)
        return self.windows_of(
            series, prediction_length=prediction_length, num_windows=num_windows, source=str(path)
        )

    def _horizon(self, prediction_length: int | None) -> int:
        horizon = prediction_length or self.prediction_length
        if horizon < 1:
            raise DiffmmError(f"the prediction length must be positive, got {horizon}")
        return horizon

    def _align(self, series: MultivariateSeries, source: str) -> MultivariateSeries:
        """``series`` with its series in the bundles' order (its names may be a permutation)."""
        names = self.item_ids
        if series.num_series != len(names):
            raise DiffmmError(
                f"the bundle was trained on {len(names)} series, but {source} has "
                f"{series.num_series}"
            )
        if series.freq != self.freq:
            raise DiffmmError(
                f"the bundle was trained at frequency {self.freq!r}, but {source} is "
                f"{series.freq!r}"
            )
        if series.item_ids == names:
            return series
        if sorted(series.item_ids) != sorted(names):
            unknown = [name for name in series.item_ids if name not in names]
            missing = [name for name in names if name not in series.item_ids]
            raise DiffmmError(
                f"{source}: series {', '.join(map(repr, unknown[:3]))} are not the bundle's "
                f"(it lacks {', '.join(map(repr, missing[:3]))}); name the series as in "
                "training, in any order"
            )
        order = [series.item_ids.index(name) for name in names]
        return MultivariateSeries(
            series.target[order], series.observed[order], series.start, series.freq, names
        )

    def _check_history(self, windows: ForecastWindows, source: str) -> None:
        shortest = min(history.length for history in windows.histories)
        for member in self.members:
            if shortest < member.history_length:
                cfg = member.model.cfg
                raise DiffmmError(
                    f"{source}: a forecast needs at least context_length + largest lag = "
                    f"{cfg.context_length} + {cfg.max_lag} = {member.history_length} rows of "
                    f"history, got {shortest}"
                )
        self._check_observed(windows, source)

    def _check_observed(self, windows: ForecastWindows, source: str) -> None:
        """Every series has a value, and in a forecast past the input's end a value in its
        context (scored windows without one are counted in the warning instead, so that a
        benchmark still runs); missing values in the history the networks read are counted in
        a warning (see the module docstring)."""
        context = min(member.model.cfg.context_length for member in self.members)
        read = max(member.history_length for member in self.members)
        missing, total, blind_windows, first = 0, 0, 0, None
        for history in windows.histories:
            observed = history.observed[:, -read:]
            empty = np.flatnonzero(~history.observed.any(axis=1))
            if len(empty):
                raise DiffmmError(f"{source}: series {self.item_ids[empty[0]]!r} has no value")
            blind = np.flatnonzero(~observed[:, -context:].any(axis=1))
            if len(blind) and windows.targets is None:
                raise DiffmmError(
                    f"{source}: series {self.item_ids[blind[0]]!r} has no value in the last "
                    f"{context} steps before {history.end + 1}, the context its scale comes from"
                )
            blind_windows += bool(len(blind))
            missing += int((~observed).sum())
            total += observed.size
            if first is None and not observed.all():
                d, t = np.argwhere(~observed)[0]
                first = f"series {self.item_ids[d]!r} at {history.index[-read:][t]}"
        if missing:
            blind = f"; {blind_windows} window(s) with a series of no value in its context"
            warnings.warn(
                f"{source}: {missing} of the {total} values the model reads are missing (empty "
                f"or no row; first: {first}): read as missing, as in training (0 in the lags, "
                f"left out of the scale){blind if blind_windows else ''}",
                stacklevel=4,
            )

    # ------------------------------------------------------------------ sampling
    def sample(
        self,
        windows: ForecastWindows,
        *,
        num_samples: int = DEFAULT_NUM_SAMPLES,
        sampler: str = "ddpm",
        steps: int | None = None,
        spacing: str | None = None,
        seed: int = 0,
        dtype: str = "fp32",
        window_batch: int = 8,
        on_batch: Callable[[int], None] | None = None,
    ) -> Forecast:
        """Paths (W, S, P, D) of every member pooled along S; member k draws from a generator
        seeded with ``seed`` + k; ``dtype`` is the networks' precision (fp32, bf16, fp16).
        ``on_batch(n)`` after each batch of n windows of a member."""
        counts = paths_per_member(num_samples, len(self.members))
        parts = []
        for k, (member, count) in enumerate(zip(self.members, counts)):
            device = next(member.model.parameters()).device
            parts.append(
                member.sample(
                    windows.histories,
                    windows.prediction_length,
                    num_samples=count,
                    sampler=sampler,
                    steps=steps,
                    spacing=spacing,
                    generator=torch.Generator(device).manual_seed(seed + k),
                    dtype=dtype,
                    window_batch=window_batch,
                    on_batch=on_batch,
                )
            )
        return Forecast(windows, np.concatenate(parts, axis=1), self.item_ids)

    def forecast(
        self,
        series: MultivariateSeries,
        *,
        prediction_length: int | None = None,
        num_windows: int | None = None,
        num_samples: int = DEFAULT_NUM_SAMPLES,
        sampler: str = "ddpm",
        steps: int | None = None,
        seed: int = 0,
        dtype: str = "fp32",
    ) -> Forecast:
        """``windows_of(series)`` then ``sample``: the plain Python entry point."""
        windows = self.windows_of(
            series, prediction_length=prediction_length, num_windows=num_windows
        )
        options = {"sampler": sampler, "steps": steps, "seed": seed, "dtype": dtype}
        return self.sample(windows, num_samples=num_samples, **options)
