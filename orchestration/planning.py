"""Planning group: consensus demand plan, its accuracy, supply plan per scenario, S&OP gaps.

The assets stay thin: they read the warehouse and the planner's files in
`planning/`, call `models.planning`, and write the results back, one snapshot
per run month (re-running a month replaces that month only).
"""

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd

from models.planning import (
    OverrideFileError,
    OverrideRejection,
    apply_overrides,
    override_fva,
    parse_overrides,
    score_plans,
    validate_against_plan,
)
from models.planning.overrides import REQUIRED_COLUMNS
from orchestration.forecasting import DEMAND_FORECAST_KEY, DEMAND_FORECAST_TABLE
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.supply_planning import build_supply_planning_assets
from orchestration.warehouse import TableWrite, replace_tables, to_dates

DEMAND_PLAN_TABLE = "planning.fct_demand_plan"
DEMAND_PLAN_KEY = dg.AssetKey(["planning", "fct_demand_plan"])
OVERRIDES_TABLE = "planning.fct_demand_plan_overrides"
REJECTIONS_TABLE = "planning.override_rejections"
PLAN_ACCURACY_TABLE = "planning.fct_demand_plan_accuracy"
PLAN_ACCURACY_SUMMARY_TABLE = "planning.fct_demand_plan_fva"
PLAN_ACCURACY_KEY = dg.AssetKey(["planning", "fct_demand_plan_accuracy"])
OVERRIDES_FILE = Path("planning") / "overrides.csv"

_REJECTION_COLUMNS = [
    "run_month",
    "source_file",
    "line",
    "column_name",
    "value",
    "kind",
    "reason",
]


def rejection_rows(month: date, rejections: list[OverrideRejection]) -> pd.DataFrame:
    """The refused override lines of a run as rows of `planning.override_rejections`.

    `kind` is `expired` for a line whose month the run no longer plans (kept
    for the record, not a problem) and `rejected` for a line that is wrong.
    """
    frame = pd.DataFrame(
        [(month, r.source, r.line, r.column, r.value, _kind(r), r.message) for r in rejections],
        columns=_REJECTION_COLUMNS,
    )
    return frame.astype({"line": "int64"}).assign(run_month=pd.to_datetime(frame["run_month"]))


def _kind(rejection: OverrideRejection) -> str:
    return "expired" if rejection.expired else "rejected"


def read_overrides(
    landing_dir: Path, products: pd.DataFrame, month: date, horizon: int
) -> tuple[pd.DataFrame, list[OverrideRejection]]:
    """Accepted overrides of `planning/overrides.csv` (none when absent) and rejected lines.

    A file without its required columns is not a planner's typo in one line
    but a broken file, so it stops the run with the error naming the column.
    """
    path = landing_dir / OVERRIDES_FILE
    if not path.exists():
        return parse_overrides(",".join(REQUIRED_COLUMNS))  # no lines: nothing to apply
    try:
        parsed, rejected = parse_overrides(path.read_text(encoding="utf-8"))
    except OverrideFileError as error:
        raise dg.Failure(description=f"{path}: {error}") from error
    accepted, out_of_plan = validate_against_plan(parsed, products, month, horizon)
    return accepted, rejected + out_of_plan


