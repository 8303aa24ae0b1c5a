"""The forecast's own held-out backtest (fct_forecast_backtest): sums by hand, then
the numbers of forecast_demand against native statsforecast on the cut series."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest
from statsforecast import StatsForecast

from models.forecasting import backtest as backtest_module
from models.forecasting import forecast_demand
from models.forecasting.auto_select import AutoSelectForecaster
from models.forecasting.backtest import (
    BACKTEST_COLUMNS,
    backtest_by_lag,
    seasonal_naive_from_origins,
)
from tests.native_members import native_members

JAN = pd.Timestamp("2025-01-01")


def test_backtest_by_lag_sums_errors_then_divides() -> None:
    points = pd.DataFrame(
        {
            "level": ["product", "product", "product", "family", "family"],
            "lag": [1, 1, 2, 1, 1],
            "origin_month": [JAN, pd.Timestamp("2024-12-01"), JAN, JAN, JAN],
            "forecast_qty": [12.0, 5.0, 0.0, 30.0, 4.0],
            "naive_qty": [8.0, 10.0, 3.0, 20.0, 0.0],
            "actual_qty": [10.0, 10.0, 0.0, 25.0, 0.0],
        }
    )
    rows = backtest_by_lag(points, "2025-06-15")
    assert list(rows.columns) == BACKTEST_COLUMNS
    assert rows[["level", "lag", "series"]].values.tolist() == [
        ["family", 1, 2],
        ["product", 1, 2],
        ["product", 2, 1],
    ]
    assert (rows["run_month"] == pd.Timestamp("2025-06-01")).all()
    product = rows.iloc[1]
    assert product["first_origin_month"] == pd.Timestamp("2024-12-01")
    assert product["last_origin_month"] == JAN
    # |12 - 10| + |5 - 10| = 7 over 20; bias (17 - 20) / 20; naive |8 - 10| + |10 - 10| = 2
    assert product["abs_error"] == 7.0 and product["naive_abs_error"] == 2.0
    assert product["wape"] == pytest.approx(0.35)
    assert product["bias"] == pytest.approx(-0.15)
    assert product["accuracy"] == pytest.approx(0.65)
    assert product["naive_wape"] == pytest.approx(0.1)
    assert product["fva"] == pytest.approx(-0.25)
    # family: |30 - 25| + |4 - 0| = 9 over 25, bias +9 / 25, naive 5 + 0 = 5, FVA (5 - 9) / 25
    family = rows.iloc[0]
    assert family[["wape", "bias", "naive_wape", "fva"]].tolist() == pytest.approx(
        [0.36, 0.36, 0.2, -0.16]
    )
    # actuals summing to 0: the ratios are undefined (NULL), never 0 or infinite
    assert rows.iloc[2][["wape", "bias", "accuracy", "fva"]].isna().all()


def test_backtest_accuracy_is_floored_at_zero() -> None:
    points = pd.DataFrame(
        {
            "level": ["product"],
            "lag": [1],
            "origin_month": [JAN],
            "forecast_qty": [25.0],
            "naive_qty": [10.0],
            "actual_qty": [10.0],
        }
    )
    row = backtest_by_lag(points, JAN).iloc[0]
    assert row["wape"] == pytest.approx(1.5) and row["accuracy"] == 0.0


def test_seasonal_naive_from_each_columns_own_origin() -> None:
    season = np.arange(1.0, 13.0)
    values = np.column_stack(
        [
            np.r_[season, 100.0, 200.0, 300.0],  # origin after 13 months: 2, 3 from last season
            np.r_[np.full(10, np.nan), 4.0, 6.0, -5.0, 9.0, 9.0],  # 3 months: naive, floored
        ]
    )
    naive = seasonal_naive_from_origins(values, np.array([12, 12]), horizon=2, sp=12)
    np.testing.assert_array_equal(naive, [[2.0, 0.0], [3.0, 0.0]])


def _history(run: str = "2025-06", months: int = 40, seed: int = 3) -> pd.DataFrame:
    """Three products in two regions, seasonal Poisson demand for `months` months."""
    rng = np.random.default_rng(seed)
    dates = pd.period_range(end=run, periods=months, freq="M").to_timestamp()
    season = 1 + 0.4 * np.sin(2 * np.pi * np.arange(months) / 12)
    rows = []
    for p, level in enumerate([30, 12, 50]):
        for r, region in enumerate(["EMEA", "APAC"]):
            quantity = rng.poisson(level * (1 + 0.5 * r) * season).astype(float)
            rows.append(
                pd.DataFrame(
                    {"product_id": f"P{p}", "region": region, "month": dates, "quantity": quantity}
                )
            )
    return pd.concat(rows, ignore_index=True)


def _products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["P0", "P1", "P2"],
            "family": ["A", "A", "B"],
            "launch_date": pd.Timestamp("2020-01-01"),
            "end_date": pd.NaT,
        }
    )


def _native_median(totals: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Median of the four members fitted natively on each series (unique_id, ds, y)."""
    models = native_members()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = StatsForecast(models=models, freq=1).forecast(h=horizon, df=totals)
    out["forecast"] = np.median(out[["ets", "dotm", "arima", "seasonal_naive"]], axis=1)
    return out


