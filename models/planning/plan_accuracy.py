"""Forecast value added of the planners' overrides, from kept demand plan snapshots.

Overrides cost meeting time, so they must earn it: once a target month has
actuals, each kept plan that covered it is scored three ways, with the
definitions of SPEC.md §2 ("Forecast error"), lag L = target month - run
month in months:

* WAPE over a set = sum |forecast - actual| / sum actual, for the consensus
  (statistical + overrides), the statistical forecast and the seasonal naive
  benchmark;
* ``fva_consensus_vs_statistical = wape_statistical - wape_consensus``: what
  the overrides added; positive means they made the plan better;
* ``fva_consensus_vs_naive = wape_naive - wape_consensus``: FVA as SPEC.md
  defines it, for the consensus.

Roll-ups to family and portfolio sum the absolute errors and the actuals
first, then divide (SPEC: never average ratios). Ratios are NaN where the
actuals of the set sum to zero, as in :mod:`models.forecasting.accuracy`.
"""

from __future__ import annotations

import pandas as pd

from models.months import PORTFOLIO, month_index

POINT_COLUMNS = [
    "product_id",
    "target_month",
    "lag",
    "run_month",
    "family",
    "statistical_qty",
    "consensus_qty",
    "naive_qty",
    "actual_qty",
    "statistical_abs_error",
    "consensus_abs_error",
    "naive_abs_error",
]
FVA_COLUMNS = [
    "level",
    "member_id",
    "lag",
    "points",
    "actual_qty",
    "statistical_qty",
    "consensus_qty",
    "naive_qty",
    "statistical_abs_error",
    "consensus_abs_error",
    "naive_abs_error",
    "wape_statistical",
    "wape_consensus",
    "wape_naive",
    "fva_consensus_vs_statistical",
    "fva_consensus_vs_naive",
]
_METHODS = ("statistical", "consensus", "naive")


def score_plans(
    plans: pd.DataFrame,
    actuals: pd.DataFrame,
    as_of_month: pd.Timestamp | str,
    families: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per product, target month and lag of the kept plans whose actuals are known.

    Parameters
    ----------
    plans : DataFrame
        Snapshots of ``fct_demand_plan``: run_month, product_id, target_month,
        statistical_qty, consensus_qty, naive_qty. A missing naive_qty
        (plans kept before the benchmark was carried) falls back to the
        statistical forecast, so that point adds nothing to either FVA.
    actuals : DataFrame
        product_id, month, quantity (e.g. ``fct_demand_history``, summed over
        regions); a product-month without a row counts as 0 demand.
    as_of_month : date-like
        The run month: target months after it have no actuals yet.
    families : DataFrame, optional
        product_id, family (``dim_products``), carried onto each row.

    Returns
    -------
    DataFrame
        Columns :data:`POINT_COLUMNS`, sorted by product, target month and lag.
    """
    as_of = pd.Timestamp(as_of_month).to_period("M").to_timestamp()
    rows = plans.assign(
        run_month=pd.to_datetime(plans["run_month"]),
        target_month=pd.to_datetime(plans["target_month"]),
    )
    rows = rows[rows["target_month"] <= as_of]
    rows["naive_qty"] = rows.get("naive_qty", rows["statistical_qty"]).fillna(
        rows["statistical_qty"]
    )
    actual = (
        actuals.assign(month=pd.to_datetime(actuals["month"]))
        .groupby(["product_id", "month"], as_index=False)["quantity"]
        .sum()
        .rename(columns={"month": "target_month", "quantity": "actual_qty"})
    )
    scored = rows.merge(actual, on=["product_id", "target_month"], how="left")
    scored["actual_qty"] = scored["actual_qty"].fillna(0.0)
    scored["lag"] = month_index(scored["target_month"]) - month_index(scored["run_month"])
    for method in _METHODS:
        scored[f"{method}_abs_error"] = (scored[f"{method}_qty"] - scored["actual_qty"]).abs()
    if families is not None:
        scored = scored.merge(families[["product_id", "family"]], on="product_id", how="left")
    else:
        scored["family"] = None
    scored = scored.sort_values(["product_id", "target_month", "lag"], kind="stable")
    return scored[POINT_COLUMNS].reset_index(drop=True)


def override_fva(accuracy: pd.DataFrame) -> pd.DataFrame:
    """WAPE of consensus, statistical and naive, and the overrides' FVA, by level and lag.

    Parameters
    ----------
    accuracy : DataFrame
        Rows of :func:`score_plans`.

    Returns
    -------
    DataFrame
        Columns :data:`FVA_COLUMNS`; level is ``'product'``, ``'family'``
        (member ``'(none)'`` for a product without one) or ``'portfolio'``
        (member ``'ALL'``); sorted by level, member and lag.

    Examples
    --------
    One product, one month: statistical 80, the planners raised it to 95,
    naive said 70, and 100 were sold.

    >>> plans = pd.DataFrame({"run_month": ["2025-01-01"], "product_id": ["P1"],
    ...     "target_month": ["2025-02-01"], "statistical_qty": [80.0],
    ...     "consensus_qty": [95.0], "naive_qty": [70.0]})
    >>> actuals = pd.DataFrame({"product_id": ["P1"], "month": ["2025-02-01"],
    ...     "quantity": [100.0]})
    >>> fva = override_fva(score_plans(plans, actuals, "2025-02-01"))
    >>> portfolio = fva[fva["level"] == "portfolio"].iloc[0]
    >>> portfolio[["lag", "wape_consensus", "wape_statistical", "wape_naive"]].to_dict()
    {'lag': 1, 'wape_consensus': 0.05, 'wape_statistical': 0.2, 'wape_naive': 0.3}
    >>> gains = ["fva_consensus_vs_statistical", "fva_consensus_vs_naive"]
    >>> portfolio[gains].astype(float).round(2).to_dict()
    {'fva_consensus_vs_statistical': 0.15, 'fva_consensus_vs_naive': 0.25}
    """
    levels = {
        "product": accuracy.assign(member_id=accuracy["product_id"]),
        "family": accuracy.assign(member_id=accuracy["family"].fillna("(none)")),
        "portfolio": accuracy.assign(member_id=PORTFOLIO),
    }
    sums = ["actual_qty", *(f"{m}_qty" for m in _METHODS), *(f"{m}_abs_error" for m in _METHODS)]
    parts = []
    for level, frame in levels.items():
        grouped = frame.groupby(["member_id", "lag"], as_index=False).agg(
            points=("actual_qty", "size"), **{column: (column, "sum") for column in sums}
        )
        parts.append(grouped.assign(level=level))
    summary = pd.concat(parts, ignore_index=True)
    actual = summary["actual_qty"].where(summary["actual_qty"] != 0)
    for method in _METHODS:
        summary[f"wape_{method}"] = summary[f"{method}_abs_error"] / actual
    summary["fva_consensus_vs_statistical"] = (
        summary["wape_statistical"] - summary["wape_consensus"]
    )
    summary["fva_consensus_vs_naive"] = summary["wape_naive"] - summary["wape_consensus"]
    summary = summary.sort_values(["level", "member_id", "lag"], kind="stable")
    return summary[FVA_COLUMNS].reset_index(drop=True)
