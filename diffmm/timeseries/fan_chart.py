"""The fan chart of one forecast window: every series in a panel over its dates.

Each panel shows the series' recent history, the median and the 50%/90% intervals of the
sample paths and, when known, the truth. A first panel shows the summed series (CRPS-sum's
target) unless told the series do not share a unit: adding GDP to an unemployment rate means
nothing, so when units are unknown its title says it only means something if they share one.
Panels fill a grid of 1 to 4 columns, one file however many series there are.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from diffmm.timeseries.series import MultivariateSeries

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLUMN_LIMITS = (3, 8, 24)  # the most panels in 1, 2 and 3 columns; past them, 4 columns
NOT_OBSERVED = "no observed value in this window (history shown or truth)"


def _band(axis, times: np.ndarray, paths: np.ndarray, color: str) -> None:
    low, q25, median, q75, high = np.quantile(paths, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    axis.fill_between(times, low, high, color=color, alpha=0.2, label="90% interval")
    axis.fill_between(times, q25, q75, color=color, alpha=0.4, label="50% interval")
    axis.plot(times, median, color=color, label="median")


def fan_chart(
    path: str | Path,
    history: MultivariateSeries,
    samples: np.ndarray,
    target: np.ndarray | None = None,
    *,
    title: str = "",
    same_unit: bool | None = None,
    history_length: int | None = None,
) -> Figure:
    """A PNG at ``path`` for the window that follows ``history``: samples (S, P, D) in
    data units, the truth (P, D) if known. ``same_unit``: True, a plain sum panel; False, none;
    None (unknown), a sum panel whose title warns. The last ``history_length`` periods of
    history are drawn (default 4 P). Returns the (closed) figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import dates

    horizon, dims = samples.shape[1], samples.shape[2]
    shown = history_length or 4 * horizon
    recent = history.slice(max(history.length - shown, 0))
    past = np.where(recent.observed, recent.target, np.nan).T  # (T_h, D)
    past_times = recent.index.to_timestamp()
    future_times = history.future_index(horizon).to_timestamp()
    panels = []
    if dims > 1 and same_unit is not False:
        name = f"sum of the {dims} series"
        if same_unit is None:
            name += " (means something only if they share a unit)"
        truth = None if target is None else np.nansum(target, 1)
        panels.append((name, np.nansum(past, 1), samples.sum(2), truth))
    for d, item in enumerate(history.item_ids):
        truth = None if target is None else target[:, d]
        panels.append((item, past[:, d], samples[:, :, d], truth))

    description = (
        f"median, 50% and 90% intervals of {samples.shape[0]} paths from {future_times[0]:%Y-%m-%d}"
        f"; history in black{'' if target is None else ', truth dashed'}"
    )
    columns = next((c for c, most in enumerate(COLUMN_LIMITS, 1) if len(panels) <= most), 4)
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 2.4 * rows + 1), squeeze=False)
    for axis, (name, values, paths, truth) in zip(axes.flat, panels):
        axis.plot(past_times, values, color="black", linewidth=1)
        _band(axis, future_times, paths, "tab:blue")
        if truth is not None:
            axis.plot(future_times, truth, color="black", linestyle="--", linewidth=1)
        if np.isnan(values).all() and (truth is None or np.isnan(truth).all()):
            axis.text(0.5, 0.5, NOT_OBSERVED, transform=axis.transAxes, ha="center")
        axis.set_title(name, fontsize="medium")
        axis.set_xlim(past_times[0], future_times[-1])
        locator = dates.AutoDateLocator(minticks=3, maxticks=7)
        axis.xaxis.set_major_locator(locator)
        axis.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize="small")
    figure.suptitle(f"{title}\n{description}".strip(), fontsize="medium")
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return figure
