"""Gaps and recommendations: cover arithmetic, every action's row and sentence, the S&OP summary.

Plans are built by hand with the projection of SPEC.md section 2 (opening =
previous closing, fulfilled = min(demand, opening + receipts + production),
closing = opening + receipts + production - fulfilled), so every number
below can be checked on paper.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.planning.gaps import (
    EXCEPTION_COLUMNS,
    FOLDED_COLUMNS,
    SUMMARY_COLUMNS,
    Materiality,
    exceptions,
    fold_exceptions,
    plan_bias,
    product_cover,
    sop_summary,
)

RUN = date(2026, 3, 1)
MAR, APR, MAY, JUN = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)
JUL, AUG, SEP, OCT = date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
NO_SUPPLY = pd.DataFrame(columns=["supply_id", "product_id", "due_month", "quantity"])


def _product(
    product: str,
    months: list[date],
    demand: list[float],
    *,
    family: str = "Pumps",
    resource: str | None = "R1",
    opening: float = 0.0,
    receipts: list[float] | None = None,
    production: list[float] | None = None,
    safety_stock: float = 0.0,
    price: float = 100.0,
    hours_per_unit: float = 1.0,
) -> list[dict[str, object]]:
    """One product's plan rows, projected month by month as SPEC.md defines it."""
    receipts = receipts or [0.0] * len(months)
    production = production or [0.0] * len(months)
    rows = []
    for month, want, received, made in zip(months, demand, receipts, production, strict=True):
        fulfilled = min(want, opening + received + made)
        closing = opening + received + made - fulfilled
        rows.append(
            {
                "run_month": RUN,
                "product_id": product,
                "family": family,
                "resource_id": resource,
                "target_month": month,
                "opening_qty": opening,
                "receipts_qty": received,
                "production_qty": made,
                "demand_qty": want,
                "fulfilled_qty": fulfilled,
                "shortage_qty": want - fulfilled,
                "closing_qty": closing,
                "safety_stock_qty": safety_stock,
                "production_hours": made * hours_per_unit,
                "unit_price": price,
                "revenue_at_risk": (want - fulfilled) * price,
            }
        )
        opening = closing
    return rows


