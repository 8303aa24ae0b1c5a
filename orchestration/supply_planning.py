"""Supply planning assets: the supply plan of every scenario, and the S&OP gaps.

`fct_supply_plan` plans `baseline` and each scenario of `planning/scenarios.yml`
side by side (one LP per scenario, `models.planning.supply_plan`);
`fct_sop_summary` turns each plan into gaps by family and month and the
product-level exceptions a planner acts on.
"""

import dagster as dg
import pandas as pd

from models.planning.gaps import Materiality, exceptions, fold_exceptions, plan_bias, sop_summary
from models.planning.scenarios import (
    BASELINE,
    ScenarioError,
    parse_scenarios,
    validate_scenarios,
)
from models.planning.supply_plan import PlanSettings
from orchestration.metadata_plots import utilization_chart
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.plan_inputs import (
    OPEN_SUPPLY_SQL,
    SCENARIOS_FILE,
    load_plan_inputs,
    plan_all_scenarios,
    scenario_rows,
)
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.warehouse import TableWrite, replace_tables, to_dates

SUPPLY_PLAN_TABLE = "planning.fct_supply_plan"
SUPPLY_PLAN_KEY = dg.AssetKey(["planning", "fct_supply_plan"])
UTILIZATION_TABLE = "planning.fct_capacity_utilization"
SCENARIOS_TABLE = "planning.dim_scenarios"
SUMMARY_TABLE = "planning.fct_sop_summary"
SUMMARY_KEY = dg.AssetKey(["planning", "fct_sop_summary"])
EXCEPTIONS_TABLE = "planning.fct_sop_exceptions"

_PLAN_INPUT_KEYS = [
    dg.AssetKey(["planning", "fct_demand_plan"]),
    dg.AssetKey(["marts", "dim_products"]),
    dg.AssetKey(["staging", "stg_supply__inventory"]),
    dg.AssetKey(["staging", "stg_supply__open_supply"]),
    dg.AssetKey(["staging", "stg_supply__capacity"]),
]


def _totals(plan: pd.DataFrame) -> pd.DataFrame:
    """Horizon totals per scenario, for the asset's metadata."""
    totals = plan.groupby("scenario", sort=False)[
        ["demand_qty", "fulfilled_qty", "shortage_qty", "revenue_at_risk"]
    ].sum()
    totals["fill_rate"] = totals["fulfilled_qty"] / totals["demand_qty"].where(
        totals["demand_qty"] > 0
    )
    return totals.reset_index()


