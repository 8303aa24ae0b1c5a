"""Gaps of a supply plan and what to do about them: exceptions and the S&OP summary.

A supply plan (``models.planning.supply_plan``) says what will happen; the
S&OP meeting needs to know what to change. :func:`exceptions` turns the plan
into one row per product, month and action, each with a sentence giving the
numbers behind it, and :func:`sop_summary` rolls the plan up to family and
month (``fct_sop_summary``) with the most valuable action as its
recommendation.

Definitions (SPEC.md is silent on these; they are ours)
--------------------------------------------------------
Forward demand of a product in month t
    The sum of its demand in the ``cover_months`` months after t (t+1 to
    t+cover_months). Months beyond the plan's horizon repeat the demand of
    the horizon's last month: the plan stops, demand does not. The months
    are those of the plan, which are consecutive.
Excess
    ``excess_qty = max(0, closing_qty - safety_stock_qty - forward demand)``:
    stock above what safety stock and the next months' demand need. Values
    below 1e-6 (solver noise) count as 0.
Days of cover
    ``days_of_cover = closing_qty / (forward demand / days)``, where days are
    the calendar days of those same months (31 + 30 + 31 for Aug, Sep and
    Oct...); NaN when the forward demand is 0. A family's days of cover is
    computed the same way from the family's sums of closing stock and
    forward demand, never as an average of product ratios; a family's
    excess is the sum of its products' excess, because one product's excess
    does not cover another's need.

Worked example: closing 100, safety stock 10, demand 30, 30 and 30 in the
next three months of 31, 30 and 31 days: excess = max(0, 100 - 10 - 90) = 0
and days of cover = 100 / (90 / 92) = 102.22.

Actions
-------
Each is computed against the plan as it is (first-order: the plan is not
re-solved after an action), and shortages are treated in month order, so
that open supply and spare hours go to the earliest need first (and, within
a month, to the most revenue at risk).

``expedite``
    A shortage in month t of a product with open supply due after t: pull
    the earliest such order forward to t. Each order is expedited once, to
    one month; a shortage larger than one order takes the next. The units
    of an expedited order that its month does not need stay in stock, so
    they cover later shortages before the order's original due month first
    (a row of its own, same reference, saying so). quantity = units
    covered; reference = supply_id.
``move_capacity`` / ``add_capacity``
    Shortage left after expedites, of a product made on a resource: the
    hours it takes are moved from the later month of that resource with the
    most spare hours (utilization below 100%), as far as they go, and the
    rest are added. quantity = hours; reference = resource_id.
``order_supply``
    Shortage left after expedites of a purchased product (no resource, or
    hours_per_unit 0 when ``products`` is given): capacity cannot help, only
    a new order can. Ours, for a shortage not to go without an action.
    quantity = units.
``build_ahead``
    Informational: the plan produces in t and holds stock above safety stock
    because the product's resource is full in a later month. quantity =
    units held beyond t (at most the month's production).
``cut_plan``
    Excess stock with more than ``excess_cover_days`` days of cover (or any
    excess with no forward demand at all). quantity = excess units.
``review``
    With a demand plan: the consensus differs from the statistical forecast
    by more than ``review_threshold`` of the statistical forecast (any
    consensus above a statistical forecast of 0). quantity = consensus -
    statistical. A large override is flagged in both directions.
``raise_plan``
    With the plan's recent accuracy (``plan_bias``: the consensus plans of
    past runs against actuals at lag 1): demand ran above the plan by more
    than ``raise_threshold`` (bias = sum(plan - actual) / sum(actual) below
    -raise_threshold, over at least ``min_bias_points`` scored months). One
    row at the first plan month; quantity = the forward demand of that month
    scaled to the actuals, ``forward x -bias / (1 + bias)``. A plan that
    keeps falling short of demand is the plan to change, not the supply.

``priority`` is the money at stake, in revenue: units covered x unit_price
for the shortage actions and ``raise_plan``, excess x unit_price for ``cut_plan``,
|consensus - statistical| x unit_price for ``review``, and 0 for the
informational ``build_ahead``. Actions are sorted by it, highest first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

TOLERANCE = 1e-6

EXCEPTION_COLUMNS = [
    "run_month",
    "product_id",
    "family",
    "target_month",
    "action",
    "detail",
    "quantity",
    "shortage_qty",
    "excess_qty",
    "days_of_cover",
    "revenue_at_risk",
    "reference",
    "priority",
]
ACTIONS = (
    "expedite",
    "move_capacity",
    "add_capacity",
    "order_supply",
    "raise_plan",
    "cut_plan",
    "review",
    "build_ahead",
)
SUMMARY_COLUMNS = [
    "run_month",
    "family",
    "target_month",
    "demand_qty",
    "supply_qty",
    "fulfilled_qty",
    "shortage_qty",
    "excess_qty",
    "closing_qty",
    "safety_stock_qty",
    "days_of_cover",
    "revenue_at_risk",
    "fill_rate",
    "recommendation",
]
# Actions about stock held from one month to the next: a run of months is its largest
# month, not the sum (the same excess units sit in stock in every month of the run).
STOCK_ACTIONS = ("cut_plan", "build_ahead")
FOLDED_COLUMNS = [
    "run_month",
    "product_id",
    "family",
    "first_month",
    "last_month",
    "months",
    "action",
    "detail",
    "quantity",
    "shortage_qty",
    "excess_qty",
    "days_of_cover",
    "revenue_at_risk",
    "reference",
    "priority",
]
NO_ACTION = "No action: demand is covered"
NO_DEMAND = "No action: no demand"

_FLOAT_COLUMNS = [
    "quantity",
    "shortage_qty",
    "excess_qty",
    "days_of_cover",
    "revenue_at_risk",
    "priority",
]


def _months(values: pd.Series) -> pd.Series:
    """Months as Timestamps, whether the frame holds dates, Timestamps or ISO text."""
    return pd.to_datetime(pd.Series(values)).dt.to_period("M").dt.to_timestamp()


def _ym(month: pd.Timestamp) -> str:
    return f"{month:%Y-%m}"


def _qty(value: float) -> str:
    """A quantity for a sentence: thousands separated, at most two decimals, none when whole."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _used(utilization: float) -> str:
    return "no hours available" if math.isnan(utilization) else f"{utilization:.0%} used"