def test_forecast_demand_backtest_is_the_calibration_forecast_against_actuals() -> None:
    history, horizon = _history(), 6
    result = forecast_demand(history, _products(), "2025-06", horizon=horizon)
    backtest = result.backtest
    assert list(backtest.columns) == BACKTEST_COLUMNS
    # 40 months, 24 kept to fit: every series holds out the horizon's 6 months from
    # Dec 2024; products, regions, families (A, B) and the portfolio are all regular.
    assert set(result.nodes["kind"]) == {"regular"}
    assert backtest.groupby("level")["series"].max().to_dict() == {
        "family": 2,
        "portfolio": 1,
        "product": 3,
        "product_region": 6,
    }
    assert backtest.groupby("level")["lag"].apply(list).map(tuple).unique().tolist() == [
        tuple(range(1, horizon + 1))
    ]
    assert (backtest["first_origin_month"] == pd.Timestamp("2024-12-01")).all()
    assert (backtest["last_origin_month"] == pd.Timestamp("2024-12-01")).all()

    # Recomputed without the platform: product totals cut at Dec 2024, the four members
    # fitted natively there, their median against the next six months' actuals; the
    # benchmark is the same month a year before the target.
    totals = history.groupby(["product_id", "month"], as_index=False)["quantity"].sum()
    totals = totals.rename(columns={"product_id": "unique_id", "quantity": "y"})
    totals["ds"] = totals.groupby("unique_id").cumcount()
    cut = totals[totals["month"] <= pd.Timestamp("2024-12-01")]
    native = _native_median(cut[["unique_id", "ds", "y"]], horizon)
    native["lag"] = native.groupby("unique_id").cumcount() + 1
    native = native.merge(totals[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    last_year = totals.assign(ds=totals["ds"] + 12).rename(columns={"y": "naive"})
    native = native.merge(last_year[["unique_id", "ds", "naive"]], on=["unique_id", "ds"])
    native["abs_error"] = (native["forecast"] - native["y"]).abs()
    native["naive_abs_error"] = (native["naive"] - native["y"]).abs()
    by_lag = native.groupby("lag")[["y", "forecast", "abs_error", "naive_abs_error"]].sum()

    product = backtest[backtest["level"] == "product"].set_index("lag")
    assert (product["series"] == 3).all()
    np.testing.assert_allclose(product["actual_qty"], by_lag["y"], rtol=1e-12)
    np.testing.assert_allclose(product["forecast_qty"], by_lag["forecast"], rtol=1e-9)
    np.testing.assert_allclose(product["abs_error"], by_lag["abs_error"], rtol=1e-9)
    np.testing.assert_allclose(product["naive_abs_error"], by_lag["naive_abs_error"], rtol=1e-12)
    wape = by_lag["abs_error"] / by_lag["y"]
    np.testing.assert_allclose(product["wape"], wape, rtol=1e-9)
    np.testing.assert_allclose(product["accuracy"], np.maximum(0, 1 - wape), rtol=1e-9)
    np.testing.assert_allclose(
        product["bias"], (by_lag["forecast"] - by_lag["y"]) / by_lag["y"], rtol=1e-9
    )
    np.testing.assert_allclose(
        product["fva"], (by_lag["naive_abs_error"] - by_lag["abs_error"]) / by_lag["y"], rtol=1e-9
    )


def test_held_out_backtest_needs_a_forecast_and_lists_each_series_steps() -> None:
    months = pd.period_range("2021-01", periods=30, freq="M")
    season = np.tile([10.0, 12, 15, 20, 24, 30, 32, 30, 24, 18, 14, 12], 3)[:30]
    y = pd.DataFrame({"a": season, "b": season * 2}, index=months)
    forecaster = AutoSelectForecaster().fit(y)
    with pytest.raises(ValueError, match="call predict first"):
        forecaster.held_out_backtest()
    forecaster.predict(fh=[1, 2, 3, 4, 5, 6, 7, 8])
    held = forecaster.held_out_backtest()
    # 30 months, 24 kept to fit: 6 held out (fewer than the 8 forecast) per series
    assert held[["series", "step"]].values.tolist() == [
        [s, k] for s in ("a", "b") for k in range(1, 7)
    ]
    assert (held["origin_offset"] == 6).all() and (held["kind"] == "regular").all()
    np.testing.assert_array_equal(held["actual"], np.r_[season[24:], 2 * season[24:]])
    assert (held["forecast"] >= 0).all()


def test_docstring_examples_run() -> None:
    result = doctest.testmod(backtest_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