def _plan(*products: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([row for rows in products for row in rows])


def _utilization(resource: str, months: list[date], available: list[float], planned: list[float]):
    frame = pd.DataFrame(
        {
            "run_month": RUN,
            "resource_id": resource,
            "target_month": months,
            "available_hours": available,
            "planned_hours": planned,
        }
    )
    frame["utilization"] = (frame["planned_hours"] / frame["available_hours"]).where(
        frame["available_hours"] > 0
    )
    return frame


def _supply(*orders: tuple[str, str, date, float]) -> pd.DataFrame:
    return pd.DataFrame(orders, columns=["supply_id", "product_id", "due_month", "quantity"])


def _actions(frame: pd.DataFrame) -> list[tuple]:
    return list(
        frame[["product_id", "target_month", "action", "quantity", "reference", "priority"]]
        .astype({"quantity": float, "priority": float})
        .itertuples(index=False, name=None)
    )


# excess and days of cover


def test_cover_of_the_worked_example() -> None:
    # Closing 100, safety stock 10, the next three months 30 + 30 + 30 over 31 + 30 + 31 days.
    plan = _plan(_product("P1", [JUL, AUG, SEP, OCT], [0, 30, 30, 30], opening=100))
    plan["safety_stock_qty"] = 10.0
    first = product_cover(plan).iloc[0]
    assert first["forward_qty"] == 90.0
    assert first["forward_days"] == 92
    assert first["excess_qty"] == 0.0
    assert first["days_of_cover"] == pytest.approx(100 / (90 / 92))
    assert round(first["days_of_cover"], 2) == 102.22


def test_cover_repeats_the_last_month_beyond_the_horizon() -> None:
    plan = _plan(_product("P1", [JUL, AUG, SEP, OCT], [30, 20, 40, 50], opening=230))
    plan["safety_stock_qty"] = 10.0
    cover = product_cover(plan)
    assert plan["closing_qty"].tolist() == [200.0, 180.0, 140.0, 90.0]
    # Jul: Aug + Sep + Oct; Aug: Sep + Oct + Oct again (for Nov); Sep and Oct: 50 x 3.
    assert cover["forward_qty"].tolist() == [110.0, 140.0, 150.0, 150.0]
    # Days: Aug-Oct 31+30+31, Sep-Nov 30+31+30, Oct-Dec 31+30+31, Nov-Jan 30+31+31.
    assert cover["forward_days"].tolist() == [92, 91, 92, 92]
    assert cover["excess_qty"].tolist() == [80.0, 30.0, 0.0, 0.0]
    np.testing.assert_allclose(
        cover["days_of_cover"], [200 * 92 / 110, 180 * 91 / 140, 140 * 92 / 150, 90 * 92 / 150]
    )


def test_cover_of_one_month_and_without_demand_ahead() -> None:
    plan = _plan(
        _product("P1", [JUL, AUG, SEP, OCT], [30, 20, 40, 50], opening=230),
        _product("P2", [JUL, AUG, SEP, OCT], [5, 0, 0, 0], opening=8),
    )
    cover = product_cover(plan, cover_months=1).set_index(["product_id", "target_month"])
    assert cover.loc[("P1", JUL), "forward_qty"] == 20.0
    assert cover.loc[("P1", JUL), "days_of_cover"] == 200 * 31 / 20
    assert cover.loc[("P1", JUL), "excess_qty"] == 180.0
    assert math.isnan(cover.loc[("P2", JUL), "days_of_cover"])
    assert cover.loc[("P2", JUL), "excess_qty"] == 3.0
    with pytest.raises(ValueError, match="cover_months must be at least 1, got 0"):
        product_cover(plan, cover_months=0)


# exceptions


def _short_plan() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """P1 (R1, 0.5 h/unit, price 100) is 120 short in April; R1 is full in April and May.

    April: 200 made (100 h) for 320 wanted. May receives S200 (10) and makes
    200 (100 h) for 200 wanted. June receives S123 (40) and makes 140 (70 of
    100 h) for 190 wanted.
    """
    plan = _plan(
        _product(
            "P1",
            [APR, MAY, JUN],
            [320, 200, 190],
            receipts=[0, 10, 40],
            production=[200, 200, 140],
            hours_per_unit=0.5,
        )
    )
    utilization = _utilization("R1", [APR, MAY, JUN], [100, 100, 100], [100, 100, 70])
    supply = _supply(("S123", "P1", JUN, 40.0), ("S200", "P1", MAY, 10.0), ("S050", "P1", APR, 5.0))
    return plan, utilization, supply


def test_shortage_is_expedited_then_moved_then_added() -> None:
    plan, utilization, supply = _short_plan()
    assert plan["shortage_qty"].tolist() == [120.0, 0.0, 0.0]
    result = exceptions(plan, utilization, supply)
    assert list(result.columns) == EXCEPTION_COLUMNS
    # 120 short: S200 (due May, the earliest) brings 10, S123 40; 70 units = 35 h are left.
    # June has 30 spare hours (70% used): moved, making 60 units; the last 5 h (10 units) added.
    assert _actions(result) == [
        ("P1", APR, "move_capacity", 30.0, "R1", 6000.0),
        ("P1", APR, "expedite", 40.0, "S123", 4000.0),
        ("P1", APR, "expedite", 10.0, "S200", 1000.0),
        ("P1", APR, "add_capacity", 5.0, "R1", 1000.0),
    ]
    assert result["detail"].tolist() == [
        "Move 30 h of R1 from 2026-06 (70% used) to 2026-04 to make 60 of 120 units short "
        "(6,000 of 12,000 revenue at risk)",
        "Expedite S123 (40 units due 2026-06) to 2026-04: covers 40 of 120 units short "
        "(4,000 of 12,000 revenue at risk)",
        "Expedite S200 (10 units due 2026-05) to 2026-04: covers 10 of 120 units short "
        "(1,000 of 12,000 revenue at risk)",
        "Add 5 h on R1 by 2026-04 (100% used) to make 10 of 120 units short "
        "(1,000 of 12,000 revenue at risk)",
    ]
    first = result.iloc[0]
    assert (first["family"], first["run_month"]) == ("Pumps", RUN)
    assert (first["shortage_qty"], first["revenue_at_risk"]) == (120.0, 12000.0)
    assert (first["excess_qty"], first["days_of_cover"]) == (0.0, 0.0)


def test_hours_per_unit_come_from_products_when_given() -> None:
    plan, utilization, supply = _short_plan()
    products = pd.DataFrame({"product_id": ["P1"], "hours_per_unit": [0.25]})
    result = exceptions(plan, utilization, supply.iloc[:0], products=products)
    # 120 units at 0.25 h = 30 h: all of June's spare hours, nothing to add.
    assert _actions(result) == [("P1", APR, "move_capacity", 30.0, "R1", 12000.0)]
    assert result["detail"].iloc[0] == (
        "Move 30 h of R1 from 2026-06 (70% used) to 2026-04 to make 120 of 120 units short "
        "(12,000 of 12,000 revenue at risk)"
    )


def test_hours_per_unit_of_a_product_the_master_lacks_come_from_the_plan() -> None:
    plan, utilization, supply = _short_plan()
    products = pd.DataFrame({"product_id": ["P7"], "hours_per_unit": [3.0]})
    result = exceptions(plan, utilization, supply.iloc[:0], products=products)
    # 120 units at the plan's 0.5 h = 60 h: 30 moved from June, 30 added.
    assert _actions(result) == [
        ("P1", APR, "move_capacity", 30.0, "R1", 6000.0),
        ("P1", APR, "add_capacity", 30.0, "R1", 6000.0),
    ]


def test_spare_hours_are_claimed_once_earliest_shortage_first() -> None:
    months = [APR, MAY, JUN]
    plan = _plan(
        _product("P1", months, [110, 100, 85], production=[100, 90, 85], price=10),
        _product("P2", months, [0, 10, 0], production=[0, 10, 0], price=10),
    )
    utilization = _utilization("R1", months, [100, 100, 100], [100, 100, 85])
    result = exceptions(plan, utilization, NO_SUPPLY)
    # June has 15 spare hours: April's 10 short take 10 of them, May's 10 short the last 5.
    assert _actions(result) == [
        ("P1", APR, "move_capacity", 10.0, "R1", 100.0),
        ("P1", MAY, "move_capacity", 5.0, "R1", 50.0),
        ("P1", MAY, "add_capacity", 5.0, "R1", 50.0),
    ]
    assert result["detail"].tolist()[1:] == [
        "Move 5 h of R1 from 2026-06 (85% used) to 2026-05 to make 5 of 10 units short "
        "(50 of 100 revenue at risk)",
        "Add 5 h on R1 by 2026-05 (100% used) to make 5 of 10 units short "
        "(50 of 100 revenue at risk)",
    ]


def test_an_order_is_expedited_once_and_a_bought_item_is_ordered() -> None:
    plan = _plan(
        _product("P2", [APR, MAY, JUN], [30, 20, 10], resource=None, receipts=[0, 0, 35], price=10)
    )
    utilization = _utilization("R1", [APR, MAY, JUN], [100, 100, 100], [0, 0, 0])
    result = exceptions(plan, utilization, _supply(("S9", "P2", JUN, 35.0)))
    # S9 is pulled into April once; the 5 units April does not need cover part of May.
    assert _actions(result) == [
        ("P2", APR, "expedite", 30.0, "S9", 300.0),
        ("P2", MAY, "order_supply", 15.0, None, 150.0),
        ("P2", MAY, "expedite", 5.0, "S9", 50.0),
    ]
    assert result["detail"].tolist() == [
        "Expedite S9 (35 units due 2026-06) to 2026-04: covers 30 of 30 units short "
        "(300 of 300 revenue at risk)",
        "Order 15 units to arrive by 2026-05 (bought in, not made): covers 15 of 20 units short "
        "(150 of 200 revenue at risk)",
        "S9, expedited to 2026-04, has 5 units left over: covers 5 of 20 units short "
        "(50 of 200 revenue at risk)",
    ]


def test_hours_unknown_when_the_plan_never_makes_the_product() -> None:
    plan = _plan(_product("P1", [APR], [10]))
    utilization = _utilization("R1", [APR], [100], [100])
    result = exceptions(plan, utilization, NO_SUPPLY)
    assert result["action"].tolist() == ["add_capacity"]
    assert math.isnan(result["quantity"].iloc[0])
    assert result["detail"].iloc[0] == (
        "Add capacity on R1 by 2026-04 (100% used) to make 10 of 10 units short "
        "(1,000 of 1,000 revenue at risk); hours per unit unknown"
    )
    # hours_per_unit 0 in the product master marks a bought item.
    products = pd.DataFrame({"product_id": ["P1"], "hours_per_unit": [0.0]})
    assert exceptions(plan, utilization, NO_SUPPLY, products=products)["action"].tolist() == [
        "order_supply"
    ]


def test_build_ahead_when_a_later_month_is_full() -> None:
    months = [APR, MAY, JUN]
    plan = _plan(_product("P1", months, [30, 110, 10], production=[50, 100, 0]))
    # June has no hours at all: it counts as full.
    utilization = _utilization("R1", months, [100, 100, 0], [50, 100, 0])
    result = exceptions(plan, utilization, NO_SUPPLY)
    assert plan["closing_qty"].tolist() == [20.0, 10.0, 0.0]
    assert _actions(result) == [
        ("P1", APR, "build_ahead", 20.0, "R1", 0.0),
        ("P1", MAY, "build_ahead", 10.0, "R1", 0.0),
    ]
    assert result["detail"].tolist() == [
        "Build 20 ahead in 2026-04 for 2026-05, when R1 is full",
        "Build 10 ahead in 2026-05 for 2026-06, when R1 is full",
    ]


def test_no_build_ahead_when_later_months_have_spare_hours() -> None:
    months = [APR, MAY]
    plan = _plan(_product("P1", months, [30, 20], production=[50, 0]))
    utilization = _utilization("R1", months, [100, 100], [50, 0])
    assert exceptions(plan, utilization, NO_SUPPLY).empty


def test_cut_plan_above_the_cover_threshold() -> None:
    months = [APR, MAY, JUN]
    plan = _plan(
        _product("P1", months, [20, 20, 20], opening=520, safety_stock=10, price=5),
        _product("P2", months, [0, 0, 0], opening=8, price=2),
        # 70 in stock for 60 over 92 days: 107 days of cover, below 120.
        _product("P3", months, [0, 20, 20], opening=70, price=1),
    )
    utilization = _utilization("R1", months, [100] * 3, [0] * 3)
    result = exceptions(plan, utilization, NO_SUPPLY)
    assert _actions(result) == [
        ("P1", APR, "cut_plan", 430.0, None, 2150.0),
        ("P1", MAY, "cut_plan", 410.0, None, 2050.0),
        ("P1", JUN, "cut_plan", 390.0, None, 1950.0),
        ("P2", APR, "cut_plan", 8.0, None, 16.0),
        ("P2", MAY, "cut_plan", 8.0, None, 16.0),
        ("P2", JUN, "cut_plan", 8.0, None, 16.0),
    ]
    # P1: 500 - 10 - 60 = 430 over 500 x 92 / 60 = 767 days; 480 x 92 / 60 = 736;
    # 460 x 92 / 60 = 705.
    assert result["detail"].tolist()[:4] == [
        "Cut or delay supply: 430 units above safety stock and 3 months of demand "
        "(767 days of cover)",
        "Cut or delay supply: 410 units above safety stock and 3 months of demand "
        "(736 days of cover)",
        "Cut or delay supply: 390 units above safety stock and 3 months of demand "
        "(705 days of cover)",
        "Cut or delay supply: 8 units above safety stock and 3 months of demand "
        "(no demand in the next 3 months)",
    ]
    assert result["days_of_cover"].iloc[0] == pytest.approx(500 * 92 / 60)
    assert math.isnan(result["days_of_cover"].iloc[3])
    assert (
        exceptions(plan, utilization, NO_SUPPLY, excess_cover_days=100)["product_id"]
        .tolist()
        .count("P3")
        == 1
    )


def test_review_flags_overrides_beyond_the_threshold() -> None:
    months = [APR, MAY, JUN]
    plan = _plan(
        _product("P1", months, [150, 125, 70], opening=345, price=10),
        _product("P2", months, [40, 0, 0], opening=40, price=3),
    )
    utilization = _utilization("R1", months, [100] * 3, [0] * 3)
    demand_plan = pd.DataFrame(
        {
            "product_id": ["P1", "P1", "P1", "P2", "P9"],
            "target_month": pd.to_datetime([APR, MAY, JUN, APR, APR]),
            "statistical_qty": [100.0, 100.0, 100.0, 0.0, 100.0],
            "consensus_qty": [150.0, 125.0, 70.0, 40.0, 500.0],
        }
    )
    result = exceptions(plan, utilization, NO_SUPPLY, demand_plan=demand_plan)
    # +25% is not above the 25% threshold; P9 is not in the plan.
    assert _actions(result) == [
        ("P1", APR, "review", 50.0, None, 500.0),
        ("P1", JUN, "review", -30.0, None, 300.0),
        ("P2", APR, "review", 40.0, None, 120.0),
    ]
    assert result["detail"].tolist() == [
        "Consensus 150 vs statistical 100 (+50%): confirm the override",
        "Consensus 70 vs statistical 100 (-30%): confirm the override",
        "Consensus 40 vs statistical 0: confirm the override",
    ]
    assert exceptions(plan, utilization, NO_SUPPLY, demand_plan=demand_plan.iloc[:0]).empty


def test_raise_plan_when_demand_keeps_running_above_the_plan() -> None:
    months = [APR, MAY, JUN, JUL]
    plan = _plan(
        _product("P1", months, [100, 100, 100, 100], opening=400, price=10),
        _product("P2", months, [10, 10, 10, 10], opening=40, price=10),
        _product("P3", months, [10, 10, 10, 10], opening=40, price=10),
    )
    utilization = _utilization("R1", months, [100] * 4, [0] * 4)
    # Past plans at lag 1: P1 planned 8 where 10.667 came (bias -0.25), six months;
    # P2 -10% is within the 20% threshold; P3 has only two scored months.
    bias = pd.DataFrame(
        {
            "product_id": ["P1", "P2", "P3"],
            "bias": [-0.25, -0.10, -0.5],
            "points": [6, 6, 2],
            "actual_qty": [800.0, 60.0, 20.0],
        }
    )
    result = exceptions(plan, utilization, NO_SUPPLY, plan_bias=bias)
    # April's next three months ask 300; at actual / plan = 1 / 0.75 that is 400: +100.
    assert _actions(result) == [("P1", APR, "raise_plan", 100.0, None, 1000.0)]
    assert result["detail"].tolist() == [
        "Raise the plan: demand ran 33% above the plan over the last 6 months (lag 1); "
        "at that rate the next 3 months need 100 more units"
    ]


def test_plan_bias_sums_before_dividing_over_recent_lag_one_months() -> None:
    accuracy = pd.DataFrame(
        {
            "product_id": ["P1", "P1", "P1", "P1", "P2"],
            "target_month": pd.to_datetime([SEP, OCT, OCT, date(2025, 12, 1), OCT]),
            "lag": [1, 1, 2, 1, 1],
            "consensus_qty": [10.0, 30.0, 99.0, 50.0, 5.0],
            "actual_qty": [20.0, 20.0, 1.0, 0.0, 0.0],
        }
    )
    # Up to October, six months back (May-Oct): P1 lag 1 in Sep and Oct only; lag 2 and the
    # December row are out. (10 + 30 - 40) / 40 = 0. P2 has no actuals: bias undefined.
    result = plan_bias(accuracy, OCT)
    assert result.to_dict("records")[0] == {
        "product_id": "P1",
        "bias": 0.0,
        "points": 2,
        "actual_qty": 40.0,
    }
    assert math.isnan(result["bias"].iloc[1])


def test_the_module_examples_run() -> None:
    import doctest

    from models.planning import gaps, scenarios

    for module in (gaps, scenarios):
        outcome = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert outcome.attempted > 0 and outcome.failed == 0, module.__name__


def test_no_exception_is_an_empty_frame_with_the_columns() -> None:
    plan = _plan(_product("P1", [APR, MAY], [10, 10], production=[10, 10]))
    result = exceptions(plan, _utilization("R1", [APR, MAY], [100, 100], [10, 10]), NO_SUPPLY)
    assert result.empty
    assert list(result.columns) == EXCEPTION_COLUMNS
    assert result["priority"].dtype == "float64"


# the S&OP summary


def _summary_plan() -> pd.DataFrame:
    return _plan(
        _product("P1", [MAR, APR], [25, 10], receipts=[10, 0], production=[20, 0], safety_stock=2),
        _product("P2", [MAR, APR], [20, 30], opening=50, price=10),
        _product("P3", [MAR, APR], [0, 0], family="Valves", resource="R2", opening=8, price=20),
    )


def _exception(family: str, month: date, detail: str, priority: float) -> dict[str, object]:
    return {"family": family, "target_month": month, "detail": detail, "priority": priority}


def test_summary_sums_products_by_family_and_month() -> None:
    actions = pd.DataFrame(
        [
            _exception("Pumps", APR, "Expedite it", 200.0),
            _exception("Pumps", APR, "Add hours", 300.0),
            _exception("Valves", MAR, "Cut it", 160.0),
        ]
    )
    summary = sop_summary(_summary_plan(), actions)
    assert list(summary.columns) == SUMMARY_COLUMNS
    rows = summary.set_index(["family", "target_month"])
    # Pumps: P1 (opening 0, +10 received, +20 made, 25 wanted) and P2 (opening 50, 20 wanted).
    expected = {
        ("Pumps", MAR): [45, 30, 45, 0, 0, 35, 2, 0, 1.0],
        ("Pumps", APR): [40, 0, 35, 5, 0, 0, 2, 500, 35 / 40],
        ("Valves", MAR): [0, 0, 0, 0, 8, 8, 0, 0, math.nan],
        ("Valves", APR): [0, 0, 0, 0, 8, 8, 0, 0, math.nan],
    }
    columns = [
        "demand_qty",
        "supply_qty",
        "fulfilled_qty",
        "shortage_qty",
        "excess_qty",
        "closing_qty",
        "safety_stock_qty",
        "revenue_at_risk",
        "fill_rate",
    ]
    for key, values in expected.items():
        np.testing.assert_allclose(rows.loc[key, columns].astype(float), values, err_msg=str(key))
    # Family cover from family sums: 35 in stock for 40 + 40 + 40 over Apr-Jun (91 days).
    assert rows.loc[("Pumps", MAR), "days_of_cover"] == pytest.approx(35 * 91 / 120)
    assert rows.loc[("Pumps", APR), "days_of_cover"] == 0.0
    assert math.isnan(rows.loc[("Valves", MAR), "days_of_cover"])
    assert rows["recommendation"].to_dict() == {
        ("Pumps", MAR): "No action: demand is covered",
        ("Pumps", APR): "2 actions; top: Add hours",
        ("Valves", MAR): "Cut it",
        ("Valves", APR): "No action: no demand",
    }
    assert (summary["run_month"] == RUN).all()


def test_summary_family_cover_is_not_an_average_of_product_ratios() -> None:
    # P1: 90 for 30 a month (92 days of cover); P2: 10 for 60 a month (5.1 days).
    plan = _plan(
        _product("P1", [JUL, AUG], [0, 30], opening=90),
        _product("P2", [JUL, AUG], [0, 60], opening=10),
    )
    summary = sop_summary(plan, exceptions(plan, _utilization("R1", [JUL], [1], [0]), NO_SUPPLY))
    assert summary["days_of_cover"].iloc[0] == pytest.approx(100 * 92 / 270)


def test_summary_recommends_the_most_valuable_exception() -> None:
    plan, utilization, supply = _short_plan()
    summary = sop_summary(plan, exceptions(plan, utilization, supply))
    assert summary["recommendation"].tolist() == [
        "4 actions; top: Move 30 h of R1 from 2026-06 (70% used) to 2026-04 to make 60 of 120 "
        "units short (6,000 of 12,000 revenue at risk)",
        "No action: demand is covered",
        "No action: demand is covered",
    ]
    assert summary["supply_qty"].tolist() == [200.0, 210.0, 180.0]


def test_summary_says_when_a_shortage_has_no_action() -> None:
    plan = _plan(_product("P1", [APR], [10]))
    empty = pd.DataFrame(columns=EXCEPTION_COLUMNS)
    assert sop_summary(plan, empty)["recommendation"].tolist() == [
        "10 units short: no action found in open supply or capacity"
    ]


def test_an_empty_plan_gives_empty_frames() -> None:
    plan = _plan(_product("P1", [APR], [10])).iloc[:0]
    found = exceptions(plan, _utilization("R1", [APR], [1], [1]), NO_SUPPLY)
    assert list(found.columns) == EXCEPTION_COLUMNS
    assert found.empty
    summary = sop_summary(plan, found)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary.empty


# materiality: actions below the thresholds are not raised


def _bought(product: str, demand: list[float], price: float, family: str = "Pumps"):
    """A bought-in product with no stock: every unit of demand is short, one order_supply."""
    months = [APR, MAY, JUN, JUL, AUG][: len(demand)]
    return _product(product, months, demand, resource=None, price=price, family=family)


def test_materiality_on_both_sides_of_the_unit_and_money_thresholds() -> None:
    plan = _plan(
        _bought("P1", [10], price=200),  # 10 units, 2,000: at the unit threshold
        _bought("P2", [9.99], price=200, family="Valves"),  # 9.99 units: below
        _bought("P3", [10], price=99.99, family="Valves"),  # 999.90: below the money
        _bought("P4", [10], price=100),  # 1,000.00: at the money threshold
    )
    utilization = _utilization("R1", [APR], [100], [0])
    materiality = Materiality(units=10, amount=1000)
    everything = exceptions(plan, utilization, NO_SUPPLY)
    assert sorted(everything["product_id"]) == ["P1", "P2", "P3", "P4"]

    found = exceptions(plan, utilization, NO_SUPPLY, materiality=materiality)
    assert _actions(found) == [
        ("P1", APR, "order_supply", 10.0, None, 2000.0),
        ("P4", APR, "order_supply", 10.0, None, 1000.0),
    ]
    # Valves' 19.99 units short are two actions below the thresholds: no action.
    summary = sop_summary(plan, found, materiality=materiality).set_index("family")
    assert summary.loc["Valves", "recommendation"] == (
        "No action: 19.99 units short, below the materiality thresholds (10 units and 1,000)"
    )
    assert summary.loc["Pumps", "recommendation"] == (
        "2 actions; top: Order 10 units to arrive by 2026-04 (bought in, not made): covers "
        "10 of 10 units short (2,000 of 2,000 revenue at risk)"
    )
    assert fold_exceptions(found)["product_id"].tolist() == ["P1", "P4"]


def test_a_flow_is_material_over_its_run_of_consecutive_months() -> None:
    # P1 is 4 units short in each of April, May and June: 12 units, 1,200 in all.
    # P2 is 4 short in April and June only: two runs of 4 units, each below.
    plan = _plan(_bought("P1", [4, 4, 4], price=100), _bought("P2", [4, 0, 4], price=100))
    utilization = _utilization("R1", [APR, MAY, JUN], [100] * 3, [0] * 3)
    found = exceptions(plan, utilization, NO_SUPPLY, materiality=Materiality(units=10, amount=1000))
    assert sorted(zip(found["product_id"], found["target_month"], strict=True)) == [
        ("P1", APR),
        ("P1", MAY),
        ("P1", JUN),
    ]
    folded = fold_exceptions(found)
    assert folded[["first_month", "last_month", "months", "quantity", "priority"]].to_dict(
        "records"
    ) == [
        {"first_month": APR, "last_month": JUN, "months": 3, "quantity": 12.0, "priority": 1200.0}
    ]
    # 12.01 units would be needed above: the run's 12 is just below.
    assert exceptions(plan, utilization, NO_SUPPLY, materiality=Materiality(units=12.01)).empty


def test_capacity_actions_are_material_by_the_units_their_hours_make() -> None:
    # 8 units short of a product taking 5 h each, no hours anywhere: add 40 h.
    plan = _plan(_product("P1", [APR], [8], hours_per_unit=5, price=100))
    utilization = _utilization("R1", [APR], [0], [0])
    products = pd.DataFrame({"product_id": ["P1"], "hours_per_unit": [5.0]})
    below = exceptions(plan, utilization, NO_SUPPLY, products=products, materiality=Materiality(9))
    assert below.empty  # 40 hours, but 8 units
    at = exceptions(plan, utilization, NO_SUPPLY, products=products, materiality=Materiality(8))
    assert _actions(at) == [("P1", APR, "add_capacity", 40.0, "R1", 800.0)]


def test_excess_held_over_months_counts_once() -> None:
    # The cut_plan example: P1's excess 430, 410 and 390 units at 5 are the same stock
    # month after month, so the run's size is its largest month, 430 units and 2,150.
    months = [APR, MAY, JUN]
    plan = _plan(_product("P1", months, [20, 20, 20], opening=520, safety_stock=10, price=5))
    utilization = _utilization("R1", months, [100] * 3, [0] * 3)
    at = exceptions(plan, utilization, NO_SUPPLY, materiality=Materiality(10, 2150))
    assert len(at) == 3
    assert exceptions(plan, utilization, NO_SUPPLY, materiality=Materiality(10, 2150.01)).empty
    folded = fold_exceptions(at)
    row = folded.iloc[0]
    assert (row["first_month"], row["last_month"], row["months"]) == (APR, JUN, 3)
    assert (row["quantity"], row["excess_qty"], row["priority"]) == (430.0, 430.0, 2150.0)
    assert row["days_of_cover"] == pytest.approx(500 * 92 / 60)
    assert row["detail"] == (
        "2026-04 to 2026-06 (3 months, at most 430 units); largest in 2026-04: Cut or delay "
        "supply: 430 units above safety stock and 3 months of demand (767 days of cover)"
    )


def test_an_action_in_months_1_2_3_and_5_folds_into_two_rows() -> None:
    # Bought P1 at 10 with no stock: short 10, 20, 10, 0 and 5 units from April to August.
    plan = _plan(_bought("P1", [10, 20, 10, 0, 5], price=10))
    utilization = _utilization("R1", [APR, MAY, JUN, JUL, AUG], [100] * 5, [0] * 5)
    folded = fold_exceptions(exceptions(plan, utilization, NO_SUPPLY))
    assert list(folded.columns) == FOLDED_COLUMNS
    assert folded[
        ["first_month", "last_month", "months", "action", "quantity", "shortage_qty", "priority"]
    ].to_dict("records") == [
        {
            "first_month": APR,
            "last_month": JUN,
            "months": 3,
            "action": "order_supply",
            "quantity": 40.0,
            "shortage_qty": 40.0,
            "priority": 400.0,
        },
        {
            "first_month": AUG,
            "last_month": AUG,
            "months": 1,
            "action": "order_supply",
            "quantity": 5.0,
            "shortage_qty": 5.0,
            "priority": 50.0,
        },
    ]
    assert folded["revenue_at_risk"].tolist() == [400.0, 50.0]
    assert folded["detail"].tolist() == [
        "2026-04 to 2026-06 (3 months, 40 units in all); largest in 2026-05: Order 20 units to "
        "arrive by 2026-05 (bought in, not made): covers 20 of 20 units short "
        "(200 of 200 revenue at risk)",
        "Order 5 units to arrive by 2026-08 (bought in, not made): covers 5 of 5 units short "
        "(50 of 50 revenue at risk)",
    ]


def test_a_review_up_and_a_review_down_are_two_rows() -> None:
    months = [APR, MAY, JUN]
    plan = _plan(_product("P1", months, [150, 140, 60], opening=350, price=10))
    utilization = _utilization("R1", months, [100] * 3, [0] * 3)
    demand_plan = pd.DataFrame(
        {
            "product_id": ["P1"] * 3,
            "target_month": pd.to_datetime(months),
            "statistical_qty": [100.0, 100.0, 100.0],
            "consensus_qty": [150.0, 140.0, 60.0],
        }
    )
    folded = fold_exceptions(exceptions(plan, utilization, NO_SUPPLY, demand_plan=demand_plan))
    # Up 50 + 40 in April-May (900 at 10), down 40 in June (400).
    assert folded[["first_month", "last_month", "quantity", "priority"]].to_dict("records") == [
        {"first_month": APR, "last_month": MAY, "quantity": 90.0, "priority": 900.0},
        {"first_month": JUN, "last_month": JUN, "quantity": -40.0, "priority": 400.0},
    ]


def test_no_exception_folds_into_an_empty_frame_with_the_columns() -> None:
    folded = fold_exceptions(pd.DataFrame(columns=EXCEPTION_COLUMNS))
    assert folded.empty
    assert list(folded.columns) == FOLDED_COLUMNS


def test_materiality_thresholds_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        Materiality(units=-1)
