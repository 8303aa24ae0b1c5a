"""Calibrated intervals of combinations: the pieces by hand, then the forecaster against them."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsforecast import StatsForecast

from models.forecasting.auto_select import AutoSelectForecaster
from models.forecasting.calibration import (
    held_out,
    holdout_steps,
    sample_columns,
    standardized_errors,
    step_quantiles,
    truncate,
)
from tests.native_members import native_members


def test_holdout_leaves_the_training_months_and_caps_at_the_horizon() -> None:
    assert holdout_steps(np.array([60, 30, 24, 10]), 18, 24).tolist() == [18, 6, 0, 0]


def test_sample_is_evenly_spread_and_keeps_everything_under_the_limit() -> None:
    assert sample_columns(np.array([5, 7, 9]), 500).tolist() == [5, 7, 9]
    assert sample_columns(np.arange(100), 5).tolist() == [0, 25, 50, 74, 99]


def test_truncate_and_held_out_split_each_series_at_its_own_end() -> None:
    values = np.array([[np.nan, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, np.nan]])
    steps = np.array([2, 1])

    cut = truncate(values, steps)
    np.testing.assert_array_equal(cut[:, 0], [np.nan, 2.0, np.nan, np.nan])
    np.testing.assert_array_equal(cut[:, 1], [1.0, 2.0, np.nan, np.nan])
    np.testing.assert_array_equal(
        held_out(values, steps, 3), [[3.0, 3.0], [4.0, np.nan], [np.nan, np.nan]]
    )


def test_standardized_errors_stop_at_each_series_holdout() -> None:
    actual = np.array([[12.0, 5.0], [14.0, np.nan]])
    point = np.array([[10.0, 4.0], [10.0, 4.0]])
    sigma = np.array([[2.0, 0.5], [4.0, 1.0]])

    z = standardized_errors(actual, point, sigma, np.array([2, 1]))
    np.testing.assert_array_equal(z, [[1.0, 1.0], [2.0, np.nan]])


def test_step_quantiles_pool_neighbouring_steps_and_fall_back() -> None:
    # 20 series x 3 steps: step 1 pools steps 1-2 (40 points), step 2 all three (60),
    # step 3 steps 2-3 (40); step 4 has no data and carries step 3's quantiles
    z = np.tile(np.arange(20.0)[:, np.newaxis], (1, 3))
    z[:, 2] += 100.0
    quantiles = step_quantiles(z, [0.8], horizon=4)
    low, high = quantiles[0.8]

    pooled_12 = np.r_[np.arange(20.0), np.arange(20.0)]
    pooled_23 = np.r_[np.arange(20.0), np.arange(20.0) + 100]
    assert low[0] == pytest.approx(np.quantile(pooled_12, 0.1))
    assert high[0] == pytest.approx(np.quantile(pooled_12, 0.9))
    assert high[2] == pytest.approx(np.quantile(pooled_23, 0.9))
    assert (low[3], high[3]) == (low[2], high[2])
    # too few points (10 series x 1 step): normal quantiles, the members' own interval
    few = step_quantiles(np.zeros((10, 1)), [0.8], horizon=2)[0.8]
    np.testing.assert_allclose(few[0], [norm.ppf(0.1)] * 2)
    np.testing.assert_allclose(few[1], [norm.ppf(0.9)] * 2)


def _panel(n_series: int, months: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    t = np.arange(months)
    series = {
        f"s{i}": 100 + 10 * np.sin(2 * np.pi * t / 12 + i) + 0.3 * i * t + rng.normal(0, 4, months)
        for i in range(n_series)
    }
    return pd.DataFrame(series, index=pd.period_range("2020-01", periods=months, freq="M"))


def _native(frame: pd.DataFrame, horizon: int, level: list[int]) -> dict[str, pd.DataFrame]:
    long = frame.reset_index(drop=True).melt(ignore_index=False, var_name="unique_id")
    long = long.rename(columns={"value": "y"}).rename_axis("ds").reset_index()
    models = native_members()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = StatsForecast(models=models, freq=1).forecast(h=horizon, df=long, level=level)
    return {name: out.set_index("unique_id") for name in frame.columns} | {"_all": out}


def test_regular_series_take_the_median_of_the_four_members_with_calibrated_intervals() -> None:
    frame = _panel(12)
    horizon = 6
    forecaster = AutoSelectForecaster(nonnegative=False).fit(frame)
    point = forecaster.predict(fh=list(range(1, horizon + 1)))
    interval = forecaster.predict_interval(fh=list(range(1, horizon + 1)), coverage=0.8)

    assert set(forecaster.model_) == {"combination"}
    assert forecaster.members_.iloc[0] == ("ets", "dotm", "arima", "seasonal_naive")
    native = _native(frame, horizon, [80])["_all"]
    members = ["ets", "dotm", "arima", "seasonal_naive"]
    median = native.groupby("unique_id", sort=False)[members].apply(
        lambda g: pd.Series(np.median(g.to_numpy(), axis=1))
    )
    for name in frame.columns:
        np.testing.assert_allclose(point[name], median.loc[name], rtol=1e-9)

    # calibration by hand: every series (12 <= 500) cut 6 months early (48 - 6 >= 24),
    # the members refitted there, errors / mean member sigma, quantiles pooled over
    # neighbouring steps: 12 series x 2-3 steps >= 30 points from step 1 on
    cut = _native(frame.iloc[:-horizon], horizon, [80])["_all"]
    cut_point = cut.groupby("unique_id", sort=False)[members].apply(
        lambda g: pd.Series(np.median(g.to_numpy(), axis=1))
    )
    cut_sigma = _sigma(cut, members, frame.columns, horizon)
    actual = frame.iloc[-horizon:].to_numpy().T
    errors = (actual - cut_point.loc[frame.columns].to_numpy()) / cut_sigma
    low, high = step_quantiles(errors, [0.8], horizon)[0.8]
    sigma = _sigma(native, members, frame.columns, horizon)
    for i, name in enumerate(frame.columns):
        expected_low = np.minimum(median.loc[name].to_numpy() + low * sigma[i], point[name])
        expected_high = np.maximum(median.loc[name].to_numpy() + high * sigma[i], point[name])
        np.testing.assert_allclose(interval[(name, 0.8, "lower")], expected_low, rtol=1e-9)
        np.testing.assert_allclose(interval[(name, 0.8, "upper")], expected_high, rtol=1e-9)


def _sigma(native: pd.DataFrame, members: list[str], order, horizon: int) -> np.ndarray:
    """(series, horizon) mean member standard error, rows in ``order``."""
    z = norm.ppf(0.9)
    rows = native.set_index("unique_id").loc[list(order)]
    return np.mean(
        [(rows[f"{m}-hi-80"] - rows[f"{m}-lo-80"]).to_numpy() / (2 * z) for m in members], axis=0
    ).reshape(len(order), horizon)