def _filled(value: object) -> bool:
    """Whether an id field holds an id: frames read back from storage carry NaN for None."""
    return isinstance(value, str) and value != ""


def _forward(frame: pd.DataFrame, key: str, cover_months: int) -> pd.DataFrame:
    """Forward demand and its calendar days for every (key, month) of `frame`.

    `frame` has columns `key`, _month (Timestamp) and demand_qty. Months the
    frame lacks for a key count as 0 demand.
    """
    if frame.empty:
        return pd.DataFrame(
            {
                key: pd.Series(dtype=object),
                "_month": pd.Series(dtype="datetime64[ns]"),
                "forward_qty": pd.Series(dtype=float),
                "forward_days": pd.Series(dtype="int64"),
            }
        )
    grid = frame.pivot_table(
        index=key, columns="_month", values="demand_qty", aggfunc="sum", fill_value=0.0
    )
    months = sorted(frame["_month"].unique())
    grid = grid.reindex(columns=months, fill_value=0.0)
    demand = grid.to_numpy(dtype=float)
    repeated = np.repeat(demand[:, -1:], cover_months, axis=1)
    extended = np.concatenate([demand, repeated], axis=1)[:, 1:]
    ahead = np.lib.stride_tricks.sliding_window_view(extended, cover_months, axis=1)
    forward = ahead[:, : len(months)].sum(axis=2)
    days = [
        sum(
            (pd.Timestamp(m) + pd.DateOffset(months=k)).days_in_month
            for k in range(1, 1 + cover_months)
        )
        for m in months
    ]
    rows = len(grid.index)
    return pd.DataFrame(
        {
            key: np.repeat(grid.index.to_numpy(), len(months)),
            "_month": np.tile(np.asarray(months), rows),
            "forward_qty": forward.ravel(),
            "forward_days": np.tile(days, rows),
        }
    )


def _days_of_cover(closing: pd.Series, forward: pd.Series, days: pd.Series) -> pd.Series:
    rate = (forward / days).where(forward > 0)
    return closing / rate


def product_cover(plan: pd.DataFrame, cover_months: int = 3) -> pd.DataFrame:
    """The plan with forward_qty, forward_days, excess_qty and days_of_cover per product-month.

    See the module docstring for the definitions. One run and one scenario
    per call.

    Parameters
    ----------
    plan : DataFrame
        Supply plan rows: product_id, target_month, demand_qty, closing_qty,
        safety_stock_qty.
    cover_months : int
        Months of forward demand, at least 1.

    Examples
    --------
    >>> plan = pd.DataFrame({"product_id": ["P1"] * 4,
    ...     "target_month": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01",
    ...                                     "2026-10-01"]),
    ...     "demand_qty": [30.0] * 4, "closing_qty": [100.0, 70.0, 40.0, 10.0],
    ...     "safety_stock_qty": [10.0] * 4})
    >>> cover = product_cover(plan)
    >>> cover[["excess_qty", "forward_qty", "forward_days"]].iloc[0].tolist()
    [0.0, 90.0, 92.0]
    >>> round(float(cover["days_of_cover"].iloc[0]), 2)
    102.22
    """
    if cover_months < 1:
        raise ValueError(f"cover_months must be at least 1, got {cover_months}")
    frame = plan.copy()
    frame["_month"] = _months(frame["target_month"]).to_numpy()
    forward = _forward(frame, "product_id", cover_months)
    frame = frame.merge(forward, on=["product_id", "_month"], how="left", validate="many_to_one")
    excess = frame["closing_qty"] - frame["safety_stock_qty"] - frame["forward_qty"]
    frame["excess_qty"] = excess.where(excess > TOLERANCE, 0.0)
    frame["days_of_cover"] = _days_of_cover(
        frame["closing_qty"], frame["forward_qty"], frame["forward_days"]
    )
    return frame


