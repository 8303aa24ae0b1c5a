"""Invariants every published demand forecast must satisfy, as plain checks on a DataFrame.

They guard the contract of `fct_demand_forecast` (SPEC.md section 3) at run
time, so a regression in a model is caught before its numbers are planned
on and published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["run_month", "product_id", "region", "target_month"]


def forecast_problems(forecast: pd.DataFrame, horizon: int, tolerance: float = 1e-6) -> list[str]:
    """What is wrong with one run's forecast rows; an empty list when nothing is.

    Parameters
    ----------
    forecast : DataFrame
        Rows of `fct_demand_forecast` for one run month.
    horizon : int
        Months every series must cover, from the month after the run month.
    tolerance : float
        Allowed absolute difference between a product total and the sum of its regions.

    Examples
    --------
    >>> rows = pd.DataFrame({"run_month": ["2025-06-01"] * 3, "product_id": ["P1"] * 3,
    ...     "region": ["ALL", "EMEA", "APAC"], "target_month": ["2025-07-01"] * 3,
    ...     "forecast_qty": [5.0, 2.0, 3.0], "lower_80": [4.0, 1.0, 2.0],
    ...     "upper_80": [6.0, 3.0, 4.0]})
    >>> forecast_problems(rows, horizon=1)
    []
    """
    problems: list[str] = []
    if forecast.empty:
        return ["no forecast rows"]
    duplicated = forecast.duplicated(KEY)
    if duplicated.any():
        problems.append(f"{int(duplicated.sum())} duplicated key(s) {tuple(KEY)}")

    run = pd.Period(pd.Timestamp(forecast["run_month"].iloc[0]), "M")
    expected = {run + h for h in range(1, horizon + 1)}
    months = forecast.assign(period=pd.to_datetime(forecast["target_month"]).dt.to_period("M"))
    covered = months.groupby(["product_id", "region"])["period"].agg(set)
    incomplete = covered[covered.map(lambda s: s != expected)]
    if not incomplete.empty:
        first = incomplete.index[0]
        problems.append(
            f"{len(incomplete)} series do not cover exactly the {horizon} months after "
            f"{run} (e.g. {first[0]}/{first[1]})"
        )

    is_total = forecast["region"] == "ALL"
    totals = forecast[is_total].set_index(["product_id", "target_month"])["forecast_qty"]
    regions = forecast[~is_total].groupby(["product_id", "target_month"])["forecast_qty"].sum()
    gap = (totals - regions.reindex(totals.index, fill_value=0.0)).abs()
    if (gap > tolerance).any():
        problems.append(
            f"{int((gap > tolerance).sum())} product-month total(s) differ from the sum of "
            f"their regions (largest gap {gap.max():.6g})"
        )

    qty, lower, upper = (
        forecast[c].to_numpy(float) for c in ("forecast_qty", "lower_80", "upper_80")
    )
    if (qty < 0).any() or np.isnan(qty).any():
        problems.append(f"{int(((qty < 0) | np.isnan(qty)).sum())} negative or missing forecast(s)")
    disordered = (lower > qty + tolerance) | (qty > upper + tolerance)
    if disordered.any():
        problems.append(
            f"{int(disordered.sum())} row(s) where lower_80 <= forecast <= upper_80 fails"
        )
    return problems
