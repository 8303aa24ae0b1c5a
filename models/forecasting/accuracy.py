"""Forecast accuracy by lag (SPEC.md section 2, "Forecast error"), from kept forecast snapshots.

Every run keeps its forecast, so once a target month has actuals, each
snapshot that forecast it can be scored: the snapshot of run month R for
target month T has lag L = T - R in months. Scoring is at the product total
(region ``'ALL'``), the level `fct_forecast_accuracy` is keyed on.

* error = forecast - actual; abs_error = |error|;
* WAPE over a set = sum |forecast - actual| / sum actual;
* bias = sum (forecast - actual) / sum actual;
* accuracy = max(0, 1 - WAPE);
* FVA = WAPE of the seasonal naive forecast - WAPE of the method, so a
  positive FVA means the method beats what a planner gets for free.

Ratios are NULL (NaN) when the actuals of the set sum to zero: WAPE is not
defined there, and reporting 0 or infinity would mislead a dashboard.
"""

from __future__ import annotations

import pandas as pd

from models.months import PORTFOLIO, month_index

TOTAL_REGION = "ALL"

ACCURACY_COLUMNS = [
    "product_id",
    "target_month",
    "lag",
    "run_month",
    "family",
    "model",
    "forecast_qty",
    "naive_qty",
    "actual_qty",
    "error",
    "abs_error",
    "naive_abs_error",
]

SUMMARY_COLUMNS = [
    "level",
    "member_id",
    "lag",
    "points",
    "first_target_month",
    "last_target_month",
    "actual_qty",
    "forecast_qty",
    "abs_error",
    "naive_abs_error",
    "wape",
    "bias",
    "accuracy",
    "naive_wape",
    "fva",
]


def forecast_accuracy(
    forecasts: pd.DataFrame,
    actuals: pd.DataFrame,
    as_of_month: pd.Timestamp | str,
    families: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per product, target month and lag whose actuals are known as of `as_of_month`.

    Parameters
    ----------
    forecasts : DataFrame
        Snapshots of ``fct_demand_forecast``: run_month, product_id, region,
        target_month, forecast_qty, model, and optionally naive_qty (the
        seasonal naive benchmark of that run; the forecast itself when absent).
        Only region ``'ALL'`` rows are scored.
    actuals : DataFrame
        ``fct_demand_history``: product_id, region, month, quantity. Summed
        over regions; a product-month without a row counts as 0 demand.
    as_of_month : date-like
        The run month: target months after it have no actuals yet.
    families : DataFrame, optional
        product_id, family (``dim_products``), carried onto each row.

    Examples
    --------
    >>> f = pd.DataFrame({"run_month": ["2025-01-01", "2025-02-01"], "product_id": "P1",
    ...     "region": "ALL", "target_month": "2025-03-01", "forecast_qty": [12.0, 9.0],
    ...     "model": "snaive"})
    >>> a = pd.DataFrame({"product_id": ["P1"], "region": ["EU"], "month": ["2025-03-01"],
    ...     "quantity": [10.0]})
    >>> forecast_accuracy(f, a, "2025-03-01")[["lag", "actual_qty", "error", "abs_error"]]
       lag  actual_qty  error  abs_error
    0    1        10.0   -1.0        1.0
    1    2        10.0    2.0        2.0
    """
    as_of = pd.Timestamp(as_of_month).to_period("M").to_timestamp()
    rows = forecasts[forecasts["region"] == TOTAL_REGION].copy()
    rows["run_month"] = pd.to_datetime(rows["run_month"])
    rows["target_month"] = pd.to_datetime(rows["target_month"])
    rows = rows[rows["target_month"] <= as_of]
    if "naive_qty" not in rows:
        rows["naive_qty"] = rows["forecast_qty"]
    # snapshots kept from before the benchmark was stored have no naive_qty
    rows["naive_qty"] = rows["naive_qty"].fillna(rows["forecast_qty"])
    actual = (
        actuals.assign(month=pd.to_datetime(actuals["month"]))
        .groupby(["product_id", "month"], as_index=False)["quantity"]
        .sum()
        .rename(columns={"month": "target_month", "quantity": "actual_qty"})
    )
    scored = rows.merge(actual, on=["product_id", "target_month"], how="left")
    scored["actual_qty"] = scored["actual_qty"].fillna(0.0)
    scored["lag"] = month_index(scored["target_month"]) - month_index(scored["run_month"])
    scored["error"] = scored["forecast_qty"] - scored["actual_qty"]
    scored["abs_error"] = scored["error"].abs()
    scored["naive_abs_error"] = (scored["naive_qty"] - scored["actual_qty"]).abs()
    if families is not None:
        scored = scored.merge(families[["product_id", "family"]], on="product_id", how="left")
    else:
        scored["family"] = None
    scored = scored.sort_values(["product_id", "target_month", "lag"], kind="stable")
    return scored[ACCURACY_COLUMNS].reset_index(drop=True)


def error_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """WAPE, bias, accuracy, naive WAPE and FVA from summed actual, forecast and errors.

    Shared with the forecast's own backtest (:mod:`models.forecasting.backtest`)
    so both tables compute the SPEC's ratios the same way.
    """
    actual = frame["actual_qty"].where(frame["actual_qty"] != 0)
    frame["wape"] = frame["abs_error"] / actual
    frame["bias"] = (frame["forecast_qty"] - frame["actual_qty"]) / actual
    frame["accuracy"] = (1 - frame["wape"]).clip(lower=0)
    frame["naive_wape"] = frame["naive_abs_error"] / actual
    frame["fva"] = frame["naive_wape"] - frame["wape"]
    return frame


def accuracy_summary(accuracy: pd.DataFrame) -> pd.DataFrame:
    """WAPE, bias, accuracy and FVA by product, family and the whole portfolio, per lag.

    Sums first, then ratios (SPEC: roll-ups sum numerators and denominators).
    """
    levels = {
        "product": accuracy.assign(member_id=accuracy["product_id"]),
        "family": accuracy.assign(member_id=accuracy["family"].fillna("(none)")),
        "portfolio": accuracy.assign(member_id=PORTFOLIO),
    }
    parts = []
    for level, frame in levels.items():
        grouped = frame.groupby(["member_id", "lag"], as_index=False).agg(
            points=("abs_error", "size"),
            first_target_month=("target_month", "min"),
            last_target_month=("target_month", "max"),
            actual_qty=("actual_qty", "sum"),
            forecast_qty=("forecast_qty", "sum"),
            abs_error=("abs_error", "sum"),
            naive_abs_error=("naive_abs_error", "sum"),
        )
        parts.append(grouped.assign(level=level))
    summary = error_ratios(pd.concat(parts, ignore_index=True))
    return (
        summary[SUMMARY_COLUMNS].sort_values(["level", "member_id", "lag"]).reset_index(drop=True)
    )
