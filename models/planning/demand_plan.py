"""The consensus demand plan: the statistical forecast plus the planners' overrides.

The plan is at product level, so it starts from the product totals of the
reconciled forecast of one run (region ``'ALL'``): ``statistical_qty`` is
that forecast, and the overrides of ``planning/overrides.csv`` (read and
checked by :mod:`models.planning.overrides`) add ``override_qty`` to it.

How an override becomes quantities (value in percent for ``pct``):

* product, pct: ``override_qty = statistical_qty * value / 100``;
* product, units: ``override_qty = value``;
* family, pct: each product of the family that has a forecast row that
  month gets ``statistical_qty * value / 100``, i.e. the family total moves
  by value % and its mix stays the statistical one;
* family, units: value is spread over the family's products that have a
  forecast row that month, in proportion to their ``statistical_qty``; when
  the family forecasts 0 that month there is no mix to follow, so it is
  spread equally;
* several overrides of the same product and month add up;
* ``consensus_qty = max(0, statistical_qty + override_qty)``. Demand cannot
  be negative; when the sum is below zero, ``override_qty`` becomes
  ``-statistical_qty``, so ``consensus_qty = statistical_qty + override_qty``
  holds exactly on every row (the balance the plan's quality suite checks).

Every override line is traced in the ``applied`` frame (published as
``fct_demand_plan_overrides``): one row per line and product it touched,
with that line's contribution. Where a product-month is clipped at zero, the
contributions of its lines are scaled by the same factor, so they still sum
to the plan's ``override_qty`` and each line keeps its share of the cut.

The plan has no rows of its own: one row per product and target month of the
forecast. An override of a product-month without a forecast row (a product
launched after the run month, or without orders yet) is not applied but
reported in ``unapplied``, so the planner learns why it changed nothing.
The statistical interval (``lower_80``, ``upper_80``) and the seasonal naive
benchmark (``naive_qty``) are carried unchanged: safety stock is sized on the
statistical uncertainty, and forecast value added needs the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.planning.overrides import OVERRIDE_COLUMNS, SOURCE, OverrideRejection

TOTAL_REGION = "ALL"
PLAN_COLUMNS = [
    "run_month",
    "product_id",
    "target_month",
    "statistical_qty",
    "override_qty",
    "consensus_qty",
    "lower_80",
    "upper_80",
    "naive_qty",
]
CARRIED_COLUMNS = ["lower_80", "upper_80", "naive_qty"]
APPLIED_COLUMNS = [
    "run_month",
    "line",
    "product_id",
    "family",
    "target_month",
    "adjustment_type",
    "value",
    "statistical_qty",
    "override_qty",
    "reason",
    "submitted_by",
]
_KEY = ["product_id", "_month"]


@dataclass(frozen=True)
class DemandPlan:
    """The consensus plan of one run and the trace of the overrides in it.

    Attributes
    ----------
    plan : DataFrame
        Rows of ``fct_demand_plan``, columns :data:`PLAN_COLUMNS`.
    applied : DataFrame
        Rows of ``fct_demand_plan_overrides``, columns :data:`APPLIED_COLUMNS`.
    unapplied : list of OverrideRejection
        Overrides that matched no forecast row, one per override line.
    """

    plan: pd.DataFrame
    applied: pd.DataFrame
    unapplied: list[OverrideRejection] = field(default_factory=list)


def _filled(values: pd.Series) -> pd.Series:
    """Which id fields hold an id (frames read back from storage carry NaN for None)."""
    return values.map(lambda value: isinstance(value, str) and value != "")


def _statistical_rows(forecast: pd.DataFrame) -> pd.DataFrame:
    totals = forecast[forecast["region"] == TOTAL_REGION]
    rows = totals[["run_month", "product_id", "target_month", "forecast_qty"]].rename(
        columns={"forecast_qty": "statistical_qty"}
    )
    for column in CARRIED_COLUMNS:
        rows[column] = totals.get(column, np.nan)
    rows["_month"] = pd.to_datetime(rows["target_month"])
    return rows.reset_index(drop=True)


def _no_overrides_applied() -> pd.DataFrame:
    """An empty trace that still has the table's columns and types."""
    text = pd.Series(dtype=object)
    number = pd.Series(dtype="float64")
    return pd.DataFrame(
        {
            "run_month": text,
            "line": pd.Series(dtype="int64"),
            "product_id": text,
            "family": text,
            "target_month": text,
            "adjustment_type": text,
            "value": number,
            "statistical_qty": number,
            "override_qty": number,
            "reason": text,
            "submitted_by": text,
        }
    )