def build_supply_planning_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """The supply plan and S&OP summary assets."""

    @warehouse_asset(
        settings,
        key=SUPPLY_PLAN_KEY,
        group_name="planning",
        deps=_PLAN_INPUT_KEYS,
        kinds={"python", "duckdb"},
        description=(
            "Capacity-constrained supply plan per scenario, product and month (a linear "
            "program: serve the consensus demand, highest margin per hour first, building "
            "ahead into months with spare hours; then safety stock; then least inventory), "
            "with the inventory projection of SPEC.md, and capacity utilization per resource "
            "and month in fct_capacity_utilization. Plans `baseline` and every scenario of "
            "planning/scenarios.yml side by side."
        ),
    )
    def fct_supply_plan(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        run = sop.settings
        with sop.warehouse(read_only=True) as con:
            inputs = load_plan_inputs(con, month, run.forecast_horizon, run.service_level)
        path = run.landing_dir / SCENARIOS_FILE
        try:
            scenarios = parse_scenarios(path.read_text(encoding="utf-8")) if path.exists() else []
            validate_scenarios(scenarios, inputs.products, inputs.capacity)
        except ScenarioError as error:
            raise dg.Failure(description=f"{path}: {error}") from error
        plans = plan_all_scenarios(
            inputs, scenarios, PlanSettings(holding_rate_per_year=run.holding_rate)
        )
        plan = to_dates(
            pd.concat([p.plan.assign(scenario=n) for n, p in plans.items()], ignore_index=True),
            ["run_month", "target_month"],
        )
        utilization = to_dates(
            pd.concat(
                [p.utilization.assign(scenario=n) for n, p in plans.items()], ignore_index=True
            ),
            ["run_month", "target_month"],
        )
        with sop.warehouse() as con:
            replace_tables(
                con,
                [
                    TableWrite(SUPPLY_PLAN_TABLE, plan, "run_month = ?", [month]),
                    TableWrite(UTILIZATION_TABLE, utilization, "run_month = ?", [month]),
                    TableWrite(
                        SCENARIOS_TABLE,
                        to_dates(scenario_rows(month, scenarios), ["run_month"]),
                        "run_month = ?",
                        [month],
                    ),
                ],
            )
        baseline = utilization[utilization["scenario"] == BASELINE]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(plan),
                "scenarios": dg.MetadataValue.json(list(plans)),
                "totals_by_scenario": dg.MetadataValue.md(
                    _totals(plan).to_markdown(index=False, floatfmt=",.2f")
                ),
                "baseline_utilization": dg.MetadataValue.md(
                    utilization_chart(baseline, "Baseline capacity utilization")
                ),
            }
        )

    @warehouse_asset(
        settings,
        key=SUMMARY_KEY,
        group_name="planning",
        deps=[SUPPLY_PLAN_KEY, dg.AssetKey(["planning", "fct_demand_plan_accuracy"])],
        kinds={"python", "duckdb"},
        description=(
            "S&OP gaps per scenario, family and month (demand vs supply, shortage, excess, "
            "days of cover, revenue at risk, the recommended action) and, in "
            "fct_sop_exceptions, one row per product, action and run of consecutive months "
            "(expedite open supply, move or add capacity, build ahead, raise or cut the plan, "
            "review an override) with the numbers that justify it. Actions below the "
            "materiality thresholds (SOP_MATERIALITY_UNITS and SOP_MATERIALITY_AMOUNT) are "
            "not raised. Both tables are written in one transaction."
        ),
    )
    def fct_sop_summary(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        materiality = Materiality(sop.settings.materiality_units, sop.settings.materiality_amount)
        with sop.warehouse(read_only=True) as con:
            plan = con.execute(
                f"select * from {SUPPLY_PLAN_TABLE} where run_month = ?", [month]
            ).df()
            utilization = con.execute(
                f"select * from {UTILIZATION_TABLE} where run_month = ?", [month]
            ).df()
            open_supply = con.execute(OPEN_SUPPLY_SQL).df()
            demand_plan = con.execute(
                "select product_id, target_month, statistical_qty, consensus_qty "
                "from planning.fct_demand_plan where run_month = ?",
                [month],
            ).df()
            products = con.execute("select * from marts.dim_products").df()
            # How the consensus plans of the last months did at lag 1: raise_plan's evidence.
            bias = plan_bias(
                con.execute("select * from planning.fct_demand_plan_accuracy").df(), month
            )
        summaries, actions = [], []
        for scenario, rows in plan.groupby("scenario", sort=False):
            found = exceptions(
                rows.drop(columns="scenario"),
                utilization[utilization["scenario"] == scenario].drop(columns="scenario"),
                open_supply,
                demand_plan,
                products=products,
                plan_bias=bias,
                materiality=materiality,
            )
            actions.append(fold_exceptions(found).assign(scenario=scenario))
            summaries.append(
                sop_summary(rows.drop(columns="scenario"), found, materiality=materiality).assign(
                    scenario=scenario
                )
            )
        summary = to_dates(pd.concat(summaries, ignore_index=True), ["run_month", "target_month"])
        found = to_dates(
            pd.concat(actions, ignore_index=True), ["run_month", "first_month", "last_month"]
        )
        with sop.warehouse() as con:
            replace_tables(
                con,
                [
                    TableWrite(SUMMARY_TABLE, summary, "run_month = ?", [month]),
                    TableWrite(
                        EXCEPTIONS_TABLE,
                        found,
                        "run_month = ?",
                        [month],
                        date_columns=("run_month", "first_month", "last_month"),
                    ),
                ],
            )
        top = found[found["scenario"] == BASELINE].head(10)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(summary),
                "exceptions": len(found),
                "baseline_actions": dg.MetadataValue.json(
                    {
                        str(k): int(v)
                        for k, v in found[found["scenario"] == BASELINE]["action"]
                        .value_counts()
                        .items()
                    }
                ),
                "baseline_top_actions": dg.MetadataValue.md(
                    "\n".join(f"- {d}" for d in top["detail"]) or "none"
                ),
            }
        )

    return [fct_supply_plan, fct_sop_summary]
