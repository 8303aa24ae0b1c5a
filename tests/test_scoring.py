"""Competition error measures (sMAPE, MASE, coverage) on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from models.forecasting.scoring import coverage, mase, seasonal_scale, smape


def test_smape_averages_over_the_horizon_then_over_series() -> None:
    # series 1: 200*10/210 = 9.5238, 200*10/190 = 10.5263 -> 10.0251
    # series 2: 200*50/150 = 66.6667, both zero -> 0 -> 33.3333
    forecast = np.array([[110.0, 90.0], [50.0, 0.0]])
    actual = np.array([[100.0, 100.0], [100.0, 0.0]])

    assert smape(forecast, actual) == pytest.approx((10.0250626566 + 33.3333333333) / 2)


def test_seasonal_scale_is_the_mean_absolute_seasonal_difference() -> None:
    history = np.r_[np.arange(12.0), np.arange(12.0) + 3.0, np.arange(2.0) + 5.0]
    # 12 differences of 3, then 5-3=2 and 6-4=2 -> (36 + 4) / 14
    assert seasonal_scale(history) == pytest.approx(40 / 14)
    # a history not longer than a season falls back to first differences
    assert seasonal_scale(np.array([1.0, 4.0, 2.0]), sp=12) == pytest.approx(2.5)


def test_mase_scales_each_series_by_its_own_history() -> None:
    forecast = np.array([[12.0, 8.0], [1.0, 1.0]])
    actual = np.array([[10.0, 10.0], [2.0, 3.0]])
    # series 1: MAE 2 / 4 = 0.5; series 2: MAE 1.5 / 0.5 = 3 -> mean 1.75
    assert mase(forecast, actual, np.array([4.0, 0.5])) == pytest.approx(1.75)


def test_coverage_counts_bounds_as_inside() -> None:
    lower = np.array([[0.0, 5.0, 1.0, 1.0]])
    upper = np.array([[10.0, 6.0, 2.0, 3.0]])
    actual = np.array([[10.0, 7.0, 0.5, 2.0]])

    assert coverage(lower, upper, actual) == pytest.approx(0.5)
