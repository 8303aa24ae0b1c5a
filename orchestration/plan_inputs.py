"""What a supply plan is made from: read from the warehouse, or rebuilt from the published tables.

The monthly run reads the plan's inputs from the warehouse
(:func:`load_plan_inputs`). `sop scenario` re-plans without the pipeline, so it
rebuilds the same inputs from what the run published
(:func:`published_plan_inputs`): the baseline supply plan holds the demand,
opening stock, receipts and safety stock it was made with, and the baseline
utilization the hours, so the baseline re-planned from them is the published
baseline.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from models.planning.safety_stock import safety_stock
from models.planning.scenarios import BASELINE, Scenario, apply_scenario
from models.planning.supply_plan import PlanInputs, PlanSettings, SupplyPlan, plan_supply

SCENARIOS_FILE = Path("planning") / "scenarios.yml"

OPEN_SUPPLY_SQL = (
    "select supply_id, product_id, date_trunc('month', due_date) as due_month, quantity "
    "from staging.stg_supply__open_supply"
)
_PRODUCT_COLUMNS = (
    "product_id, family, unit_price, unit_cost, resource_id, hours_per_unit, lead_time_days"
)


def plan_months(run_month: date, horizon: int) -> tuple[date, ...]:
    """The target months of a run: the `horizon` months after `run_month`."""
    index = run_month.year * 12 + run_month.month - 1
    return tuple(date((index + k) // 12, (index + k) % 12 + 1, 1) for k in range(1, horizon + 1))


def _as_of(run_month: date) -> date:
    """The last day of the run month (SPEC.md, "As-of date")."""
    return plan_months(run_month, 1)[0] - timedelta(days=1)


def load_plan_inputs(
    con: duckdb.DuckDBPyConnection, run_month: date, horizon: int, service_level: float
) -> PlanInputs:
    """The baseline plan's inputs for `run_month`, from the warehouse.

    Products planned are those of the run's consensus demand plan (the
    forecast covers every product sold; end-of-life products are in it with
    zero demand, so their stock still shows). Opening stock is, per SPEC.md,
    the sum over locations of each location's latest snapshot on or before
    the as-of date; snapshots after it are not known yet in that run. A
    negative sum is planned as 0 (the warn check on inventory reports it).
    """
    months = plan_months(run_month, horizon)
    demand_plan = con.execute(
        "select product_id, target_month, consensus_qty as demand_qty, lower_80, upper_80 "
        "from planning.fct_demand_plan where run_month = ?",
        [run_month],
    ).df()
    products = con.execute(
        f"select {_PRODUCT_COLUMNS} from marts.dim_products "
        "where product_id in (select product_id from planning.fct_demand_plan where run_month = ?)"
        " order by product_id",
        [run_month],
    ).df()
    opening = con.execute(
        "with ranked as (select product_id, location, on_hand_qty, row_number() over ("
        "partition by product_id, location order by snapshot_date desc) as recency "
        "from staging.stg_supply__inventory where snapshot_date <= ?) "
        "select product_id, sum(on_hand_qty) as opening_qty from ranked where recency = 1 "
        "group by product_id",
        [_as_of(run_month)],
    ).df()
    # A negative stock count (flagged by the raw_inventory_warnings check) cannot
    # fulfil anything: the plan starts that product from 0 rather than stopping.
    opening["opening_qty"] = opening["opening_qty"].clip(lower=0.0)
    capacity = con.execute(
        "select resource_id, month as target_month, available_hours "
        "from staging.stg_supply__capacity where month between ? and ?",
        [months[0], months[-1]],
    ).df()
    open_supply = con.execute(OPEN_SUPPLY_SQL).df()
    return PlanInputs(
        run_month=run_month,
        months=months,
        products=products,
        demand=demand_plan[["product_id", "target_month", "demand_qty"]],
        opening=opening,
        open_supply=open_supply,
        capacity=capacity,
        safety_stock=safety_stock(demand_plan, products, service_level),
    )


def published_plan_inputs(con: duckdb.DuckDBPyConnection) -> PlanInputs:
    """The baseline inputs of the published run, rebuilt from its published tables.

    Receipts are published per product and month, not per order, so each
    becomes one open-supply row named after its product and month; the plan
    only needs the quantities.
    """
    run_month = con.execute("select max(run_month) from marts.published_run").fetchone()[0]
    plan = con.execute(
        "select * from marts.fct_supply_plan where run_month = ? and scenario = ? "
        "order by product_id, target_month",
        [run_month, BASELINE],
    ).df()
    if plan.empty:
        raise ValueError(f"the published run of {run_month:%Y-%m} has no baseline supply plan")
    months = tuple(d.date() for d in sorted(pd.to_datetime(plan["target_month"]).unique()))
    first = plan[pd.to_datetime(plan["target_month"]) == pd.Timestamp(months[0])]
    products = con.execute(
        f"select {_PRODUCT_COLUMNS} from marts.dim_products "
        "where product_id in (select distinct product_id from marts.fct_supply_plan "
        "where run_month = ? and scenario = ?) order by product_id",
        [run_month, BASELINE],
    ).df()
    receipts = plan[plan["receipts_qty"] > 0]
    capacity = con.execute(
        "select resource_id, target_month, available_hours from marts.fct_capacity_utilization "
        "where run_month = ? and scenario = ?",
        [run_month, BASELINE],
    ).df()
    return PlanInputs(
        run_month=run_month,
        months=months,
        products=products,
        demand=plan[["product_id", "target_month", "demand_qty"]],
        opening=first[["product_id", "opening_qty"]],
        open_supply=pd.DataFrame(
            {
                "supply_id": "receipts:"
                + receipts["product_id"]
                + ":"
                + pd.to_datetime(receipts["target_month"]).dt.strftime("%Y-%m"),
                "product_id": receipts["product_id"],
                "due_month": receipts["target_month"],
                "quantity": receipts["receipts_qty"],
            }
        ),
        capacity=capacity,
        safety_stock=plan[["product_id", "target_month", "safety_stock_qty"]],
    )


def plan_all_scenarios(
    inputs: PlanInputs, scenarios: list[Scenario], settings: PlanSettings
) -> dict[str, SupplyPlan]:
    """The baseline plan and one plan per scenario, baseline first.

    On a terminal a progress bar counts the scenarios (one LP each); tqdm turns
    itself off when stderr is not a terminal (the UI, logs, tests).
    """
    with tqdm(
        total=len(scenarios) + 1, desc="supply plan", unit="scenario", disable=None, leave=False
    ) as bar:
        plans = {BASELINE: plan_supply(inputs, settings)}
        bar.update()
        for scenario in scenarios:
            plans[scenario.name] = plan_supply(apply_scenario(inputs, scenario), settings)
            bar.update()
    return plans


def scenario_rows(run_month: date, scenarios: list[Scenario]) -> pd.DataFrame:
    """`planning.dim_scenarios`: each scenario of the run, with its definition as JSON."""
    rows = [(run_month, BASELINE, "Demand and capacity as planned.", "{}")]
    for s in scenarios:
        definition = {
            "demand": [dataclasses.asdict(c) for c in s.demand],
            "capacity": [dataclasses.asdict(c) for c in s.capacity],
            "launches": [dataclasses.asdict(c) for c in s.launches],
        }
        rows.append((run_month, s.name, s.description, json.dumps(definition, default=str)))
    frame = pd.DataFrame(rows, columns=["run_month", "scenario", "description", "definition"])
    return frame.assign(run_month=pd.to_datetime(frame["run_month"]))