def _recommendation(
    actions: pd.DataFrame, demand: float, shortage: float, materiality: Materiality | None
) -> str:
    if actions.empty:
        if shortage > TOLERANCE and materiality is not None:
            # exceptions() drops only immaterial actions, and every shortage has one.
            return (
                f"No action: {_qty(shortage)} units short, below the materiality "
                f"thresholds ({materiality.describe()})"
            )
        if shortage > TOLERANCE:
            return f"{_qty(shortage)} units short: no action found in open supply or capacity"
        return NO_ACTION if demand > TOLERANCE else NO_DEMAND
    top = actions.sort_values("priority", ascending=False, kind="stable").iloc[0]["detail"]
    return top if len(actions) == 1 else f"{len(actions)} actions; top: {top}"


def sop_summary(
    plan: pd.DataFrame,
    exceptions: pd.DataFrame,
    cover_months: int = 3,
    materiality: Materiality | None = None,
) -> pd.DataFrame:
    """The S&OP summary by family and month (``fct_sop_summary`` without `scenario`).

    Parameters
    ----------
    plan : DataFrame
        Supply plan rows of one run and one scenario (``PLAN_COLUMNS`` of
        ``models.planning.supply_plan``).
    exceptions : DataFrame
        The output of :func:`exceptions` for the same plan.
    cover_months : int
        Months of forward demand for excess and days of cover.
    materiality : Materiality, optional
        The thresholds `exceptions` was given: a shortage without an action
        then says its actions were below them.

    Returns
    -------
    DataFrame
        Columns ``SUMMARY_COLUMNS``, one row per family and target_month:
        sums of the products' demand_qty, supply_qty (receipts_qty +
        production_qty), fulfilled_qty, shortage_qty, excess_qty,
        closing_qty, safety_stock_qty and revenue_at_risk; days_of_cover of
        the family's sums; fill_rate = fulfilled / demand (NaN without
        demand); recommendation = the detail of the family-month's action
        with the highest priority, prefixed "N actions; top: " when there
        are several, else "No action: demand is covered" (or "No action: no
        demand", or with `materiality` "No action: N units short, below the
        materiality thresholds (...)"). The caller adds `scenario`.
    """
    products = product_cover(plan, cover_months)
    products["supply_qty"] = products["receipts_qty"] + products["production_qty"]
    sums = [
        "demand_qty",
        "supply_qty",
        "fulfilled_qty",
        "shortage_qty",
        "excess_qty",
        "closing_qty",
        "safety_stock_qty",
        "revenue_at_risk",
    ]
    summary = products.groupby(["family", "_month"], sort=True).agg(
        run_month=("run_month", "first"),
        target_month=("target_month", "first"),
        **{column: (column, "sum") for column in sums},
    )
    summary = summary.reset_index()
    family_forward = _forward(summary, "family", cover_months)
    summary = summary.merge(family_forward, on=["family", "_month"], how="left")
    summary["days_of_cover"] = _days_of_cover(
        summary["closing_qty"], summary["forward_qty"], summary["forward_days"]
    )
    summary["fill_rate"] = summary["fulfilled_qty"] / summary["demand_qty"].where(
        summary["demand_qty"] > 0
    )

    actions = exceptions.assign(_month=_months(exceptions["target_month"]).to_numpy())
    by_cell = dict(iter(actions.groupby(["family", "_month"])))
    empty = actions.iloc[0:0]
    summary["recommendation"] = [
        _recommendation(by_cell.get((family, month), empty), demand, shortage, materiality)
        for family, month, demand, shortage in zip(
            summary["family"],
            summary["_month"],
            summary["demand_qty"],
            summary["shortage_qty"],
            strict=True,
        )
    ]
    return summary[SUMMARY_COLUMNS]


@dataclass
class _Resource:
    """One resource-month of the utilization frame, with the spare hours still unclaimed."""

    utilization: float
    spare: float


def _resources(utilization: pd.DataFrame) -> dict[str, dict[pd.Timestamp, _Resource]]:
    table: dict[str, dict[pd.Timestamp, _Resource]] = {}
    months = _months(utilization["target_month"])
    for resource, month, available, planned, ratio in zip(
        utilization["resource_id"],
        months,
        utilization["available_hours"],
        utilization["planned_hours"],
        utilization["utilization"],
        strict=True,
    ):
        used = float(ratio) if available > 0 else math.nan
        spare = max(float(available) - float(planned), 0.0) if used < 1 - TOLERANCE else 0.0
        table.setdefault(resource, {})[month] = _Resource(used, spare)
    return table