def build_planning_defs(settings: Settings) -> dg.Definitions:
    """The planning group: demand plan, its accuracy, supply plan and S&OP summary."""

    @warehouse_asset(
        settings,
        key=DEMAND_PLAN_KEY,
        group_name="planning",
        deps=[DEMAND_FORECAST_KEY, dg.AssetKey(["marts", "dim_products"])],
        kinds={"python", "duckdb"},
        description=(
            "Consensus demand plan per product and target month: the reconciled statistical "
            "forecast (product total) + the overrides of planning/overrides.csv = consensus. "
            "Applied overrides are kept with their author in fct_demand_plan_overrides; "
            "rejected lines, each with a message naming the line and column, in "
            "override_rejections (a warn check). One snapshot per run month."
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
            products = con.execute("select product_id, family from marts.dim_products").df()
        accepted, rejected = read_overrides(
            sop.settings.landing_dir, products, month, sop.settings.forecast_horizon
        )
        result = apply_overrides(forecast, accepted, products)
        rejected = rejected + result.unapplied
        plan = to_dates(result.plan, ["run_month", "target_month"])
        applied = to_dates(result.applied, ["run_month", "target_month"])
        with sop.warehouse() as con:
            replace_tables(
                con,
                [
                    TableWrite(DEMAND_PLAN_TABLE, plan, "run_month = ?", [month]),
                    TableWrite(
                        OVERRIDES_TABLE,
                        applied,
                        "run_month = ?",
                        [month],
                        date_columns=("run_month", "target_month"),
                    ),
                    TableWrite(
                        REJECTIONS_TABLE,
                        to_dates(rejection_rows(month, rejected), ["run_month"]),
                        "run_month = ?",
                        [month],
                        date_columns=("run_month",),
                    ),
                ],
            )
        for rejection in rejected:
            (context.log.info if rejection.expired else context.log.warning)(rejection.message)
        expired = {r.line for r in rejected if r.expired}
        by_author = (
            applied.groupby("submitted_by")["line"].nunique().to_dict() if len(applied) else {}
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(plan),
                "products": int(plan["product_id"].nunique()),
                "statistical_qty": float(plan["statistical_qty"].sum()),
                "override_qty": float(plan["override_qty"].sum()),
                "consensus_qty": float(plan["consensus_qty"].sum()),
                "override_lines_applied": int(applied["line"].nunique()) if len(applied) else 0,
                "override_lines_rejected": len({r.line for r in rejected} - expired),
                "override_lines_expired": len(expired),
                "overrides_by_author": dg.MetadataValue.json(
                    {str(k): int(v) for k, v in by_author.items()}
                ),
                "rejections": dg.MetadataValue.md(
                    "\n".join(f"- {r.message}" for r in rejected) or "none"
                ),
            }
        )

    @warehouse_asset(
        settings,
        key=PLAN_ACCURACY_KEY,
        group_name="planning",
        deps=[DEMAND_PLAN_KEY, dg.AssetKey(["marts", "fct_demand_history"])],
        kinds={"python", "duckdb"},
        description=(
            "Forecast value added of the overrides: every kept demand plan scored against "
            "the actuals known by the run month, per product, target month and lag "
            "(fct_demand_plan_accuracy), and WAPE of consensus, statistical and seasonal "
            "naive with FVA consensus vs statistical and vs naive by product, family and "
            "portfolio per lag (fct_demand_plan_fva)."
        ),
    )
    def fct_demand_plan_accuracy(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        with sop.warehouse(read_only=True) as con:
            plans = con.execute(
                f"select * from {DEMAND_PLAN_TABLE} where run_month <= ?", [month]
            ).df()
            actuals = con.execute(
                "select product_id, month, quantity from marts.fct_demand_history"
            ).df()
            families = con.execute("select product_id, family from marts.dim_products").df()
        points = score_plans(plans, actuals, month, families)
        summary = override_fva(points)
        with sop.warehouse() as con:
            # Rebuilt whole by each run, as of its month (the plans themselves are kept).
            replace_tables(
                con,
                [
                    TableWrite(
                        PLAN_ACCURACY_TABLE, points, date_columns=("target_month", "run_month")
                    ),
                    TableWrite(PLAN_ACCURACY_SUMMARY_TABLE, summary),
                ],
            )
        portfolio = summary[summary["level"] == "portfolio"]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(points),
                "portfolio_by_lag": dg.MetadataValue.md(
                    portfolio[
                        [
                            "lag",
                            "points",
                            "wape_consensus",
                            "wape_statistical",
                            "wape_naive",
                            "fva_consensus_vs_statistical",
                            "fva_consensus_vs_naive",
                        ]
                    ].to_markdown(index=False, floatfmt=".3f")
                    if len(portfolio)
                    else "no planned month has actuals yet (run earlier months first)"
                ),
            }
        )

    return dg.Definitions(
        assets=[fct_demand_plan, fct_demand_plan_accuracy, *build_supply_planning_assets(settings)]
    )
