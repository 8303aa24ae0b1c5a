"""Reports group: the monthly S&OP meeting pack, rendered from the published tables.

The pack is what the executive meeting looks at, so it reads exactly what BI
tools read: the published file, once publish has replaced it. When publish
kept a newer month's tables (a backfill of an older month), the pack of the
older month is rendered from the warehouse instead, which holds that run.
"""

import dagster as dg

from orchestration.meeting_pack import (
    PACK_TABLES,
    read_action_items,
    render_meeting_pack,
    write_meeting_pack,
)
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.publish import PUBLISH_ASSET_KEY
from orchestration.publisher import PUBLISHED_TABLES, published_run_month
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.warehouse import connect

MEETING_PACK_KEY = dg.AssetKey(["reports", "sop_meeting_pack"])
ACTION_ITEMS_FILE = "planning/action_items.csv"


def build_reports_defs(settings: Settings) -> dg.Definitions:
    """The reports group: the meeting pack asset."""

    @warehouse_asset(
        settings,
        key=MEETING_PACK_KEY,
        group_name="reports",
        deps=[PUBLISH_ASSET_KEY],
        kinds={"html"},
        description=(
            "The S&OP meeting pack, $SOP_DATA_DIR/reports/sop-YYYY-MM.html: one self-contained "
            "page (charts as inline SVG, opens offline) with the executive summary, KPIs vs "
            "last month, demand vs supply by family, gaps and recommendations, revenue at risk, "
            "scenarios, forecast accuracy, the attainment leaderboard, pipeline coverage and "
            "the action items of planning/action_items.csv."
        ),
    )
    def sop_meeting_pack(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        run = sop.settings
        items_path = run.landing_dir / ACTION_ITEMS_FILE
        items = read_action_items(items_path) if items_path.exists() else None
        if published_run_month(run.published_dir) == month:
            source, tables = run.published_db_path, {n: f"marts.{n}" for n in PACK_TABLES}
        else:
            source, tables = run.warehouse_path, {n: PUBLISHED_TABLES[n] for n in PACK_TABLES}
        with connect(source, read_only=True) as con:
            pack = render_meeting_pack(con, month, tables, items)
        path = write_meeting_pack(pack, run.reports_dir, month)
        context.log.info(f"S&OP meeting pack: {path}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "read_from": dg.MetadataValue.path(str(source)),
                "charts": dg.MetadataValue.json(pack.charts),
                "summary": dg.MetadataValue.md(pack.summary_markdown),
            }
        )

    return dg.Definitions(assets=[sop_meeting_pack])
