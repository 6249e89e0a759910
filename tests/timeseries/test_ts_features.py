"""Lags and time features per frequency (against GluonTS and closed forms); mean scaling."""

import numpy as np
import pandas as pd
import pytest
import torch

from diffmm.timeseries.features import TimeFeatureSpec, lags_for_frequency
from diffmm.timeseries.scaling import mean_scale, unscale


def time_features(index, freq, *, age_origin=None, holidays=None, holiday_names=()):
    return TimeFeatureSpec(freq, holidays, tuple(holiday_names)).features(index, age_origin)


def num_time_features(freq, holidays=None, holiday_names=()):
    return TimeFeatureSpec(freq, holidays, tuple(holiday_names)).num_features


@pytest.mark.parametrize(
    "ours, gluonts_alias",
    [
        ("h", "h"),
        ("H", "h"),
        ("30min", "30min"),
        ("D", "D"),
        ("B", "B"),
        ("M", "ME"),
        ("MS", "ME"),
        ("W", "W"),
    ],
)
def test_lags_and_feature_count_match_gluonts(ours, gluonts_alias):
    from gluonts.time_feature import get_lags_for_frequency, time_features_from_frequency_str

    assert lags_for_frequency(ours) == list(get_lags_for_frequency(gluonts_alias))
    assert num_time_features(ours) == len(time_features_from_frequency_str(gluonts_alias)) + 1


def test_lags_cover_the_natural_seasons():
    hourly = lags_for_frequency("h")
    assert {1, 24, 168} <= set(hourly) and hourly == sorted(hourly)
    assert {1, 12, 24} <= set(lags_for_frequency("M"))
    assert {48, 336} <= set(lags_for_frequency("30min"))


def test_hourly_features_closed_form():
    index = pd.period_range("2021-03-01 00:00", periods=50, freq="h")
    features = time_features(index, "h")
    assert features.shape == (num_time_features("h"), 50) and features.dtype == np.float32
    hours = index.hour.to_numpy()
    # GluonTS encodes hour of day as hour / 23 - 0.5 and day of week as weekday / 6 - 0.5
    np.testing.assert_allclose(features[0], hours / 23 - 0.5, atol=1e-6)
    np.testing.assert_allclose(features[1], index.dayofweek.to_numpy() / 6 - 0.5, atol=1e-6)
    np.testing.assert_allclose(features[-1], np.log10(2 + np.arange(50)), atol=1e-6)
    assert np.all(np.abs(features[:-1]) <= 0.5)


def test_age_is_measured_from_the_origin():
    index = pd.period_range("2020-01", periods=24, freq="M")
    whole = time_features(index, "M")
    tail = time_features(index[10:], "M", age_origin=index[0])
    np.testing.assert_array_equal(tail, whole[:, 10:])
    np.testing.assert_allclose(whole[0], (index.month.to_numpy() - 1) / 11 - 0.5, atol=1e-6)


def test_mean_scaling_closed_form_and_round_trip():
    generator = torch.Generator().manual_seed(0)
    target = torch.randn(4, 10, 3, generator=generator) * 5
    observed = (torch.rand(4, 10, 3, generator=generator) > 0.3).float()
    observed[2, :, 1] = 0  # a series with nothing observed: scale 1
    before = target.clone()
    scaled, scale = mean_scale(target, observed)
    assert scale.shape == (4, 1, 3)
    torch.testing.assert_close(target, before)  # nothing in place
    for b in range(4):
        for d in range(3):
            mask = observed[b, :, d] > 0
            expected = target[b, mask, d].abs().mean() if mask.any() else torch.tensor(1.0)
            torch.testing.assert_close(scale[b, 0, d], expected)
    torch.testing.assert_close(unscale(scaled, scale), target)


