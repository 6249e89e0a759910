"""The fan chart: a panel per series over its dates, the sum panel only as the units allow,
one grid past a dozen series, and a title that says what is shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import dates

from diffmm.timeseries.fan_chart import NOT_OBSERVED, fan_chart
from diffmm.timeseries.series import MultivariateSeries

HORIZON, PATHS = 4, 16


def quarterly(num_series: int, length: int = 40) -> MultivariateSeries:
    rng = np.random.default_rng(num_series)
    target = rng.normal(10, 1, size=(num_series, length)).astype(np.float32)
    names = [f"series{d}" for d in range(num_series)]
    return MultivariateSeries(target, np.isfinite(target), "2000Q1", "Q-DEC", names)


def draw(tmp_path: Path, history: MultivariateSeries, **options):
    rng = np.random.default_rng(0)
    samples = rng.normal(10, 1, size=(PATHS, HORIZON, history.num_series))
    truth = rng.normal(10, 1, size=(HORIZON, history.num_series))
    return fan_chart(tmp_path / "fan.png", history, samples, truth, **options)


def shown(figure) -> list:
    return [axis for axis in figure.axes if axis.get_visible()]


@pytest.mark.parametrize("same_unit", [None, False])  # True: the grid test
def test_every_series_gets_a_panel_and_the_sum_only_as_units_allow(tmp_path, same_unit):
    history = quarterly(5)
    figure = draw(tmp_path, history, title="macro.csv forecast by exp/bundle", same_unit=same_unit)
    titles = [axis.get_title() for axis in shown(figure)]
    series_titles = [f"series{d}" for d in range(5)]
    if same_unit is False:
        assert titles == series_titles
    else:
        assert titles[1:] == series_titles
        assert titles[0].startswith("sum of the 5 series")
        assert ("share a unit" in titles[0]) == (same_unit is None)
    headline = figure._suptitle.get_text()
    assert headline.startswith("macro.csv forecast by exp/bundle\n")
    assert f"of {PATHS} paths from 2010-01-01" in headline  # 40 quarters from 2000Q1
    assert (tmp_path / "fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_x_axis_is_the_dates_of_history_and_forecast(tmp_path):
    figure = draw(tmp_path, quarterly(2))
    # 40 quarters from 2000Q1: the last 4P = 16 shown (2006Q1-2009Q4), then 2010Q1-2010Q4
    first, last = pd.Timestamp("2006-01-01"), pd.Timestamp("2010-10-01")
    for axis in shown(figure):
        assert axis.get_xlim() == pytest.approx((dates.date2num(first), dates.date2num(last)))
        assert isinstance(axis.xaxis.get_major_formatter(), dates.ConciseDateFormatter)


def test_past_a_dozen_series_they_fill_a_grid(tmp_path):
    figure = draw(tmp_path, quarterly(13), same_unit=True)
    panels = shown(figure)
    titles = [axis.get_title() for axis in panels]
    assert titles == ["sum of the 13 series"] + [f"series{d}" for d in range(13)]
    columns = {round(axis.get_position().x0, 3) for axis in panels}
    assert len(columns) == 3  # 14 panels: 3 columns of 5 rows, one cell left empty
    assert len(figure.axes) == 15


def test_a_series_with_no_observed_value_says_so(tmp_path):
    history = quarterly(3)
    history.target[1] = np.nan
    history.observed[1] = False
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(HORIZON, 3))
    truth[:, 1] = np.nan
    figure = fan_chart(tmp_path / "fan.png", history, rng.normal(size=(PATHS, HORIZON, 3)), truth)
    notes = [[text.get_text() for text in axis.texts] for axis in shown(figure)]
    assert notes == [[], [], [NOT_OBSERVED], []]  # the sum, then series 0, 1, 2
