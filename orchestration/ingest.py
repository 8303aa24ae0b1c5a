"""Ingest group: one asset per landing file, loaded into `raw.<file>`."""

import dagster as dg

from models.compensation import empty_tiers_frame, load_comp_plan
from orchestration.ingest_loader import load_landing_file, quarantine_references
from orchestration.landing_contract import LANDING_FILES, LandingFile
from orchestration.partitions import warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings


def raw_asset_key(name: str) -> dg.AssetKey:
    """Asset key of the raw table loaded from landing file `name`."""
    return dg.AssetKey(["raw", name])


def _raw_asset(spec: LandingFile, settings: Settings) -> dg.AssetsDefinition:
    @warehouse_asset(
        settings,
        key=raw_asset_key(spec.name),
        group_name="ingest",
        # A row referring to another file (an opportunity's owner rep) is checked against it.
        deps=sorted(
            {raw_asset_key(ref.table.split(".")[1]) for ref in quarantine_references(spec)},
            key=lambda k: k.to_string(),
        ),
        kinds={"duckdb", "csv"},
        description=(
            f"Landing file {spec.relative_stem}.csv (or .parquet) loaded into raw.{spec.name} "
            "with declared types; rows that cannot be typed, lack a required value, break a row "
            "rule of its GX suite or repeat a key go to quality.quarantine with a reason."
        ),
    )
    def _load(context: dg.AssetExecutionContext, sop: SopResource) -> dg.MaterializeResult:
        with sop.warehouse() as con:
            result = load_landing_file(con, sop.settings.landing_dir, spec)
        if result.rows_quarantined:
            context.log.warning(
                f"{result.source_file}: {result.rows_quarantined} row(s) quarantined"
            )
        return dg.MaterializeResult(
            metadata={
                "source_file": result.source_file,
                "rows_read": result.rows_read,
                "dagster/row_count": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "extra_columns": ", ".join(result.extra_columns) or "none",
            }
        )

    return _load


COMP_PLAN_FILE = "planning/comp_plan.yml"


def _comp_plan_asset(settings: Settings) -> dg.AssetsDefinition:
    @warehouse_asset(
        settings,
        key=raw_asset_key("comp_plan_tiers"),
        group_name="ingest",
        kinds={"duckdb", "yaml"},
        description=(
            f"The commission plan {COMP_PLAN_FILE} (optional), validated and loaded as one row "
            "per tier into raw.comp_plan_tiers; no plan gives an empty table. An invalid plan "
            "(overlapping or unordered tiers, unknown keys) stops the run naming the tier."
        ),
    )
    def comp_plan_tiers(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        path = sop.settings.landing_dir / COMP_PLAN_FILE
        frame = load_comp_plan(path).tiers_frame() if path.exists() else empty_tiers_frame()
        with sop.warehouse() as con:
            con.execute("create schema if not exists raw")
            con.register("_tiers", frame)
            try:
                con.execute("create or replace table raw.comp_plan_tiers as select * from _tiers")
            finally:
                con.unregister("_tiers")
        return dg.MaterializeResult(
            metadata={
                "source_file": COMP_PLAN_FILE if path.exists() else "none (no commission plan)",
                "dagster/row_count": len(frame),
                "tiers": dg.MetadataValue.md(frame.to_markdown(index=False)),
            }
        )

    return comp_plan_tiers


def build_ingest_defs(settings: Settings) -> dg.Definitions:
    """The ingest group: one asset per landing file of the contract, and the commission plan."""
    return dg.Definitions(
        assets=[_raw_asset(spec, settings) for spec in LANDING_FILES] + [_comp_plan_asset(settings)]
    )
