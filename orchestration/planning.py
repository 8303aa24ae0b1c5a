"""Planning group: the consensus demand plan (supply plan and scenarios come later)."""

import dagster as dg

from models.planning import consensus_demand_plan
from orchestration.forecasting import DEMAND_FORECAST_KEY, DEMAND_FORECAST_TABLE
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.warehouse import replace_rows, to_dates

DEMAND_PLAN_TABLE = "planning.fct_demand_plan"


def build_planning_defs(settings: Settings) -> dg.Definitions:
    """The planning group: the consensus demand plan."""

    @warehouse_asset(
        settings,
        key=dg.AssetKey(["planning", "fct_demand_plan"]),
        group_name="planning",
        deps=[DEMAND_FORECAST_KEY],
        kinds={"python", "duckdb"},
        description=(
            "Consensus demand plan per product and target month: statistical forecast "
            "(product total) + overrides = consensus. One snapshot per run month."
        ),
    )
    def fct_demand_plan(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        with sop.warehouse(read_only=True) as con:
            forecast = con.execute(
                f"select * from {DEMAND_FORECAST_TABLE} where run_month = ?", [month]
            ).df()
        plan = to_dates(consensus_demand_plan(forecast), ["run_month", "target_month"])
        with sop.warehouse() as con:
            replace_rows(con, DEMAND_PLAN_TABLE, plan, "run_month = ?", [month])
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(plan),
                "products": int(plan["product_id"].nunique()),
                "consensus_qty": float(plan["consensus_qty"].sum()),
            }
        )

    return dg.Definitions(assets=[fct_demand_plan])
