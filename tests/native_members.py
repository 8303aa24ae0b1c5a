"""The four members of the regular-series median, built natively with statsforecast.

Tests compare the forecaster against these, written out here rather than
taken from `models.forecasting.auto_select`, so a change there shows.
"""

from __future__ import annotations

from statsforecast.models import ARIMA, AutoETS, DynamicOptimizedTheta, SeasonalNaive


def native_members() -> list:
    """AutoETS, DOTM, the airline ARIMA and seasonal naive (season 12), aliased by name."""
    return [
        AutoETS(season_length=12, alias="ets"),
        DynamicOptimizedTheta(season_length=12, alias="dotm"),
        ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=12, alias="arima"),
        SeasonalNaive(season_length=12, alias="seasonal_naive"),
    ]
