"""Publish group: the read-only DuckDB file and Parquet copies that BI tools read."""

import dagster as dg

from orchestration.partitions import warehouse_asset
from orchestration.publisher import PUBLISHED_TABLES, publish
from orchestration.resources import SopResource
from orchestration.settings import Settings

# The assets that produce each published relation: "raw/.." never, quality tables come
# from ingest and checks, so the audit asset stands for them.
_SOURCE_ASSETS = {
    "quality.quarantine": ["quality", "load_audit"],
    "quality.check_results": ["quality", "load_audit"],
}


def published_deps() -> list[dg.AssetKey]:
    keys = {tuple(_SOURCE_ASSETS.get(rel, rel.split("."))) for rel in PUBLISHED_TABLES.values()}
    return [dg.AssetKey(list(k)) for k in sorted(keys)]


def build_publish_defs(settings: Settings) -> dg.Definitions:
    @warehouse_asset(
        settings,
        key=dg.AssetKey(["publish", "published_marts"]),
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
        counts = publish(sop.settings.warehouse_path, sop.settings.published_dir)
        empty = sorted(name for name, rows in counts.items() if rows == 0)
        if empty:
            context.log.warning(f"published tables with no rows: {', '.join(empty)}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(sop.settings.published_db_path)),
                "parquet": dg.MetadataValue.path(str(sop.settings.published_dir / "parquet")),
                "row_counts": dg.MetadataValue.json(counts),
            }
        )

    return dg.Definitions(assets=[published_marts])
