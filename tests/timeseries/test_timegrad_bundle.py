"""The TimeGrad bundle's one schema: export → reload forecasts bit-identically, holidays travel
with the bundle (no 'holidays' package needed at inference), old bundles still load."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from diffmm.diffusion.config import DiffusionConfig
from diffmm.errors import DiffmmError
from diffmm.models.forecaster import Forecaster
from diffmm.models.timegrad import TimeGrad, TimeGradModelConfig
from diffmm.models.timegrad_predictor import TimeGradPredictor
from diffmm.timeseries import MultivariateSeries, TimeFeatureSpec
from diffmm.timeseries.public_holidays import HolidayCalendar

DIFFUSION = DiffusionConfig(schedule="linear", num_steps=20, beta_start=1e-4, beta_end=0.1)
SAMPLING = {"num_samples": 3, "sampler": "ddim", "steps": 4, "seed": 2}


def daily_series(days: int = 100, start: str = "2016-10-01") -> MultivariateSeries:
    rng = np.random.default_rng(0)
    target = (10 + rng.gamma(2.0, 1.0, size=(3, days))).astype(np.float32)
    return MultivariateSeries(target, np.isfinite(target), start, "D", ["x", "y", "z"])


def make_predictor(series: MultivariateSeries, features: TimeFeatureSpec) -> TimeGradPredictor:
    torch.manual_seed(0)
    cfg = TimeGradModelConfig(
        target_dim=3,
        lags=[1, 7],
        num_time_features=features.num_features,
        context_length=7,
        prediction_length=5,
        hidden_size=8,
        dropout=0.0,
    )
    model = TimeGrad(cfg).eval()
    torch.nn.init.normal_(model.epsilon.output_projection.weight, std=0.3)
    return TimeGradPredictor(model, DIFFUSION, features, series.item_ids, {"step": 0})


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    series = daily_series()
    features = TimeFeatureSpec.for_training(series.index, "D", "AU-VIC", named_holidays=True)
    predictor = make_predictor(series, features)
    path = predictor.export(tmp_path_factory.mktemp("timegrad") / "bundle")
    return {"series": series, "predictor": predictor, "path": path}


def test_reloaded_bundle_forecasts_bit_identically(exported: dict) -> None:
    series = exported["series"]
    # the training range, 1 Oct 2016 - 8 Jan 2017, holds four Victorian holidays by date
    names = ("Boxing Day", "Christmas Day", "Melbourne Cup Day", "New Year's Day")
    assert exported["predictor"].features.holiday_names == names
    in_memory = Forecaster([exported["predictor"]]).forecast(series, num_windows=2, **SAMPLING)
    reloaded = Forecaster.from_bundles([exported["path"]]).forecast(
        series, num_windows=2, **SAMPLING
    )
    assert in_memory.samples.shape == (2, 3, 5, 3)
    np.testing.assert_array_equal(reloaded.samples, in_memory.samples)
    np.testing.assert_array_equal(reloaded.windows.targets, series.target.T[-10:].reshape(2, 5, 3))


def test_stored_calendar_needs_no_holidays_package(
    exported: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = exported["series"].slice(0, 74)  # 1 Oct - 13 Dec 2016
    expected = exported["predictor"].inference_batch([history], 20)
    monkeypatch.setitem(sys.modules, "holidays", None)  # `import holidays` now fails
    reloaded = TimeGradPredictor.from_bundle(exported["path"])
    batch = reloaded.inference_batch([history], 20)
    for key, value in expected.items():
        torch.testing.assert_close(batch[key], value, rtol=0, atol=0)
    # the forecast covers 14 Dec 2016 - 2 Jan 2017: Christmas (a Sunday), Boxing Day, the day
    # off for Christmas (Tue 27th), New Year's Day (a Sunday) and its day off (Mon 2nd) carry the
    # flag; each name feature marks its own date only
    future = batch["future_time_feat"][0]
    flag, boxing, christmas, cup, new_year = range(-5, 0)
    assert future[:, flag].nonzero().flatten().tolist() == [11, 12, 13, 18, 19]
    assert future[:, boxing].nonzero().flatten().tolist() == [12]
    assert future[:, christmas].nonzero().flatten().tolist() == [11]
    assert future[:, cup].sum() == 0
    assert future[:, new_year].nonzero().flatten().tolist() == [18]


def test_forecast_outside_the_stored_calendar_is_an_error(exported: dict) -> None:
    predictor = exported["predictor"]
    last = predictor.features.calendar.last_year
    late = daily_series(start=f"{last}-11-01")
    with pytest.raises(DiffmmError, match=f"covers 2016-{last}"):
        predictor.inference_batch([late], 5)


def test_calendar_round_trips_through_yaml() -> None:
    calendar = HolidayCalendar.resolve("AU-VIC", 2015, 2016)
    again = HolidayCalendar.from_dict(yaml.safe_load(yaml.safe_dump(calendar.to_dict())))
    assert again == calendar
    assert again.names["2016-11-01"] == "Melbourne Cup Day"
    assert "2016-12-27" in again.flagged and "2016-12-27" not in again.names


def test_bundle_exported_before_stored_calendars_still_loads(
    exported: dict, tmp_path: Path
) -> None:
    """The old layout: region and names under ``data``, no ``time_features`` section."""
    old = tmp_path / "old"
    old.mkdir()
    for name in ("model.safetensors", "extras.safetensors"):
        (old / name).write_bytes((exported["path"] / name).read_bytes())
    config = yaml.safe_load((exported["path"] / "config.yaml").read_text())
    features = config.pop("time_features")
    config["data"].update(holidays="AU-VIC", holiday_names=features["holiday_names"])
    (old / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.warns(UserWarning, match="predates stored holiday calendars"):
        loaded = TimeGradPredictor.from_bundle(old)
    assert loaded.features.calendar is None
    history = exported["series"]
    expected = exported["predictor"].inference_batch([history], 5)
    for key, value in loaded.inference_batch([history], 5).items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=0)


def test_mismatched_members_and_inputs_are_one_line_errors(exported: dict) -> None:
    series = exported["series"]
    forecaster = Forecaster.from_bundles([exported["path"]])
    shuffled = MultivariateSeries(
        series.target[[2, 0, 1]], series.observed, series.start, "D", ["z", "x", "y"]
    )
    np.testing.assert_array_equal(
        forecaster.windows_of(shuffled).histories[0].target, series.target
    )
    hourly = MultivariateSeries(
        series.target, series.observed, "2016-10-01 00:00", "h", series.item_ids
    )
    with pytest.raises(DiffmmError, match="frequency 'D'"):
        forecaster.windows_of(hourly)
    with pytest.raises(DiffmmError, match="14 rows of history, got 10"):
        forecaster.windows_of(series.slice(0, 10))
    other = make_predictor(series, exported["predictor"].features)
    other.item_ids = ["z", "y", "x"]
    with pytest.raises(DiffmmError, match="other series"):
        Forecaster([exported["predictor"], other])
    assert forecaster.windows_of(series).starts == [pd.Period("2017-01-09", "D")]
