"""The supply plan LP and the safety stock, on hand-computed cases and random inputs."""

from __future__ import annotations

import doctest
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.planning import safety_stock as safety_stock_module
from models.planning import supply_plan as supply_plan_module
from models.planning.safety_stock import safety_stock
from models.planning.supply_plan import (
    PLAN_COLUMNS,
    UTILIZATION_COLUMNS,
    PlanInputs,
    PlanSettings,
    plan_supply,
)

RUN_MONTH = date(2025, 6, 1)


def plan_months(n: int) -> tuple[date, ...]:
    return tuple(date(2025 + (6 + i) // 12, (6 + i) % 12 + 1, 1) for i in range(n))


def product_rows(*rows: dict) -> pd.DataFrame:
    defaults = {
        "family": "F1",
        "unit_price": 10.0,
        "unit_cost": 6.0,
        "resource_id": "R1",
        "hours_per_unit": 1.0,
        "lead_time_days": 30.0,
    }
    return pd.DataFrame([{**defaults, **row} for row in rows])


def monthly(key: str, column: str, values: dict[str, list[float]], months) -> pd.DataFrame:
    """Long rows (key, target_month, column) from one list of monthly values per key."""
    return pd.DataFrame(
        [
            {key: k, "target_month": m, column: v}
            for k, series in values.items()
            for m, v in zip(months, series, strict=True)
        ],
        columns=[key, "target_month", column],
    )


def make_inputs(
    products: pd.DataFrame,
    demand: dict[str, list[float]],
    *,
    months: tuple[date, ...],
    capacity: dict[str, list[float]] | None = None,
    opening: dict[str, float] | None = None,
    supply: list[tuple[str, date, float]] | None = None,
    safety: dict[str, list[float]] | None = None,
) -> PlanInputs:
    return PlanInputs(
        run_month=RUN_MONTH,
        months=months,
        products=products,
        demand=monthly("product_id", "demand_qty", demand, months),
        opening=pd.DataFrame(list((opening or {}).items()), columns=["product_id", "opening_qty"]),
        open_supply=pd.DataFrame(
            [(f"S{i}", p, d, q) for i, (p, d, q) in enumerate(supply or [])],
            columns=["supply_id", "product_id", "due_month", "quantity"],
        ),
        capacity=monthly("resource_id", "available_hours", capacity or {}, months),
        safety_stock=monthly("product_id", "safety_stock_qty", safety or {}, months),
    )


def column(plan: pd.DataFrame, name: str, product: str = "P1") -> list[float]:
    return plan.loc[plan["product_id"] == product, name].tolist()


def approx(values) -> object:
    return pytest.approx(values, abs=1e-6)


# --------------------------------------------------------------------------- #
# plan_supply: hand-computed cases
# --------------------------------------------------------------------------- #


def test_enough_capacity_produces_what_demand_needs_after_opening_stock() -> None:
    months = plan_months(3)
    inputs = make_inputs(
        product_rows({"product_id": "P1"}),
        {"P1": [10, 10, 10]},
        months=months,
        capacity={"R1": [1000, 1000, 1000]},
        opening={"P1": 5},
    )
    plan = plan_supply(inputs).plan

    # Month 1: 5 on hand covers half of 10, so 5 are made; then 10 a month. Nothing is
    # built ahead (it would only add holding cost) and the plan ends with no stock.
    assert list(plan.columns) == PLAN_COLUMNS
    assert column(plan, "production_qty") == approx([5, 10, 10])
    assert column(plan, "opening_qty") == approx([5, 0, 0])
    assert column(plan, "fulfilled_qty") == approx([10, 10, 10])
    assert column(plan, "shortage_qty") == approx([0, 0, 0])
    assert column(plan, "closing_qty") == approx([0, 0, 0])
    assert column(plan, "production_hours") == approx([5, 10, 10])
    assert column(plan, "revenue_at_risk") == approx([0, 0, 0])
    assert plan["run_month"].unique().tolist() == [RUN_MONTH]
    assert plan["target_month"].tolist() == list(months)


def test_a_short_month_is_covered_by_building_ahead() -> None:
    months = plan_months(3)
    # 12 hours a month at 1 hour a unit: 12 units a month, 36 in all, and demand is
    # 10 + 10 + 16 = 36. Month 3 can make only 12 of its 16, so the 4 missing are built
    # in months 1 and 2 (2 each, the only way): production 12, 12, 12, no shortage.
    inputs = make_inputs(
        product_rows({"product_id": "P1"}),
        {"P1": [10, 10, 16]},
        months=months,
        capacity={"R1": [12, 12, 12]},
    )
    plan = plan_supply(inputs).plan

    assert sum(column(plan, "production_qty")) == pytest.approx(36, abs=1e-6)
    assert column(plan, "production_qty")[2] == pytest.approx(12, abs=1e-6)
    assert column(plan, "shortage_qty") == approx([0, 0, 0])
    assert column(plan, "closing_qty") == approx([2, 4, 0])


def test_building_ahead_happens_as_late_as_possible() -> None:
    months = plan_months(3)
    # 14 units a month. Month 3 needs 16, 2 more than it can make: they are built in
    # month 2 (held one month) rather than month 1 (held two). Production 10, 12, 14.
    inputs = make_inputs(
        product_rows({"product_id": "P1"}),
        {"P1": [10, 10, 16]},
        months=months,
        capacity={"R1": [14, 14, 14]},
    )
    plan = plan_supply(inputs).plan

    assert column(plan, "production_qty") == approx([10, 12, 14])
    assert column(plan, "closing_qty") == approx([0, 2, 0])


def test_without_holding_cost_production_is_still_not_built_early() -> None:
    months = plan_months(3)
    # With no holding cost only the small cost of producing earlier decides, and it
    # gives the same plan as test_building_ahead_happens_as_late_as_possible; and no
    # unit is made that nothing needs, though the hours are free.
    inputs = make_inputs(
        product_rows({"product_id": "P1"}),
        {"P1": [10, 10, 16]},
        months=months,
        capacity={"R1": [14, 14, 14]},
    )
    plan = plan_supply(inputs, PlanSettings(holding_rate_per_year=0.0)).plan

    assert column(plan, "production_qty") == approx([10, 12, 14])
    with pytest.raises(ValueError, match="holding_rate_per_year"):
        plan_supply(inputs, PlanSettings(holding_rate_per_year=-0.1))


def test_short_overall_gives_shortage_and_revenue_at_risk() -> None:
    months = plan_months(3)
    # 2 hours a unit and 20 hours a month: 10 units a month, 30 in all, plus 3 on hand.
    # Demand 12, 12, 12 = 36, so 3 units are short whatever the plan. SPEC's projection
    # serves each month in turn: month 1 has 3 + 10 = 13, serves 12, keeps 1; month 2
    # has 1 + 10 = 11, serves 11, 1 short; month 3 has 10, serves 10, 2 short.
    # Revenue at risk = shortage x 25: 0, 25, 50.
    inputs = make_inputs(
        product_rows({"product_id": "P1", "unit_price": 25.0, "hours_per_unit": 2.0}),
        {"P1": [12, 12, 12]},
        months=months,
        capacity={"R1": [20, 20, 20]},
        opening={"P1": 3},
    )
    plan = plan_supply(inputs).plan

    assert column(plan, "production_qty") == approx([10, 10, 10])
    assert column(plan, "production_hours") == approx([20, 20, 20])
    assert column(plan, "fulfilled_qty") == approx([12, 11, 10])
    assert column(plan, "shortage_qty") == approx([0, 1, 2])
    assert column(plan, "closing_qty") == approx([1, 0, 0])
    assert column(plan, "revenue_at_risk") == approx([0, 25, 50])


def test_competing_products_the_higher_margin_per_hour_is_served_first() -> None:
    months = plan_months(1)
    # A: margin 10 - 4 = 6 a unit, 1 hour a unit: 6 an hour.
    # B: margin 30 - 10 = 20 a unit (more per unit), 5 hours a unit: 4 an hour.
    # 100 hours; A wants 60 units = 60 hours, B 20 units = 100 hours. A is served in
    # full (60 hours) and B gets the other 40 hours = 8 units: 12 short, 12 x 30 = 360
    # of revenue at risk.
    inputs = make_inputs(
        product_rows(
            {"product_id": "A", "unit_price": 10.0, "unit_cost": 4.0, "hours_per_unit": 1.0},
            {"product_id": "B", "unit_price": 30.0, "unit_cost": 10.0, "hours_per_unit": 5.0},
        ),
        {"A": [60], "B": [20]},
        months=months,
        capacity={"R1": [100]},
    )
    result = plan_supply(inputs)
    plan = result.plan

    assert column(plan, "production_qty", "A") == approx([60])
    assert column(plan, "shortage_qty", "A") == approx([0])
    assert column(plan, "production_qty", "B") == approx([8])
    assert column(plan, "shortage_qty", "B") == approx([12])
    assert column(plan, "revenue_at_risk", "B") == approx([360])
    assert result.utilization["planned_hours"].tolist() == approx([100])
    assert result.utilization["utilization"].tolist() == approx([1.0])


def test_spare_capacity_fills_safety_stock() -> None:
    months = plan_months(3)
    # Safety stock 5 every month and plenty of hours: month 1 makes 10 + 5, then 10 a
    # month, and every month closes at 5.
    inputs = make_inputs(
        product_rows({"product_id": "P1"}),
        {"P1": [10, 10, 10]},
        months=months,
        capacity={"R1": [1000, 1000, 1000]},
        safety={"P1": [5, 5, 5]},
    )
    plan = plan_supply(inputs).plan

    assert column(plan, "production_qty") == approx([15, 10, 10])
    assert column(plan, "closing_qty") == approx([5, 5, 5])
    assert column(plan, "safety_stock_qty") == approx([5, 5, 5])


def test_safety_stock_is_built_with_what_hours_are_left() -> None:
    months = plan_months(3)
    # 12 units a month, demand 10, safety stock 5. At most 2 a month are left for stock,
    # so closing can be at most 2, then 4, then 6: the shortfall 3 + 1 + 0 is the least
    # possible. Month 3 needs only 5, so it makes 11, not 12 (no stock beyond target).
    inputs = make_inputs(
        product_rows({"product_id": "P1"}),
        {"P1": [10, 10, 10]},
        months=months,
        capacity={"R1": [12, 12, 12]},
        safety={"P1": [5, 5, 5]},
    )
    plan = plan_supply(inputs).plan

    assert column(plan, "production_qty") == approx([12, 12, 11])
    assert column(plan, "closing_qty") == approx([2, 4, 5])
    assert column(plan, "shortage_qty") == approx([0, 0, 0])


def test_demand_is_served_before_safety_stock() -> None:
    months = plan_months(3)
    # 10 units a month, demand 12, 5 on hand = the safety stock. Keeping the 5 as stock
    # would leave 2 short every month; demand comes first, so the 5 are spent: 35 units
    # for 36 of demand, 1 short. SPEC's projection: month 1 has 15, serves 12, keeps 3;
    # month 2 has 13, serves 12, keeps 1; month 3 has 11, serves 11, 1 short.
    inputs = make_inputs(
        product_rows({"product_id": "P1"}),
        {"P1": [12, 12, 12]},
        months=months,
        capacity={"R1": [10, 10, 10]},
        opening={"P1": 5},
        safety={"P1": [5, 5, 5]},
    )
    plan = plan_supply(inputs).plan

    assert column(plan, "production_qty") == approx([10, 10, 10])
    assert column(plan, "closing_qty") == approx([3, 1, 0])
    assert column(plan, "shortage_qty") == approx([0, 0, 1])
    assert sum(column(plan, "shortage_qty")) == pytest.approx(1, abs=1e-6)


def test_open_supply_lands_in_its_due_month_late_in_the_first_and_beyond_horizon_nowhere() -> None:
    months = plan_months(3)
    # A purchased item, so receipts are its only supply. Due 2025-08 (month 2): 7 and
    # 3 -> 10 in month 2. Due 2025-05 (before the plan, late): 4 in month 1. Due
    # 2025-10 (after the last month, 2025-09): ignored.
    # Month 1: 2 on hand + 4 = 6 for demand 5, closing 1. Month 2: 1 + 10 = 11 for 5,
    # closing 6. Month 3: 6 for 8, 2 short.
    inputs = make_inputs(
        product_rows({"product_id": "P1", "resource_id": None, "hours_per_unit": 0.0}),
        {"P1": [5, 5, 8]},
        months=months,
        opening={"P1": 2},
        supply=[
            ("P1", date(2025, 8, 1), 7.0),
            ("P1", date(2025, 8, 1), 3.0),
            ("P1", date(2025, 5, 1), 4.0),
            ("P1", date(2025, 10, 1), 100.0),
            ("UNKNOWN", date(2025, 7, 1), 50.0),
        ],
    )
    plan = plan_supply(inputs).plan

    assert column(plan, "receipts_qty") == approx([4, 10, 0])
    assert column(plan, "production_qty") == [0.0, 0.0, 0.0]
    assert column(plan, "closing_qty") == approx([1, 6, 0])
    assert column(plan, "shortage_qty") == approx([0, 0, 2])


def test_purchased_products_are_never_produced() -> None:
    months = plan_months(2)
    # NORES has no resource, ZEROH has one but 0 hours a unit: both are bought, so with
    # no stock and no supply their whole demand is short, however many hours R1 has.
    inputs = make_inputs(
        product_rows(
            {"product_id": "NORES", "resource_id": None, "hours_per_unit": 2.0},
            {"product_id": "ZEROH", "resource_id": "R1", "hours_per_unit": 0.0},
            {"product_id": "MADE", "resource_id": "R1", "hours_per_unit": 1.0},
        ),
        {"NORES": [3, 4], "ZEROH": [5, 6], "MADE": [7, 8]},
        months=months,
        capacity={"R1": [1000, 1000]},
    )
    plan = plan_supply(inputs).plan

    for product in ("NORES", "ZEROH"):
        assert column(plan, "production_qty", product) == [0.0, 0.0]
        assert column(plan, "production_hours", product) == [0.0, 0.0]
    assert column(plan, "shortage_qty", "NORES") == approx([3, 4])
    assert column(plan, "shortage_qty", "ZEROH") == approx([5, 6])
    assert column(plan, "resource_id", "NORES") == [None, None]
    assert column(plan, "production_qty", "MADE") == approx([7, 8])


def test_products_without_demand_are_planned_every_month() -> None:
    months = plan_months(2)
    inputs = make_inputs(
        product_rows({"product_id": "P1"}, {"product_id": "IDLE"}),
        {"P1": [1, 1]},
        months=months,
        capacity={"R1": [10, 10]},
        opening={"IDLE": 4},
    )
    plan = plan_supply(inputs).plan

    assert column(plan, "demand_qty", "IDLE") == [0.0, 0.0]
    assert column(plan, "production_qty", "IDLE") == [0.0, 0.0]
    assert column(plan, "closing_qty", "IDLE") == approx([4, 4])


def test_utilization_per_resource_and_month() -> None:
    months = plan_months(2)
    # R1: 60 hours in month 1, no row in month 2 (0 hours). P1 needs 10 units a month at
    # 2 hours a unit. Month 2 cannot make anything, so month 1 makes both months' 20
    # units = 40 hours of 60: utilization 2/3. Month 2 is NaN (0 / 0 is not 0% busy).
    # R2: listed in capacity with 50 hours, used by no product: 0 / 50 = 0.
    # R3: used by P3 but not in capacity: 0 hours, NaN, P3 cannot be made.
    capacity = pd.DataFrame(
        {
            "resource_id": ["R1", "R2", "R2"],
            "target_month": [months[0], months[0], months[1]],
            "available_hours": [60.0, 50.0, 50.0],
        }
    )
    inputs = make_inputs(
        product_rows(
            {"product_id": "P1", "hours_per_unit": 2.0},
            {"product_id": "P3", "resource_id": "R3"},
        ),
        {"P1": [10, 10], "P3": [1, 1]},
        months=months,
    )
    inputs = PlanInputs(**{**inputs.__dict__, "capacity": capacity})
    result = plan_supply(inputs)
    utilization = result.utilization

    assert list(utilization.columns) == UTILIZATION_COLUMNS
    assert utilization["resource_id"].tolist() == ["R1", "R1", "R2", "R2", "R3", "R3"]
    assert utilization["target_month"].tolist() == list(months) * 3
    assert utilization["available_hours"].tolist() == [60.0, 0.0, 50.0, 50.0, 0.0, 0.0]
    assert utilization["planned_hours"].tolist() == approx([40, 0, 0, 0, 0, 0])
    ratios = utilization["utilization"].tolist()
    assert ratios[0] == pytest.approx(40 / 60)
    assert math.isnan(ratios[1])
    assert ratios[2:4] == [0.0, 0.0]
    assert math.isnan(ratios[4]) and math.isnan(ratios[5])
    assert column(result.plan, "production_qty", "P1") == approx([20, 0])
    assert column(result.plan, "shortage_qty", "P1") == approx([0, 0])
    assert column(result.plan, "shortage_qty", "P3") == approx([1, 1])


def test_no_products_gives_no_plan_rows_but_still_utilization() -> None:
    months = plan_months(2)
    inputs = make_inputs(
        product_rows({"product_id": "P1"}).iloc[0:0],
        {},
        months=months,
        capacity={"R1": [8, 8]},
    )
    result = plan_supply(inputs)

    assert result.plan.empty
    assert list(result.plan.columns) == PLAN_COLUMNS
    assert result.utilization["planned_hours"].tolist() == [0.0, 0.0]
    assert result.utilization["utilization"].tolist() == [0.0, 0.0]


def test_months_must_follow_the_run_month() -> None:
    months = plan_months(2)
    inputs = make_inputs(product_rows({"product_id": "P1"}), {"P1": [1, 1]}, months=months)
    with pytest.raises(ValueError, match="month after run_month"):
        plan_supply(PlanInputs(**{**inputs.__dict__, "run_month": date(2025, 5, 1)}))
    with pytest.raises(ValueError, match="consecutive"):
        plan_supply(PlanInputs(**{**inputs.__dict__, "months": (months[0], date(2025, 9, 1))}))


def test_negative_demand_is_an_input_error() -> None:
    months = plan_months(1)
    inputs = make_inputs(product_rows({"product_id": "P1"}), {"P1": [-1]}, months=months)
    with pytest.raises(ValueError, match=r"demand\.demand_qty has negative values"):
        plan_supply(inputs)


# --------------------------------------------------------------------------- #
# plan_supply: SPEC's equations on random inputs
# --------------------------------------------------------------------------- #


def random_inputs(
    rng: np.random.Generator, n_products: int, n_months: int, n_resources: int
) -> PlanInputs:
    """A plan with everything in it: purchased items, late and far supply, missing
    capacity rows, negative margins, safety stock, and resources that are short."""
    months = plan_months(n_months)
    resources = [f"R{i}" for i in range(n_resources)]
    product_ids = [f"P{i:04d}" for i in range(n_products)]
    price = rng.uniform(5, 100, n_products)
    hours = np.where(rng.random(n_products) < 0.05, 0.0, rng.uniform(0.1, 3.0, n_products))
    resource = np.where(rng.random(n_products) < 0.15, None, rng.choice(resources, n_products))
    products = pd.DataFrame(
        {
            "product_id": product_ids,
            "family": rng.choice(["F1", "F2", "F3"], n_products),
            "unit_price": price,
            "unit_cost": price * rng.uniform(0.3, 1.1, n_products),
            "resource_id": resource,
            "hours_per_unit": hours,
            "lead_time_days": rng.uniform(0, 90, n_products),
        }
    )
    level = rng.uniform(0, 100, n_products)
    demand = pd.DataFrame(
        [
            (p, m, level[i] * rng.uniform(0.5, 1.5))
            for i, p in enumerate(product_ids)
            for m in months
            if rng.random() < 0.9
        ],
        columns=["product_id", "target_month", "demand_qty"],
    )
    hours_wanted = {
        r: float((level * hours)[resource == r].sum()) for r in resources
    }  # mean hours a month the resource's products ask for
    capacity = pd.DataFrame(
        [
            (r, m, hours_wanted[r] * rng.uniform(0.3, 1.3))
            for r in resources
            for m in months
            if rng.random() < 0.9
        ],
        columns=["resource_id", "target_month", "available_hours"],
    )
    has_stock = rng.random(n_products) < 0.8
    opening = pd.DataFrame(
        {"product_id": product_ids, "opening_qty": rng.uniform(0, 150, n_products)}
    )[has_stock]
    n_supply = n_products // 2
    offsets = rng.integers(-2, n_months + 2, n_supply)
    open_supply = pd.DataFrame(
        {
            "supply_id": [f"S{i}" for i in range(n_supply)],
            "product_id": rng.choice(product_ids, n_supply),
            "due_month": [
                date(2025 + (6 + int(o)) // 12, (6 + int(o)) % 12 + 1, 1) for o in offsets
            ],
            "quantity": rng.uniform(1, 200, n_supply),
        }
    )
    stocked = rng.random(n_products) < 0.6
    stock_level = rng.uniform(0, 50, n_products)
    safety = pd.DataFrame(
        [(p, m, stock_level[i]) for i, p in enumerate(product_ids) if stocked[i] for m in months],
        columns=["product_id", "target_month", "safety_stock_qty"],
    )
    return PlanInputs(
        run_month=RUN_MONTH,
        months=months,
        products=products,
        demand=demand,
        opening=opening,
        open_supply=open_supply,
        capacity=capacity,
        safety_stock=safety,
    )


@pytest.mark.parametrize("seed", range(30))
def test_published_rows_satisfy_spec_and_capacity_on_random_inputs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs = random_inputs(
        rng, int(rng.integers(1, 12)), int(rng.integers(1, 7)), int(rng.integers(1, 4))
    )
    result = plan_supply(inputs)
    plan, utilization = result.plan, result.utilization
    n_months = len(inputs.months)

    assert len(plan) == len(inputs.products) * n_months
    assert not plan.duplicated(["product_id", "target_month"]).any()
    for _, rows in plan.groupby("product_id"):
        product = inputs.products.set_index("product_id").loc[rows["product_id"].iloc[0]]
        opening = inputs.opening.loc[
            inputs.opening["product_id"] == rows["product_id"].iloc[0], "opening_qty"
        ].sum()
        assert rows["opening_qty"].iloc[0] == opening
        # opening = previous closing, exactly
        assert rows["opening_qty"].iloc[1:].tolist() == rows["closing_qty"].iloc[:-1].tolist()
        available = rows["opening_qty"] + rows["receipts_qty"] + rows["production_qty"]
        np.testing.assert_allclose(
            rows["fulfilled_qty"], np.minimum(rows["demand_qty"], available), atol=1e-9
        )
        np.testing.assert_allclose(
            rows["shortage_qty"], rows["demand_qty"] - rows["fulfilled_qty"], atol=1e-9
        )
        np.testing.assert_allclose(
            rows["closing_qty"], available - rows["fulfilled_qty"], atol=1e-9
        )
        np.testing.assert_allclose(
            rows["revenue_at_risk"], rows["shortage_qty"] * product["unit_price"], atol=1e-9
        )
        np.testing.assert_allclose(
            rows["production_hours"], rows["production_qty"] * product["hours_per_unit"]
        )
        for name in ("production_qty", "fulfilled_qty", "shortage_qty", "closing_qty"):
            assert (rows[name] >= 0).all()
        if pd.isna(product["resource_id"]) or product["hours_per_unit"] == 0:
            assert (rows["production_qty"] == 0).all()

    # receipts: late supply in month 1, supply beyond the horizon dropped
    supply = inputs.open_supply
    due = pd.to_datetime(supply["due_month"])
    first, last = pd.Timestamp(inputs.months[0]), pd.Timestamp(inputs.months[-1])
    in_plan = supply[due <= last].assign(
        target_month=[max(d, first).date() for d in due[due <= last]]
    )
    expected = in_plan.groupby(["product_id", "target_month"])["quantity"].sum()
    received = plan.set_index(["product_id", "target_month"])["receipts_qty"]
    assert received.sum() == pytest.approx(
        in_plan.loc[in_plan["product_id"].isin(plan["product_id"]), "quantity"].sum()
    )
    for key, quantity in expected.items():
        assert received[key] == pytest.approx(quantity)

    # capacity is never exceeded, and utilization adds up the plan's hours
    hours = plan.groupby(["resource_id", "target_month"])["production_hours"].sum()
    by_key = utilization.set_index(["resource_id", "target_month"])
    assert (by_key["planned_hours"] <= by_key["available_hours"] + 1e-6).all()
    for key, planned in hours.items():
        assert by_key.loc[key, "planned_hours"] == pytest.approx(planned)
    given = inputs.capacity.set_index(["resource_id", "target_month"])["available_hours"]
    np.testing.assert_array_equal(
        by_key["available_hours"], given.reindex(by_key.index, fill_value=0.0)
    )
    busy = by_key["available_hours"] > 0
    np.testing.assert_allclose(
        by_key.loc[busy, "utilization"],
        by_key.loc[busy, "planned_hours"] / by_key.loc[busy, "available_hours"],
    )
    assert by_key.loc[~busy, "utilization"].isna().all()


@pytest.mark.parametrize("seed", range(5))
def test_no_shortage_where_a_product_has_stock_or_spare_hours_to_cover_it(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    inputs = random_inputs(rng, 8, 6, 2)
    inputs = PlanInputs(**{**inputs.__dict__, "capacity": inputs.capacity.iloc[0:0]})
    generous = pd.DataFrame(
        [(r, m, 1e6) for r in ("R0", "R1") for m in inputs.months],
        columns=["resource_id", "target_month", "available_hours"],
    )
    plan = plan_supply(PlanInputs(**{**inputs.__dict__, "capacity": generous})).plan
    made = plan["resource_id"].notna() & (
        plan["product_id"].map(inputs.products.set_index("product_id")["hours_per_unit"]) > 0
    )
    # With unlimited hours nothing that can be made is ever short, and stock ends at
    # the safety stock unless supply already put more there.
    assert (plan.loc[made, "shortage_qty"] == 0).all()
    assert (plan.loc[made, "closing_qty"] >= plan.loc[made, "safety_stock_qty"] - 1e-6).all()


# --------------------------------------------------------------------------- #
# safety_stock
# --------------------------------------------------------------------------- #


def test_safety_stock_worked_example() -> None:
    forecast = pd.DataFrame(
        {
            "product_id": ["P1", "P1", "P2", "P3"],
            "region": ["ALL", "ALL", "ALL", "EMEA"],
            "target_month": [
                date(2025, 8, 1),
                date(2025, 7, 1),
                date(2025, 7, 1),
                date(2025, 7, 1),
            ],
            "forecast_qty": [100.0, 100.0, 50.0, 10.0],
            "lower_80": [60.0, 80.0, 50.0, 0.0],
            "upper_80": [140.0, 120.0, 50.0, 99.0],
        }
    )
    products = pd.DataFrame({"product_id": ["P1", "P2"], "lead_time_days": [30.4375, 60.875]})
    result = safety_stock(forecast, products, service_level=0.95)

    # P1: first month 2025-07 has [80, 120]: sigma = 40 / (2 x 1.2815516) = 15.606070;
    # lead time 30.4375 / 30.4375 = 1 month; z_0.95 = 1.6448536; SS = 25.670 in both
    # months (2025-08's wider interval is not used).
    # P2: a zero-width interval gives 0. P3 is a regional row, not a product total.
    assert list(result.columns) == ["product_id", "target_month", "safety_stock_qty"]
    assert result["product_id"].tolist() == ["P1", "P1", "P2"]
    assert result["target_month"].tolist() == [date(2025, 7, 1), date(2025, 8, 1), date(2025, 7, 1)]
    assert result["safety_stock_qty"].tolist() == pytest.approx([25.6700, 25.6700, 0.0], abs=5e-4)
    assert result["safety_stock_qty"].iloc[0] == pytest.approx(
        1.6448536269514722 * 40 / (2 * 1.2815515655446004)
    )


def test_safety_stock_grows_with_the_square_root_of_lead_time_and_with_service() -> None:
    forecast = pd.DataFrame(
        {
            "product_id": ["P1"],
            "target_month": ["2025-07-01"],
            "lower_80": [80.0],
            "upper_80": [120.0],
        }
    )
    sigma = 40 / (2 * 1.2815515655446004)
    # 4 months of lead time (121.75 days): sqrt(4) = 2 x the one-month stock.
    four_months = pd.DataFrame({"product_id": ["P1"], "lead_time_days": [121.75]})
    assert safety_stock(forecast, four_months)["safety_stock_qty"].iloc[0] == pytest.approx(
        1.6448536269514722 * sigma * 2
    )
    # 99%: z = 2.3263479.
    one_month = pd.DataFrame({"product_id": ["P1"], "lead_time_days": [30.4375]})
    assert safety_stock(forecast, one_month, 0.99)["safety_stock_qty"].iloc[0] == pytest.approx(
        2.3263478740408408 * sigma
    )
    # No lead time (empty, or no products row): 0 days, no safety stock.
    empty = pd.DataFrame({"product_id": ["P1"], "lead_time_days": [None]})
    assert safety_stock(forecast, empty)["safety_stock_qty"].iloc[0] == 0.0
    assert safety_stock(forecast, empty.iloc[0:0])["safety_stock_qty"].iloc[0] == 0.0


@pytest.mark.parametrize("level", [0.5, 1.0, 0.3, 1.2])
def test_safety_stock_service_level_must_be_between_half_and_one(level: float) -> None:
    forecast = pd.DataFrame(
        {"product_id": ["P1"], "target_month": ["2025-07-01"], "lower_80": [1.0], "upper_80": [2.0]}
    )
    with pytest.raises(ValueError, match="service_level"):
        safety_stock(forecast, pd.DataFrame({"product_id": ["P1"], "lead_time_days": [30]}), level)


def test_safety_stock_rejects_an_inverted_interval() -> None:
    forecast = pd.DataFrame(
        {"product_id": ["P1"], "target_month": ["2025-07-01"], "lower_80": [3.0], "upper_80": [2.0]}
    )
    with pytest.raises(ValueError, match="upper_80 < lower_80"):
        safety_stock(forecast, pd.DataFrame({"product_id": ["P1"], "lead_time_days": [30]}))


@pytest.mark.parametrize("module", [safety_stock_module, supply_plan_module])
def test_docstring_examples_run(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