def test_mean_scaling_ignores_missing_values_stored_as_nan():
    target = torch.tensor([[[2.0], [float("nan")], [-4.0]]])
    observed = torch.tensor([[[1.0], [0.0], [1.0]]])
    _, scale = mean_scale(target, observed)
    assert scale.item() == pytest.approx(3.0)
    _, zero_scale = mean_scale(torch.zeros(1, 3, 1), torch.ones(1, 3, 1))
    assert zero_scale.item() == 1.0


def test_victorian_holidays_flag_the_date_and_its_substitute_day():
    index = pd.period_range("2016-12-23 00:00", periods=6 * 24, freq="h")
    features = time_features(index, "h", holidays="AU-VIC")
    assert features.shape == (num_time_features("h", "AU-VIC"), 6 * 24)
    assert num_time_features("h", "AU-VIC") == num_time_features("h") + 1
    np.testing.assert_array_equal(features[:-1], time_features(index, "h"))
    by_day = features[-1].reshape(6, 24)
    assert np.all(by_day == by_day[:, :1])  # every hour of a day carries the day's flag
    # 23-28 Dec 2016: Christmas fell on a Sunday (25th) and its day off moved to Tuesday 27th;
    # Boxing Day was Monday 26th. Friday 23rd and Wednesday 28th were working days.
    np.testing.assert_array_equal(by_day[:, 0], [0, 0, 1, 1, 1, 0])


def test_named_holidays_mark_their_date_but_not_the_substitute_day():
    from diffmm.timeseries.public_holidays import HolidayCalendar

    index = pd.period_range("2016-12-23", periods=6, freq="D")  # Fri 23 .. Wed 28 Dec 2016
    names = HolidayCalendar.covering("AU-VIC", index).names_within(index)
    assert names == ["Boxing Day", "Christmas Day"]
    features = time_features(index, "D", holidays="AU-VIC", holiday_names=names)
    assert features.shape == (num_time_features("D", "AU-VIC", names), 6)
    assert num_time_features("D", "AU-VIC", names) == num_time_features("D", "AU-VIC") + 2
    np.testing.assert_array_equal(features[:-2], time_features(index, "D", holidays="AU-VIC"))
    # The flag covers the day off for Christmas (Tuesday 27th); the names stay on their dates.
    np.testing.assert_array_equal(features[-3], [0, 0, 1, 1, 1, 0])
    np.testing.assert_array_equal(features[-2], [0, 0, 0, 1, 0, 0])  # Boxing Day, Mon 26th
    np.testing.assert_array_equal(features[-1], [0, 0, 1, 0, 0, 0])  # Christmas Day, Sun 25th
    # A name the range does not hold gets a row of zeros; names need a region.
    anzac = time_features(index, "D", holidays="AU-VIC", holiday_names=["ANZAC Day"])
    assert anzac[-1].sum() == 0
    with pytest.raises(ValueError, match="need a holidays region"):
        time_features(index, "D", holiday_names=names)


def test_holiday_flags_follow_easter_for_daily_series():
    from dateutil.easter import easter

    easter_sunday = pd.Timestamp(easter(2016))
    index = pd.period_range(easter_sunday - pd.Timedelta(days=3), periods=6, freq="D")
    flags = time_features(index, "D", holidays="AU-VIC")[-1]
    # Victoria: Good Friday, Easter Saturday, Easter Sunday (from 2016) and Easter Monday;
    # the Thursday before and the Tuesday after are working days.
    np.testing.assert_array_equal(flags, [0, 1, 1, 1, 1, 0])


def test_holiday_flags_reject_coarse_frequencies_and_unknown_regions():
    from diffmm.errors import DiffmmError

    with pytest.raises(DiffmmError, match="a day or finer, not 'M'"):
        time_features(pd.period_range("2016-01", periods=3, freq="M"), "M", holidays="AU-VIC")
    hours = pd.period_range("2016-01-01 00:00", periods=3, freq="h")
    with pytest.raises(DiffmmError, match="no public-holiday calendar for region 'XX'"):
        time_features(hours, "h", holidays="XX")
    with pytest.raises(DiffmmError, match="'AU-XYZ'"):
        time_features(hours, "h", holidays="AU-XYZ")
