"""The forecast contract check: each invariant, broken on purpose, is reported."""

from __future__ import annotations

import pandas as pd
import pytest

from models.forecasting import forecast_problems


@pytest.fixture
def forecast() -> pd.DataFrame:
    """Two months of one product in two regions plus its total: a valid forecast."""
    rows = []
    for month in ("2025-07-01", "2025-08-01"):
        rows += [
            ("P1", "EMEA", month, 2.0, 1.0, 3.0),
            ("P1", "APAC", month, 3.0, 2.0, 4.0),
            ("P1", "ALL", month, 5.0, 3.5, 6.5),
        ]
    frame = pd.DataFrame(
        rows,
        columns=["product_id", "region", "target_month", "forecast_qty", "lower_80", "upper_80"],
    )
    return frame.assign(run_month="2025-06-01")


def test_a_valid_forecast_has_no_problems(forecast) -> None:
    assert forecast_problems(forecast, horizon=2) == []


def test_duplicate_keys(forecast) -> None:
    bad = pd.concat([forecast, forecast.iloc[[2]]])  # the ALL row: sums still agree
    assert forecast_problems(bad, horizon=2) == [
        "1 duplicated key(s) ('run_month', 'product_id', 'region', 'target_month')"
    ]


def test_a_series_short_of_the_horizon(forecast) -> None:
    problems = forecast_problems(forecast, horizon=3)
    assert problems == ["3 series do not cover exactly the 3 months after 2025-06 (e.g. P1/ALL)"]


def test_totals_that_do_not_add_up(forecast) -> None:
    bad = forecast.copy()
    bad.loc[(bad.region == "ALL") & (bad.target_month == "2025-08-01"), "forecast_qty"] = 6.0
    assert forecast_problems(bad, horizon=2) == [
        "1 product-month total(s) differ from the sum of their regions (largest gap 1)"
    ]


def test_intervals_out_of_order_and_negative_forecasts(forecast) -> None:
    bad = forecast.copy()
    bad.loc[0, "lower_80"] = 2.5  # above its forecast of 2
    bad.loc[1, ["forecast_qty", "lower_80"]] = [-1.0, -2.0]
    bad.loc[2, ["forecast_qty", "lower_80", "upper_80"]] = [1.0, 0.5, 1.5]  # 2 + (-1)
    assert forecast_problems(bad, horizon=2) == [
        "1 negative or missing forecast(s)",
        "1 row(s) where lower_80 <= forecast <= upper_80 fails",
    ]


def test_no_rows_is_a_problem() -> None:
    assert forecast_problems(pd.DataFrame(), horizon=18) == ["no forecast rows"]
