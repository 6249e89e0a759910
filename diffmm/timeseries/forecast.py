"""What a probabilistic forecast is made of: the windows it was asked for, and its sample paths.

``ForecastWindows``: W histories, each forecast ``prediction_length`` steps past its end, and
the truth (W, P, D) when it is known (rolling windows cut from a series, a dataset's test
windows), NaN where a value is missing. ``Forecast``: those windows and the sample paths
(W, S, P, D) in data units, with the table, scores and chart a user looks at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diffmm.errors import DiffmmError
from diffmm.timeseries.evaluation import QUANTILES, evaluate
from diffmm.timeseries.fan_chart import fan_chart
from diffmm.timeseries.series import MultivariateSeries

TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class ForecastWindows:
    histories: list[MultivariateSeries]
    targets: np.ndarray | None
    prediction_length: int

    @property
    def starts(self) -> list[pd.Period]:
        """The first forecast period of each window."""
        return [history.end + 1 for history in self.histories]

    @property
    def freq(self) -> str:
        return self.histories[0].freq

    @property
    def num_series(self) -> int:
        return self.histories[0].num_series


@dataclass
class Forecast:
    windows: ForecastWindows
    samples: np.ndarray  # (W, S, P, D)
    item_ids: list[str]

    def __post_init__(self) -> None:
        w, p, d = len(self.windows.histories), self.windows.prediction_length, len(self.item_ids)
        if self.samples.ndim != 4 or (self.samples.shape[0], *self.samples.shape[2:]) != (w, p, d):
            raise DiffmmError(
                f"sample paths of shape {self.samples.shape} do not fit (W, S, P, D) with "
                f"(W, P, D) = {(w, p, d)}"
            )

    def quantile_table(self) -> pd.DataFrame:
        """Long table: item_id, timestamp, mean, 0.05 ... 0.95 for every window, step, series."""
        frames = []
        levels = np.quantile(self.samples, QUANTILES, axis=1)  # (Q, W, P, D)
        _, _, horizon, dims = self.samples.shape
        for w, history in enumerate(self.windows.histories):
            stamps = history.future_index(horizon).to_timestamp()
            frame = pd.DataFrame(
                {
                    "item_id": np.tile(np.asarray(self.item_ids, dtype=object), horizon),
                    "timestamp": np.repeat(stamps, dims),
                    "mean": self.samples[w].mean(0).reshape(-1),
                }
            )
            for q, level in zip(QUANTILES, levels[:, w]):
                frame[f"{q:.2f}"] = level.reshape(-1)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def write_table(self, path: str | Path) -> None:
        """The quantile table as .csv or .parquet."""
        path = Path(path)
        if path.suffix not in TABLE_SUFFIXES:
            raise DiffmmError(f"a forecast table must end in .csv or .parquet, got {path.name}")
        frame = self.quantile_table()
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)

    def evaluate(self) -> dict[str, float]:
        """CRPS-sum, CRPS, ND-sum, NRMSE-sum and energy score against the known truth."""
        if self.windows.targets is None:
            raise DiffmmError("scoring needs known truth: forecast rolling windows or a dataset")
        return evaluate(self.samples, self.windows.targets, self.windows.starts, self.windows.freq)

    def fan_chart(self, path: str | Path, title: str = "", same_unit: bool | None = None) -> None:
        """The fan chart of the last window, every series in a panel over its dates
        (``diffmm.timeseries.fan_chart``)."""
        last = self.windows.histories[-1]
        truth = None if self.windows.targets is None else self.windows.targets[-1]
        fan_chart(path, last, self.samples[-1], truth, title=title, same_unit=same_unit)
