"""Pipeline-informed demand: kept only where the rolling-origin backtest shows value."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from models.forecasting import pipeline_signal as pipeline_signal_module
from models.forecasting.pipeline_signal import SIGNAL_COLUMNS, pipeline_signal

MONTHS = pd.date_range("2025-01-01", periods=10, freq="MS")


def _snapshots(products: list[str], lags: int = 2, forecast: float = 10.0) -> pd.DataFrame:
    rows = [
        {
            "run_month": run,
            "product_id": p,
            "target_month": run + pd.DateOffset(months=lag),
            "forecast_qty": forecast,
        }
        for run in MONTHS
        for p in products
        for lag in range(1, lags + 1)
    ]
    return pd.DataFrame(rows)


def _pipeline(values: dict[tuple[str, int], float], lag: int = 1) -> pd.DataFrame:
    """Weighted open quantity as of month i, expected to close `lag` months later."""
    return pd.DataFrame(
        [
            {
                "month": MONTHS[i],
                "product_id": p,
                "expected_close_month": MONTHS[i] + pd.DateOffset(months=lag),
                "weighted_qty": q,
            }
            for (p, i), q in values.items()
        ]
    )


def test_signal_that_explains_demand_is_kept_with_hand_computed_value() -> None:
    weighted = [4.0, 8, 2, 6, 10, 4, 2, 8, 6, 4]
    pipeline = _pipeline({("P1", i): q for i, q in enumerate(weighted)})
    # demand in month i+1 = forecast 10 + 0.5 x the pipeline seen at month i
    actuals = pd.DataFrame(
        {"product_id": "P1", "month": MONTHS[1:], "quantity": 10 + 0.5 * np.array(weighted[:-1])}
    )
    result = pipeline_signal(_snapshots(["P1"], lags=1), actuals, pipeline, MONTHS[-1], max_lag=1)

    value = result.value.iloc[0]
    # origins Feb..Sep are scored (January has no earlier actuals to fit beta on)
    errors = 0.5 * np.array(weighted[1:-1])
    assert value["origins"] == 8
    assert value["beta"] == pytest.approx(0.5)
    assert value["wape_statistical"] == pytest.approx(errors.sum() / (80 + errors.sum()))
    assert value["wape_with_pipeline"] == pytest.approx(0.0, abs=1e-12)
    assert value["kept"]
    signal = result.signal
    assert list(signal.columns) == SIGNAL_COLUMNS
    assert signal[["lag", "pipeline_qty", "adjustment_qty", "adjusted_qty"]].values.tolist() == [
        [1, 4.0, 2.0, 12.0]  # October's pipeline for November: 4 x 0.5
    ]


def test_signal_unrelated_to_demand_is_not_kept_and_changes_nothing() -> None:
    # big pipeline months are followed by low demand: the slope is negative, beta
    # is clipped to 0, and an adjustment of 0 adds nothing
    weighted = [10.0, 0.0] * 5
    pipeline = _pipeline({("P1", i): q for i, q in enumerate(weighted)})
    actuals = pd.DataFrame(
        {"product_id": "P1", "month": MONTHS[1:], "quantity": [8.0, 12.0] * 4 + [8.0]}
    )
    result = pipeline_signal(_snapshots(["P1"], lags=1), actuals, pipeline, MONTHS[-1], max_lag=1)

    value = result.value.iloc[0]
    assert not value["kept"]
    assert value["beta"] == 0.0
    assert value["value"] == 0.0
    assert value["reason"] == "the pipeline does not improve the forecast in the backtest"
    assert (result.signal["adjustment_qty"] == 0).all()
    assert (result.signal["adjusted_qty"] == result.signal["forecast_qty"]).all()


def test_too_few_past_run_months_keeps_the_statistical_forecast() -> None:
    pipeline = _pipeline({("P1", i): 4.0 for i in range(3)})
    actuals = pd.DataFrame({"product_id": "P1", "month": MONTHS[1:3], "quantity": [12.0, 12.0]})
    snapshots = _snapshots(["P1"], lags=1)
    result = pipeline_signal(snapshots, actuals, pipeline, MONTHS[2], max_lag=1, min_origins=3)

    value = result.value.iloc[0]
    assert value["origins"] == 1  # February only: January fits its beta
    assert not value["kept"]
    assert value["reason"] == "value measured on 1 past run months, 3 needed"
    assert result.signal["adjustment_qty"].tolist() == [0.0]


def test_first_run_has_nothing_to_learn_from() -> None:
    result = pipeline_signal(
        _snapshots(["P1"]),
        pd.DataFrame(columns=["product_id", "month", "quantity"]),
        _pipeline({("P1", 0): 5.0}),
        MONTHS[0],
    )

    assert result.value["kept"].tolist() == [False, False, False]
    assert set(result.value["reason"]) == {"no past forecast with actuals yet"}
    assert result.signal["lag"].tolist() == [1, 2]
    assert result.signal["pipeline_qty"].tolist() == [5.0, 0.0]


def test_beta_for_lag_two_uses_only_actuals_known_at_each_origin() -> None:
    # lag 2: the forecast of origin i for month i+2 is scored at origin i with a beta
    # fitted on origins <= i-2 only (their targets are known by month i)
    weighted = [2.0, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    pipeline = _pipeline({("P1", i): q for i, q in enumerate(weighted)}, lag=2)
    actuals = pd.DataFrame(
        {"product_id": "P1", "month": MONTHS[2:], "quantity": 10 + 1.0 * np.array(weighted[:-2])}
    )
    result = pipeline_signal(_snapshots(["P1"]), actuals, pipeline, MONTHS[-1], max_lag=2)

    lag2 = result.value.set_index("lag").loc[2]
    # origins with target <= run: 0..7; origin i is scored once some target <= i exists,
    # i.e. from origin 2 on: 6 origins
    assert lag2["origins"] == 6
    assert lag2["beta"] == pytest.approx(1.0)
    assert lag2["wape_with_pipeline"] == pytest.approx(0.0, abs=1e-12)
    assert (
        result.value.set_index("lag").loc[1, "points"] == 0
        or not result.value.set_index("lag").loc[1, "kept"]
    )


def test_later_snapshots_than_the_run_are_ignored() -> None:
    pipeline = _pipeline({("P1", i): 4.0 for i in range(10)})
    actuals = pd.DataFrame({"product_id": "P1", "month": MONTHS[1:], "quantity": 12.0})
    snapshots = _snapshots(["P1"], lags=1)
    early = pipeline_signal(snapshots, actuals, pipeline, MONTHS[5], max_lag=1)
    trimmed = pipeline_signal(
        snapshots[snapshots["run_month"] <= MONTHS[5]], actuals, pipeline, MONTHS[5], max_lag=1
    )

    pd.testing.assert_frame_equal(early.value, trimmed.value)
    pd.testing.assert_frame_equal(early.signal, trimmed.signal)


def test_deals_without_a_product_stay_out_of_the_signal() -> None:
    # The first test's data plus, every month, a large open deal without a product
    # (SPEC section 1: product_id and quantity may be empty). It says nothing about
    # P1's demand: beta, the value and the adjustment are those of P1's pipeline alone.
    weighted = [4.0, 8, 2, 6, 10, 4, 2, 8, 6, 4]
    pipeline = _pipeline({("P1", i): q for i, q in enumerate(weighted)})
    productless = pipeline.assign(product_id=None, weighted_qty=50.0)
    actuals = pd.DataFrame(
        {"product_id": "P1", "month": MONTHS[1:], "quantity": 10 + 0.5 * np.array(weighted[:-1])}
    )
    result = pipeline_signal(
        _snapshots(["P1"], lags=1),
        actuals,
        pd.concat([pipeline, productless], ignore_index=True),
        MONTHS[-1],
        max_lag=1,
    )

    assert result.value.iloc[0]["beta"] == pytest.approx(0.5)
    assert result.value.iloc[0]["wape_with_pipeline"] == pytest.approx(0.0, abs=1e-12)
    assert result.signal[["product_id", "pipeline_qty", "adjusted_qty"]].values.tolist() == [
        ["P1", 4.0, 12.0]
    ]


def test_docstring_example_runs() -> None:
    result = doctest.testmod(pipeline_signal_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
