"""Forecast accuracy arithmetic (SPEC.md section 2) on a hand-made example."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.forecasting.accuracy import accuracy_summary, forecast_accuracy


def _forecasts() -> pd.DataFrame:
    rows = [
        # run month, product, region, target, forecast, naive
        ("2025-01-01", "P1", "ALL", "2025-02-01", 10.0, 12.0),
        ("2025-01-01", "P1", "ALL", "2025-03-01", 20.0, 15.0),
        ("2025-01-01", "P2", "ALL", "2025-02-01", 5.0, 5.0),
        ("2025-01-01", "P2", "ALL", "2025-03-01", 0.0, 4.0),
        ("2025-02-01", "P1", "ALL", "2025-03-01", 18.0, 20.0),
        ("2025-02-01", "P2", "ALL", "2025-03-01", 2.0, 1.0),
        ("2025-02-01", "P1", "ALL", "2025-04-01", 30.0, 30.0),  # no actuals yet
        ("2025-01-01", "P1", "EU", "2025-02-01", 999.0, 999.0),  # regional: not scored
    ]
    frame = pd.DataFrame(
        rows,
        columns=["run_month", "product_id", "region", "target_month", "forecast_qty", "naive_qty"],
    )
    return frame.assign(model="snaive")


ACTUALS = pd.DataFrame(
    [
        ("P1", "EU", "2025-02-01", 6.0),
        ("P1", "US", "2025-02-01", 6.0),
        ("P1", "EU", "2025-03-01", 16.0),
        ("P2", "EU", "2025-02-01", 4.0),
        # P2 has no March row: zero demand
    ],
    columns=["product_id", "region", "month", "quantity"],
)
FAMILIES = pd.DataFrame({"product_id": ["P1", "P2"], "family": ["F1", "F2"]})


@pytest.fixture
def accuracy() -> pd.DataFrame:
    return forecast_accuracy(_forecasts(), ACTUALS, "2025-03-01", FAMILIES)


def test_each_snapshot_is_scored_by_lag_against_the_product_total(accuracy) -> None:
    got = accuracy[
        ["product_id", "target_month", "lag", "forecast_qty", "actual_qty", "error", "abs_error"]
    ]
    expected = pd.DataFrame(
        [
            ("P1", "2025-02-01", 1, 10.0, 12.0, -2.0, 2.0),
            ("P1", "2025-03-01", 1, 18.0, 16.0, 2.0, 2.0),
            ("P1", "2025-03-01", 2, 20.0, 16.0, 4.0, 4.0),
            ("P2", "2025-02-01", 1, 5.0, 4.0, 1.0, 1.0),
            ("P2", "2025-03-01", 1, 2.0, 0.0, 2.0, 2.0),
            ("P2", "2025-03-01", 2, 0.0, 0.0, 0.0, 0.0),
        ],
        columns=got.columns,
    ).assign(target_month=lambda f: pd.to_datetime(f["target_month"]))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert accuracy["naive_abs_error"].tolist() == [0.0, 4.0, 1.0, 1.0, 1.0, 4.0]
    assert accuracy["family"].tolist() == ["F1", "F1", "F1", "F2", "F2", "F2"]


def test_portfolio_wape_bias_accuracy_and_fva_by_lag(accuracy) -> None:
    summary = accuracy_summary(accuracy).set_index(["level", "member_id", "lag"])
    lag1 = summary.loc[("portfolio", "ALL", 1)]
    # actual 12 + 16 + 4 + 0 = 32; |error| 2 + 2 + 1 + 2 = 7; forecast 10 + 18 + 5 + 2 = 35
    assert lag1["points"] == 4
    assert lag1["wape"] == pytest.approx(7 / 32)
    assert lag1["bias"] == pytest.approx(3 / 32)
    assert lag1["accuracy"] == pytest.approx(1 - 7 / 32)
    # naive |error| 0 + 4 + 1 + 1 = 6: the method is worse than naive at lag 1
    assert lag1["naive_wape"] == pytest.approx(6 / 32)
    assert lag1["fva"] == pytest.approx(6 / 32 - 7 / 32)
    lag2 = summary.loc[("portfolio", "ALL", 2)]
    # actual 16 + 0; |error| 4 + 0; naive |error| 1 + 4: the method beats naive at lag 2
    assert (lag2["wape"], lag2["bias"], lag2["fva"]) == pytest.approx((4 / 16, 4 / 16, 1 / 16))


def test_family_and_product_levels_sum_before_dividing(accuracy) -> None:
    summary = accuracy_summary(accuracy).set_index(["level", "member_id", "lag"])
    f1 = summary.loc[("family", "F1", 1)]
    # P1 at lag 1: actual 12 + 16 = 28, |error| 2 + 2 = 4, forecast 10 + 18 = 28
    assert (f1["wape"], f1["bias"], f1["naive_wape"]) == pytest.approx((4 / 28, 0.0, 4 / 28))
    assert f1["fva"] == pytest.approx(0.0)
    # P2 at lag 2: actual 0, so WAPE, bias and FVA are not defined (NULL), not 0 or inf
    p2 = summary.loc[("product", "P2", 2)]
    assert math.isnan(p2["wape"]) and math.isnan(p2["bias"]) and math.isnan(p2["fva"])
    assert p2["abs_error"] == 0.0


def test_accuracy_is_floored_at_zero() -> None:
    forecasts = _forecasts().iloc[[0]].assign(forecast_qty=40.0)  # |40 - 12| / 12 > 1
    summary = accuracy_summary(forecast_accuracy(forecasts, ACTUALS, "2025-03-01"))
    portfolio = summary[summary["level"] == "portfolio"].iloc[0]
    assert portfolio["wape"] == pytest.approx(28 / 12)
    assert portfolio["accuracy"] == 0.0


def test_without_a_naive_column_the_forecast_is_its_own_benchmark() -> None:
    accuracy = forecast_accuracy(_forecasts().drop(columns="naive_qty"), ACTUALS, "2025-03-01")
    assert (accuracy["naive_abs_error"] == accuracy["abs_error"]).all()
