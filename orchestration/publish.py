"""Publish group: the read-only DuckDB file and Parquet copies that BI tools read."""

import dagster as dg

from orchestration.partitions import partition_month, warehouse_asset
from orchestration.publisher import PUBLISHED_TABLES, publish, published_run_month
from orchestration.resources import SopResource
from orchestration.settings import Settings

PUBLISH_ASSET_KEY = dg.AssetKey(["publish", "published_marts"])

# The quarantine is written at ingest and check results by every check; the load
# audit runs after all ingest assets, so depending on it orders publish after them.
_SOURCE_ASSETS = {
    "quality.quarantine": ["quality", "load_audit"],
    "quality.check_results": ["quality", "load_audit"],
    "forecasting.fct_forecast_accuracy_summary": ["forecasting", "fct_forecast_accuracy"],
    "forecasting.fct_demand_forecast_family": ["forecasting", "fct_demand_forecast"],
    "forecasting.fct_forecast_backtest": ["forecasting", "fct_demand_forecast"],
    "forecasting.fct_pipeline_signal_value": ["forecasting", "fct_pipeline_demand_signal"],
    "planning.fct_demand_plan_overrides": ["planning", "fct_demand_plan"],
    "planning.override_rejections": ["planning", "fct_demand_plan"],
    "planning.fct_demand_plan_fva": ["planning", "fct_demand_plan_accuracy"],
    "planning.dim_scenarios": ["planning", "fct_supply_plan"],
    "planning.fct_capacity_utilization": ["planning", "fct_supply_plan"],
    "planning.fct_sop_exceptions": ["planning", "fct_sop_summary"],
}


def published_deps() -> list[dg.AssetKey]:
    """Assets that must finish before publish: the producers of every published relation."""
    keys = {tuple(_SOURCE_ASSETS.get(rel, rel.split("."))) for rel in PUBLISHED_TABLES.values()}
    return [dg.AssetKey(list(k)) for k in sorted(keys)]


def build_publish_defs(settings: Settings) -> dg.Definitions:
    """The publish group: the asset that replaces the published tables."""

    @warehouse_asset(
        settings,
        key=PUBLISH_ASSET_KEY,
        group_name="publish",
        deps=published_deps(),
        kinds={"duckdb", "parquet"},
        description=(
            "Replaces published/sop.duckdb (schema marts) and published/parquet/<table>/ "
            "atomically, so BI tools never see half a run and never block the pipeline."
        ),
    )
    def published_marts(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        newer = published_run_month(sop.settings.published_dir)
        if newer is not None and newer > month:
            reason = (
                f"the published tables are as of {newer:%Y-%m}, newer than this run "
                f"({month:%Y-%m}); re-run {newer:%Y-%m} (or later) to publish again"
            )
            context.log.warning(reason)
            return dg.MaterializeResult(metadata={"published": False, "reason": reason})
        counts = publish(sop.settings.warehouse_path, sop.settings.published_dir, month)
        empty = sorted(name for name, rows in counts.items() if rows == 0)
        if empty:
            context.log.warning(f"published tables with no rows: {', '.join(empty)}")
        return dg.MaterializeResult(
            metadata={
                "published": True,
                "path": dg.MetadataValue.path(str(sop.settings.published_db_path)),
                "parquet": dg.MetadataValue.path(str(sop.settings.published_dir / "parquet")),
                "row_counts": dg.MetadataValue.json(counts),
            }
        )

    return dg.Definitions(assets=[published_marts])