def _hours_per_unit(plan: pd.DataFrame, products: pd.DataFrame | None) -> dict[str, float]:
    """Hours per unit by product: from `products` where it lists them, else from the plan.

    The plan's rate is production_hours / production_qty over the months it
    produces; it covers a scenario's launched product, which the product
    master does not list.
    """
    made = plan[plan["production_qty"] > TOLERANCE]
    totals = made.groupby("product_id")[["production_hours", "production_qty"]].sum()
    rates = (totals["production_hours"] / totals["production_qty"]).to_dict()
    if products is not None:
        listed = products.dropna(subset=["hours_per_unit"])
        rates.update(zip(listed["product_id"], listed["hours_per_unit"].astype(float), strict=True))
    return rates


class _Rows:
    """Collects exception rows, each carrying its product-month's context columns."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        cell: pd.Series,
        action: str,
        detail: str,
        quantity: float,
        reference: str | None,
        priority: float,
        units: float | None = None,
    ) -> None:
        """One action; `units` are the product units it concerns, |quantity| unless given
        (the capacity actions count hours)."""
        units = abs(quantity) if units is None else units
        self.rows.append(
            {
                "run_month": cell["run_month"],
                "product_id": cell["product_id"],
                "family": cell["family"],
                "target_month": cell["target_month"],
                "action": action,
                "detail": detail,
                "quantity": quantity,
                "shortage_qty": cell["shortage_qty"],
                "excess_qty": cell["excess_qty"],
                "days_of_cover": cell["days_of_cover"],
                "revenue_at_risk": cell["revenue_at_risk"],
                "reference": reference,
                "priority": priority,
                "_month": cell["_month"],
                "_units": units,
                "_value": units * cell["unit_price"],
            }
        )


def _covers(units: float, cell: pd.Series) -> str:
    return (
        f"{_qty(units)} of {_qty(cell['shortage_qty'])} units short "
        f"({_money(units * cell['unit_price'])} of {_money(cell['revenue_at_risk'])} "
        "revenue at risk)"
    )


@dataclass
class _Expedited:
    """An order already pulled forward, and its units that no shortage has claimed yet."""

    month: pd.Timestamp
    spare: float


def _expedite(short: pd.DataFrame, open_supply: pd.DataFrame, rows: _Rows) -> pd.Series:
    """Expedite rows for `short` (in month order); returns the shortage left per row."""
    supply = open_supply.assign(due=_months(open_supply["due_month"]).to_numpy())
    supply = supply[supply["quantity"] > TOLERANCE].sort_values(["due", "supply_id"])
    orders = {product: list(group.itertuples()) for product, group in supply.groupby("product_id")}
    expedited: dict[object, _Expedited] = {}
    left = short["shortage_qty"].astype(float).copy()
    for index, cell in short.iterrows():
        month = cell["_month"]
        # Orders due after this month; those already pulled forward first, since their
        # left-over units are in stock by now at no further cost.
        candidates = [o for o in orders.get(cell["product_id"], []) if o.due > month]
        candidates.sort(key=lambda o: o.supply_id not in expedited)
        for order in candidates:
            if left[index] <= TOLERANCE:
                break
            earlier = expedited.get(order.supply_id)
            if earlier is not None and earlier.spare <= TOLERANCE:
                continue
            if earlier is None:
                units = min(float(order.quantity), left[index])
                expedited[order.supply_id] = _Expedited(month, float(order.quantity) - units)
                detail = (
                    f"Expedite {order.supply_id} ({_qty(order.quantity)} units due "
                    f"{_ym(order.due)}) to {_ym(month)}: covers {_covers(units, cell)}"
                )
            else:
                units = min(earlier.spare, left[index])
                detail = (
                    f"{order.supply_id}, expedited to {_ym(earlier.month)}, has "
                    f"{_qty(earlier.spare)} units left over: covers {_covers(units, cell)}"
                )
                earlier.spare -= units
            left[index] -= units
            rows.add(cell, "expedite", detail, units, order.supply_id, units * cell["unit_price"])
    return left


def _capacity(
    short: pd.DataFrame,
    left: pd.Series,
    resources: dict[str, dict[pd.Timestamp, _Resource]],
    hours_per_unit: dict[str, float],
    rows: _Rows,
) -> None:
    """move_capacity, add_capacity or order_supply rows for the shortage left after expedites."""
    for index, cell in short.iterrows():
        units = left[index]
        if units <= TOLERANCE:
            continue
        month, resource = cell["_month"], cell["resource_id"]
        rate = hours_per_unit.get(cell["product_id"], math.nan)
        if not _filled(resource) or rate == 0:
            rows.add(
                cell,
                "order_supply",
                f"Order {_qty(units)} units to arrive by {_ym(month)} (bought in, not made): "
                f"covers {_covers(units, cell)}",
                units,
                None,
                units * cell["unit_price"],
            )
            continue
        calendar = resources.get(resource, {})
        here = calendar.get(month, _Resource(math.nan, 0.0)).utilization
        if math.isnan(rate):
            rows.add(
                cell,
                "add_capacity",
                f"Add capacity on {resource} by {_ym(month)} ({_used(here)}) to make "
                f"{_covers(units, cell)}; hours per unit unknown",
                math.nan,
                resource,
                units * cell["unit_price"],
                units=units,
            )
            continue
        hours = units * rate
        later = [(m, r) for m, r in calendar.items() if m > month and r.spare > TOLERANCE]
        if later:
            source, spare = max(later, key=lambda item: (item[1].spare, -item[0].value))
            moved = min(hours, spare.spare)
            spare.spare -= moved
            hours -= moved
            rows.add(
                cell,
                "move_capacity",
                f"Move {_qty(moved)} h of {resource} from {_ym(source)} "
                f"({_used(spare.utilization)}) to {_ym(month)} to make "
                f"{_covers(moved / rate, cell)}",
                moved,
                resource,
                moved / rate * cell["unit_price"],
                units=moved / rate,
            )
        if hours > TOLERANCE:
            rows.add(
                cell,
                "add_capacity",
                f"Add {_qty(hours)} h on {resource} by {_ym(month)} ({_used(here)}) to make "
                f"{_covers(hours / rate, cell)}",
                hours,
                resource,
                hours / rate * cell["unit_price"],
                units=hours / rate,
            )


def _build_ahead(
    cells: pd.DataFrame, resources: dict[str, dict[pd.Timestamp, _Resource]], rows: _Rows
) -> None:
    held = cells[
        (cells["production_qty"] > TOLERANCE)
        & (cells["closing_qty"] > cells["safety_stock_qty"] + TOLERANCE)
    ]
    for _, cell in held.iterrows():
        calendar = resources.get(cell["resource_id"], {})
        full = sorted(
            m
            for m, r in calendar.items()
            if m > cell["_month"] and not r.utilization < 1 - TOLERANCE
        )
        if not full:
            continue
        units = min(cell["production_qty"], cell["closing_qty"] - cell["safety_stock_qty"])
        rows.add(
            cell,
            "build_ahead",
            f"Build {_qty(units)} ahead in {_ym(cell['_month'])} for {_ym(full[0])}, "
            f"when {cell['resource_id']} is full",
            units,
            cell["resource_id"],
            0.0,
        )


def _cut_plan(cells: pd.DataFrame, cover_days: float, cover_months: int, rows: _Rows) -> None:
    no_demand = cells["forward_qty"] <= 0
    over = (cells["excess_qty"] > TOLERANCE) & (no_demand | (cells["days_of_cover"] > cover_days))
    for _, cell in cells[over].iterrows():
        why = (
            f"no demand in the next {cover_months} months"
            if cell["forward_qty"] <= 0
            else f"{cell['days_of_cover']:,.0f} days of cover"
        )
        rows.add(
            cell,
            "cut_plan",
            f"Cut or delay supply: {_qty(cell['excess_qty'])} units above safety stock and "
            f"{cover_months} months of demand ({why})",
            cell["excess_qty"],
            None,
            cell["excess_qty"] * cell["unit_price"],
        )


def _review(cells: pd.DataFrame, demand_plan: pd.DataFrame, threshold: float, rows: _Rows) -> None:
    plan = demand_plan[["product_id", "target_month", "statistical_qty", "consensus_qty"]]
    plan = plan.assign(_month=_months(plan["target_month"]).to_numpy()).drop(columns="target_month")
    both = cells.merge(plan, on=["product_id", "_month"], how="inner")
    for _, cell in both.iterrows():
        statistical, consensus = float(cell["statistical_qty"]), float(cell["consensus_qty"])
        gap = consensus - statistical
        if statistical > 0:
            if abs(gap) / statistical <= threshold:
                continue
            change = f" ({gap / statistical:+.0%})"
        elif consensus > TOLERANCE:
            change = ""
        else:
            continue
        rows.add(
            cell,
            "review",
            f"Consensus {_qty(consensus)} vs statistical {_qty(statistical)}{change}: "
            "confirm the override",
            gap,
            None,
            abs(gap) * cell["unit_price"],
        )


def _raise_plan(
    cells: pd.DataFrame,
    plan_bias: pd.DataFrame,
    threshold: float,
    min_points: int,
    cover_months: int,
    rows: _Rows,
) -> None:
    first = cells[cells["_month"] == cells["_month"].min()]
    biased = plan_bias[
        (plan_bias["points"] >= min_points)
        & (plan_bias["actual_qty"] > 0)
        & (plan_bias["bias"] < -threshold)
        & (plan_bias["bias"] > -1)  # a plan of 0 cannot be scaled
    ]
    for _, cell in first.merge(biased, on="product_id", how="inner").iterrows():
        units = cell["forward_qty"] * -cell["bias"] / (1 + cell["bias"])
        if units <= TOLERANCE:
            continue
        rows.add(
            cell,
            "raise_plan",
            f"Raise the plan: demand ran {-cell['bias'] / (1 + cell['bias']):.0%} above the "
            f"plan over the last {int(cell['points'])} months (lag 1); at that rate the next "
            f"{cover_months} months need {_qty(units)} more units",
            units,
            None,
            units * cell["unit_price"],
        )


@dataclass(frozen=True)
class Materiality:
    """The smallest action worth raising: at least `units` units AND `amount` money.

    An action's units are the product units it concerns (for the capacity
    actions, the units the hours make) and its money those units x
    unit_price, both over the run of consecutive months it is folded into:
    summed for a flow (units to expedite, order or make, a gap between
    consensus and forecast), the largest month for a stock held from month to
    month (``STOCK_ACTIONS``). Both thresholds must be met, so a cheap part
    needs many units and an expensive one a real amount.

    Examples
    --------
    >>> Materiality(units=10, amount=1000).describe()
    '10 units and 1,000'
    """

    units: float = 0.0
    amount: float = 0.0

    def __post_init__(self) -> None:
        if self.units < 0 or self.amount < 0:
            raise ValueError(f"materiality thresholds must not be negative, got {self}")

    def describe(self) -> str:
        """The thresholds for a sentence."""
        return f"{_qty(self.units)} units and {_money(self.amount)}"

    def keeps(self, rows: pd.DataFrame) -> pd.Series:
        """Which rows (with _units and _value) belong to a material run of months.

        A NaN (a product without a price) is never below a threshold: an
        action whose size is unknown is kept rather than hidden.
        """
        runs = _runs(rows)
        units = _run_total(rows, runs, rows["_units"])
        value = _run_total(rows, runs, rows["_value"])
        small = (units < self.units - TOLERANCE) | (value < self.amount - TOLERANCE)
        return ~small


def _runs(rows: pd.DataFrame) -> pd.Series:
    """The run of each row: the same product, action, reference and direction in
    consecutive months (a review up and a review down are two runs)."""
    if rows.empty:
        return pd.Series(dtype="int64", index=rows.index)
    month = _months(rows["target_month"])
    keys = pd.DataFrame(
        {
            "product_id": rows["product_id"].to_numpy(),
            "action": rows["action"].to_numpy(),
            "reference": rows["reference"].where(rows["reference"].map(_filled), "").to_numpy(),
            "down": (rows["quantity"] < 0).to_numpy(),
            "month": (month.dt.year * 12 + month.dt.month).to_numpy(),
        },
        index=rows.index,
    )
    key = ["product_id", "action", "reference", "down"]
    ordered = keys.sort_values([*key, "month"], kind="stable")
    same = ordered[key].eq(ordered[key].shift()).all(axis=1)
    starts = ~(same & (ordered["month"].diff() <= 1))
    return starts.cumsum().reindex(rows.index)


def _run_total(rows: pd.DataFrame, runs: pd.Series, values: pd.Series) -> pd.Series:
    """Per row, its run's total of `values`: the sum for a flow, the largest month for a stock."""
    grouped = values.groupby(runs)
    flows = grouped.transform(lambda v: v.sum(min_count=1))
    return flows.where(~rows["action"].isin(STOCK_ACTIONS), grouped.transform("max"))