def _unapplied(lines: pd.DataFrame, source: str) -> list[OverrideRejection]:
    rejections = []
    for row in lines.itertuples(index=False):
        month = f"{pd.Timestamp(row.month):%Y-%m}"
        if isinstance(row.product_id, str) and row.product_id:
            column, value = "product_id", row.product_id
            reason = f"has no statistical forecast for {month} in this run"
        else:
            column, value = "family", row.family
            reason = f"has no product with a statistical forecast for {month} in this run"
        rejections.append(
            OverrideRejection(
                int(row.line),
                column,
                value,
                f"{reason}, so the override was not applied "
                "(a product launched after the run month or without orders yet has none)",
                source,
            )
        )
    return rejections


def _contributions(
    totals: pd.DataFrame, overrides: pd.DataFrame, products: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per override line and product-month it touches, with its raw quantity."""
    lines = overrides[OVERRIDE_COLUMNS].assign(_month=pd.to_datetime(overrides["month"]))
    lines = lines.drop(columns=["month"])
    by_product = _filled(lines["product_id"])
    on_product = lines[by_product].drop(columns=["family"])
    touched = [on_product.merge(totals, on=_KEY).assign(family=None)]
    on_family = lines[~by_product].drop(columns=["product_id"])
    if not on_family.empty:
        if products is None:
            raise ValueError(
                "family overrides need products (product_id, family) to find the family's products"
            )
        members = totals.merge(products[["product_id", "family"]], on="product_id")
        touched.append(on_family.merge(members, on=["family", "_month"]))
    rows = pd.concat(touched, ignore_index=True)

    per_line = rows.groupby("line")["statistical_qty"]
    line_total = per_line.transform("sum")
    # a family forecasting 0 has no mix to follow: spread its units equally
    share = (rows["statistical_qty"] / line_total).where(
        line_total != 0, 1 / per_line.transform("size")
    )
    pct = rows["adjustment_type"] == "pct"
    rows["override_qty"] = np.where(
        pct, rows["statistical_qty"] * rows["value"] / 100, rows["value"] * share
    )
    return rows


def apply_overrides(
    forecast: pd.DataFrame,
    overrides: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    source: str = SOURCE,
) -> DemandPlan:
    """The consensus plan of one run, with every override traced (rules in the module docstring).

    Parameters
    ----------
    forecast : DataFrame
        Rows of ``fct_demand_forecast`` of one run: run_month, product_id,
        region, target_month, forecast_qty and, when present, lower_80,
        upper_80, naive_qty. Only region ``'ALL'`` rows (product totals) are
        planned.
    overrides : DataFrame, optional
        Accepted overrides, as returned by
        :func:`~models.planning.overrides.parse_overrides` (then
        :func:`~models.planning.overrides.validate_against_plan`); ``line``
        identifies a row. None or empty: the consensus is the forecast.
    products : DataFrame, optional
        product_id, family (``dim_products``); needed only for family overrides.
    source : str
        The overrides file name used in the messages of ``unapplied``.

    Returns
    -------
    DemandPlan
        ``plan`` (columns :data:`PLAN_COLUMNS`, one row per product and
        target month of the forecast, sorted by them), ``applied`` (columns
        :data:`APPLIED_COLUMNS`, sorted by line, product and month) and
        ``unapplied``.

    Raises
    ------
    ValueError
        When there are family overrides but no products to resolve them.

    Examples
    --------
    A family of two products forecasting 30 and 10 gets +20 units (spread
    15 and 5, as the forecast), and P1 gets another -50%:

    >>> forecast = pd.DataFrame({"run_month": "2025-06-01", "product_id": ["P1", "P2"],
    ...     "region": "ALL", "target_month": "2025-07-01", "forecast_qty": [30.0, 10.0]})
    >>> products = pd.DataFrame({"product_id": ["P1", "P2"], "family": "Pumps"})
    >>> overrides = pd.DataFrame({"line": [2, 3], "product_id": [None, "P1"],
    ...     "family": ["Pumps", None], "month": pd.to_datetime(["2025-07-01"] * 2).date,
    ...     "adjustment_type": ["units", "pct"], "value": [20.0, -50.0],
    ...     "reason": ["Tender", "Recall"], "submitted_by": "Ann"})
    >>> result = apply_overrides(forecast, overrides, products)
    >>> result.plan[["product_id", "statistical_qty", "override_qty", "consensus_qty"]]
      product_id  statistical_qty  override_qty  consensus_qty
    0         P1             30.0          0.0           30.0
    1         P2             10.0          5.0           15.0
    >>> result.applied[["line", "product_id", "override_qty"]]
       line product_id  override_qty
    0     2         P1          15.0
    1     2         P2           5.0
    2     3         P1         -15.0
    """
    totals = _statistical_rows(forecast)
    if overrides is None or overrides.empty:
        plan = totals.assign(override_qty=0.0, consensus_qty=totals["statistical_qty"])
        plan = plan.sort_values(_KEY, kind="stable")[PLAN_COLUMNS].reset_index(drop=True)
        return DemandPlan(plan, _no_overrides_applied())

    rows = _contributions(totals, overrides, products)
    raw = rows.groupby(_KEY, as_index=False)["override_qty"].sum()
    plan = totals.merge(raw, on=_KEY, how="left")
    requested = plan["override_qty"].fillna(0.0)
    total = plan["statistical_qty"] + requested
    clipped = total < 0
    plan["consensus_qty"] = total.clip(lower=0)
    plan["override_qty"] = requested.mask(clipped, -plan["statistical_qty"])

    # a clipped product-month is cut back to -statistical_qty: every line keeps its share of it
    scale = plan[_KEY].assign(_scale=(plan["override_qty"] / requested).where(clipped, 1.0))
    rows = rows.merge(scale, on=_KEY)
    rows["override_qty"] = rows["override_qty"] * rows["_scale"]

    plan = plan.sort_values(_KEY, kind="stable")[PLAN_COLUMNS].reset_index(drop=True)
    applied = rows.sort_values(["line", *_KEY], kind="stable")[APPLIED_COLUMNS]
    missed = overrides[~overrides["line"].isin(rows["line"])]
    return DemandPlan(plan, applied.reset_index(drop=True), _unapplied(missed, source))


def consensus_demand_plan(
    forecast: pd.DataFrame,
    overrides: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows of ``fct_demand_plan`` only: :func:`apply_overrides` without the trace.

    Examples
    --------
    >>> f = pd.DataFrame({"run_month": ["2025-06-01"] * 2, "product_id": ["P1", "P1"],
    ...                   "region": ["ALL", "EMEA"], "target_month": ["2025-07-01"] * 2,
    ...                   "forecast_qty": [10.0, 4.0]})
    >>> plan = consensus_demand_plan(f)
    >>> plan[["product_id", "statistical_qty", "consensus_qty"]].to_dict("records")
    [{'product_id': 'P1', 'statistical_qty': 10.0, 'consensus_qty': 10.0}]
    """
    return apply_overrides(forecast, overrides, products).plan
