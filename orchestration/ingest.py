"""Ingest group: one asset per landing file, loaded into `raw.<file>`."""

import dagster as dg

from orchestration.ingest_loader import load_landing_file
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
        kinds={"duckdb", "csv"},
        description=(
            f"Landing file {spec.relative_stem}.csv (or .parquet) loaded into raw.{spec.name} "
            "with declared types; rows that cannot be typed go to quality.quarantine."
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


def build_ingest_defs(settings: Settings) -> dg.Definitions:
    """The ingest group: one asset per landing file of the contract."""
    return dg.Definitions(assets=[_raw_asset(spec, settings) for spec in LANDING_FILES])