def _range_detail(run: pd.DataFrame, peak: pd.Series, quantity: float) -> str:
    first, last = run["_month"].min(), run["_month"].max()
    if first == last:
        return str(peak["detail"])
    unit = "h" if peak["action"] in ("move_capacity", "add_capacity") else "units"
    size = ""
    if not math.isnan(quantity):
        size = (
            f", at most {_qty(quantity)} {unit}"
            if peak["action"] in STOCK_ACTIONS
            else f", {_qty(quantity)} {unit} in all"
        )
    return (
        f"{_ym(first)} to {_ym(last)} ({len(run)} months{size}); "
        f"largest in {_ym(peak['_month'])}: {peak['detail']}"
    )


def fold_exceptions(per_month: pd.DataFrame) -> pd.DataFrame:
    """One row per action that repeats in consecutive months: ``fct_sop_exceptions``.

    An action for one product in months 1, 2, 3 and 5 (the same action,
    reference and direction) is two rows, months 1-3 and month 5. The table
    and the meeting pack both show these rows, so the fold is written once,
    here.

    Parameters
    ----------
    per_month : DataFrame
        The output of :func:`exceptions` (``EXCEPTION_COLUMNS``), one run
        and one scenario.

    Returns
    -------
    DataFrame
        Columns ``FOLDED_COLUMNS``, sorted by priority (highest first), then
        first month, product and action. Of a run: first_month, last_month
        and months (its number of months); quantity and priority summed
        for a flow, the largest month for a stock (``STOCK_ACTIONS``: the
        same units are held from one month to the next); shortage_qty and
        revenue_at_risk summed, excess_qty the largest month; days_of_cover
        of the peak month (highest priority, then largest quantity, then
        earliest); detail the peak month's sentence, prefixed with the
        range when there are several months. The caller adds `scenario`.

    Examples
    --------
    >>> months = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-05-01"])
    >>> rows = pd.DataFrame({"run_month": pd.Timestamp("2025-12-01"), "product_id": "P1",
    ...     "family": "F", "target_month": months, "action": "order_supply",
    ...     "detail": ["Order 10", "Order 20", "Order 10", "Order 5"],
    ...     "quantity": [10.0, 20.0, 10.0, 5.0], "shortage_qty": [10.0, 20.0, 10.0, 5.0],
    ...     "excess_qty": 0.0, "days_of_cover": 0.0,
    ...     "revenue_at_risk": [100.0, 200.0, 100.0, 50.0], "reference": None,
    ...     "priority": [100.0, 200.0, 100.0, 50.0]})
    >>> folded = fold_exceptions(rows)
    >>> folded[["months", "quantity", "priority"]].to_numpy().tolist()
    [[3.0, 40.0, 400.0], [1.0, 5.0, 50.0]]
    >>> folded["detail"].iloc[0]
    '2026-01 to 2026-03 (3 months, 40 units in all); largest in 2026-02: Order 20'
    """
    frame = per_month.assign(_month=_months(per_month["target_month"]).to_numpy())
    frame["_run"] = _runs(frame)
    frame["_size"] = frame["quantity"].abs()
    records = []
    for _, run in frame.groupby("_run", sort=False):
        peak = run.sort_values(
            ["priority", "_size", "_month"], ascending=[False, False, True], kind="stable"
        ).iloc[0]
        stock = peak["action"] in STOCK_ACTIONS
        quantity = run["quantity"].max() if stock else run["quantity"].sum(min_count=1)
        first, last = run["_month"].min(), run["_month"].max()
        records.append(
            {
                "run_month": peak["run_month"],
                "product_id": peak["product_id"],
                "family": peak["family"],
                "first_month": run.loc[run["_month"] == first, "target_month"].iloc[0],
                "last_month": run.loc[run["_month"] == last, "target_month"].iloc[0],
                "months": len(run),
                "action": peak["action"],
                "detail": _range_detail(run, peak, quantity),
                "quantity": quantity,
                "shortage_qty": run["shortage_qty"].sum(),
                "excess_qty": run["excess_qty"].max(),
                "days_of_cover": peak["days_of_cover"],
                "revenue_at_risk": run["revenue_at_risk"].sum(),
                "reference": peak["reference"],
                "priority": run["priority"].max() if stock else run["priority"].sum(),
                "_order": ACTIONS.index(peak["action"]),
                "_first": first,
            }
        )
    folded = pd.DataFrame(records, columns=[*FOLDED_COLUMNS, "_order", "_first"])
    folded = folded.sort_values(
        ["priority", "_first", "product_id", "_order", "reference"],
        ascending=[False, True, True, True, True],
        kind="stable",
    )
    folded = folded[FOLDED_COLUMNS].reset_index(drop=True)
    return folded.astype({**dict.fromkeys(_FLOAT_COLUMNS, "float64"), "months": "int64"})


