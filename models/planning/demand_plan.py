"""The consensus demand plan: the statistical forecast plus human overrides.

The plan is at product level, so it starts from the product totals of the
reconciled forecast (region 'ALL'). Overrides from planning/overrides.csv are
not applied yet, so `override_qty` is 0 and the consensus equals the
statistical forecast.
"""

from __future__ import annotations

import pandas as pd

PLAN_COLUMNS = [
    "run_month",
    "product_id",
    "target_month",
    "statistical_qty",
    "override_qty",
    "consensus_qty",
]


def consensus_demand_plan(forecast: pd.DataFrame) -> pd.DataFrame:
    """Rows of `fct_demand_plan` from the rows of `fct_demand_forecast` of one run.

    Parameters
    ----------
    forecast : DataFrame
        Columns run_month, product_id, region, target_month, forecast_qty.

    Examples
    --------
    >>> f = pd.DataFrame({"run_month": ["2025-06-01"] * 2, "product_id": ["P1", "P1"],
    ...                   "region": ["ALL", "EMEA"], "target_month": ["2025-07-01"] * 2,
    ...                   "forecast_qty": [10.0, 4.0]})
    >>> plan = consensus_demand_plan(f)
    >>> plan[["product_id", "statistical_qty", "consensus_qty"]].to_dict("records")
    [{'product_id': 'P1', 'statistical_qty': 10.0, 'consensus_qty': 10.0}]
    """
    totals = forecast[forecast["region"] == "ALL"]
    plan = totals.rename(columns={"forecast_qty": "statistical_qty"}).assign(override_qty=0.0)
    plan["consensus_qty"] = plan["statistical_qty"] + plan["override_qty"]
    return plan[PLAN_COLUMNS].sort_values(["product_id", "target_month"]).reset_index(drop=True)