def exceptions(
    plan: pd.DataFrame,
    utilization: pd.DataFrame,
    open_supply: pd.DataFrame,
    demand_plan: pd.DataFrame | None = None,
    review_threshold: float = 0.25,
    excess_cover_days: float = 120,
    cover_months: int = 3,
    products: pd.DataFrame | None = None,
    plan_bias: pd.DataFrame | None = None,
    raise_threshold: float = 0.2,
    min_bias_points: int = 3,
    materiality: Materiality | None = None,
) -> pd.DataFrame:
    """The actions a supply plan calls for, most valuable first (see the module docstring).

    Parameters
    ----------
    plan : DataFrame
        Supply plan rows of one run and one scenario (``PLAN_COLUMNS`` of
        ``models.planning.supply_plan``).
    utilization : DataFrame
        The plan's capacity utilization (``UTILIZATION_COLUMNS``).
    open_supply : DataFrame
        supply_id, product_id, due_month, quantity: the confirmed orders the
        plan was made with.
    demand_plan : DataFrame, optional
        product_id, target_month, statistical_qty, consensus_qty; enables
        ``review``. Rows outside the plan are ignored.
    review_threshold : float
        Relative gap between consensus and statistical forecast above which
        an override is reviewed (0.25 = 25%).
    excess_cover_days : float
        Days of cover above which excess stock is worth cutting.
    cover_months : int
        Months of forward demand for excess and days of cover.
    products : DataFrame, optional
        product_id, hours_per_unit (the product master): hours of the
        shortage actions, and hours_per_unit 0 marks a purchased product.
        For a product it does not list (or lists without hours), hours per
        unit come from the plan's production (production_hours /
        production_qty); a product the plan never produces then gets an
        ``add_capacity`` without hours.
    plan_bias : DataFrame, optional
        product_id, bias, points, actual_qty: the consensus plan's bias at
        lag 1 over recent months (:func:`plan_bias`); enables ``raise_plan``.
    raise_threshold : float
        How far demand must have run above the plan (as -bias) to raise it.
    min_bias_points : int
        Scored months needed before a bias is trusted.
    materiality : Materiality, optional
        Keep only the actions that matter: an action is kept when the run of
        consecutive months it is folded into (:func:`fold_exceptions`) is
        material, every month of it then. None keeps every action.

    Returns
    -------
    DataFrame
        Columns ``EXCEPTION_COLUMNS``, one row per product, month, action and
        reference, sorted by priority (highest first), then month, product
        and action; no rows when nothing needs doing. shortage_qty,
        excess_qty, days_of_cover and revenue_at_risk are the product-month's
        own, for context.
    """
    cells = product_cover(plan, cover_months)
    resources = _resources(utilization)
    rows = _Rows()

    short = cells[cells["shortage_qty"] > TOLERANCE].sort_values(
        ["_month", "revenue_at_risk", "product_id"], ascending=[True, False, True]
    )
    left = _expedite(short, open_supply, rows)
    _capacity(short, left, resources, _hours_per_unit(plan, products), rows)
    _build_ahead(cells, resources, rows)
    _cut_plan(cells, excess_cover_days, cover_months, rows)
    if demand_plan is not None:
        _review(cells, demand_plan, review_threshold, rows)
    if plan_bias is not None:
        _raise_plan(cells, plan_bias, raise_threshold, min_bias_points, cover_months, rows)

    frame = pd.DataFrame(rows.rows, columns=[*EXCEPTION_COLUMNS, "_month", "_units", "_value"])
    if materiality is not None:
        frame = frame[materiality.keeps(frame)]
    frame["_order"] = frame["action"].map({a: i for i, a in enumerate(ACTIONS)})
    frame = frame.sort_values(
        ["priority", "_month", "product_id", "_order", "reference"],
        ascending=[False, True, True, True, True],
        kind="stable",
    )
    frame = frame[EXCEPTION_COLUMNS].reset_index(drop=True)
    return frame.astype(dict.fromkeys(_FLOAT_COLUMNS, "float64"))


def plan_bias(accuracy: pd.DataFrame, run_month: object, months: int = 6) -> pd.DataFrame:
    """The consensus plan's bias at lag 1 per product, over the `months` months to `run_month`.

    Parameters
    ----------
    accuracy : DataFrame
        Rows of ``fct_demand_plan_accuracy`` (product_id, target_month, lag,
        consensus_qty, actual_qty).

    Returns
    -------
    DataFrame
        product_id, bias = sum(consensus - actual) / sum(actual) (NaN where
        actuals sum to 0), points (scored months), actual_qty.

    Examples
    --------
    >>> rows = pd.DataFrame({"product_id": ["P1"] * 3, "lag": [1] * 3,
    ...                      "target_month": ["2025-04-01", "2025-05-01", "2025-06-01"],
    ...                      "consensus_qty": [8.0, 8.0, 8.0], "actual_qty": [10.0, 10.0, 12.0]})
    >>> plan_bias(rows, "2025-06-01").round(4).to_dict("records")
    [{'product_id': 'P1', 'bias': -0.25, 'points': 3, 'actual_qty': 32.0}]
    """
    end = pd.Timestamp(run_month).to_period("M").to_timestamp()
    start = end - pd.DateOffset(months=months - 1)
    month = _months(accuracy["target_month"])
    recent = accuracy[(accuracy["lag"] == 1) & (month >= start) & (month <= end)]
    grouped = recent.assign(error=recent["consensus_qty"] - recent["actual_qty"]).groupby(
        "product_id", as_index=False
    )
    out = grouped.agg(
        error=("error", "sum"), points=("error", "size"), actual_qty=("actual_qty", "sum")
    )
    out["bias"] = out["error"] / out["actual_qty"].where(out["actual_qty"] > 0)
    return out[["product_id", "bias", "points", "actual_qty"]]


__all__ = [
    "ACTIONS",
    "EXCEPTION_COLUMNS",
    "FOLDED_COLUMNS",
    "STOCK_ACTIONS",
    "SUMMARY_COLUMNS",
    "Materiality",
    "exceptions",
    "fold_exceptions",
    "plan_bias",
    "product_cover",
    "sop_summary",
]
