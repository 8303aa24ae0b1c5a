"""Assemble the monthly S&OP meeting pack and write it next to the other reports."""

from __future__ import annotations

import calendar
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.meeting_pack import formatting
from orchestration.meeting_pack.action_items import COLUMNS, REQUIRED_COLUMNS
from orchestration.meeting_pack.context import PackContext
from orchestration.meeting_pack.data import TableSource, TableUnavailable
from orchestration.meeting_pack.kpis import KpiTile, kpi_tiles
from orchestration.meeting_pack.overview_sections import (
    action_items_section,
    kpi_section,
    summary_section,
)
from orchestration.meeting_pack.plan_sections import (
    demand_supply_section,
    exceptions_section,
    forecast_accuracy_section,
    revenue_at_risk_section,
    scenarios_section,
)
from orchestration.meeting_pack.render import Section, SectionBody, note_html, page_html
from orchestration.meeting_pack.sales_sections import (
    leaderboard_section,
    pipeline_coverage_section,
)
from orchestration.meeting_pack.summary import executive_summary, gather_facts, summary_markdown


@dataclass(frozen=True)
class MeetingPack:
    """A rendered pack: the HTML file's text, its summary for Dagster, the charts drawn."""

    html: str
    summary_markdown: str
    charts: list[str]
    kpis: list[KpiTile]


# Sections after the summary and the tiles, in the meeting's order: anchor, title, body.
_DATA_SECTIONS: tuple[tuple[str, str, Callable[[PackContext], SectionBody]], ...] = (
    ("demand-supply", "Demand vs supply by family", demand_supply_section),
    ("exceptions", "Gaps and recommendations", exceptions_section),
    ("revenue-at-risk", "Revenue at risk", revenue_at_risk_section),
    ("scenarios", "Scenario comparison and capacity", scenarios_section),
    ("forecast-accuracy", "Forecast accuracy trend", forecast_accuracy_section),
    ("leaderboard", "Quota attainment leaderboard", leaderboard_section),
    ("pipeline-coverage", "Pipeline coverage", pipeline_coverage_section),
    ("action-items", "Action items", action_items_section),
)


def month_end(month: date) -> date:
    """Last day of `month`: the as-of date of its run (SPEC.md section 2)."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def render_meeting_pack(
    con: duckdb.DuckDBPyConnection,
    run_month: date,
    tables: Mapping[str, str],
    action_items: pd.DataFrame | None = None,
    today: date | None = None,
    generated_at: datetime | None = None,
) -> MeetingPack:
    """The meeting pack of `run_month` from the relations `tables` maps logical names to.

    A table that is missing, or a section without rows, yields a note in that section,
    never an error: the pack of a partial run still tells the meeting what it has.
    `action_items` (read_action_items) become overdue after `today`, by default the
    run month's last day. `generated_at` (default now, UTC) is printed in the header.
    """
    ctx = PackContext(
        source=TableSource(con, tables),
        run_month=run_month,
        action_items=None if action_items is None else _complete(action_items),
        reference_date=today or month_end(run_month),
    )
    tiles = kpi_tiles(ctx.source, run_month)
    sentences = executive_summary(run_month, tiles, gather_facts(ctx))
    sections = [
        Section("summary", "Executive summary", summary_section(sentences)),
        Section("kpis", "KPIs vs last month", kpi_section(tiles, run_month)),
        *(Section(anchor, title, _guarded(build, ctx)) for anchor, title, build in _DATA_SECTIONS),
    ]
    title = f"S&OP meeting pack, {formatting.month_long(run_month)}"
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC)
    return MeetingPack(
        html=page_html(title, run_month, stamp, sections),
        summary_markdown=summary_markdown(title, run_month, sentences, tiles),
        charts=[chart for section in sections for chart in section.body.charts],
        kpis=tiles,
    )


def _guarded(build: Callable[[PackContext], SectionBody], ctx: PackContext) -> SectionBody:
    try:
        return build(ctx)
    except TableUnavailable as missing:
        return SectionBody(note_html(str(missing)))


def _complete(items: pd.DataFrame) -> pd.DataFrame:
    """Items with every column the section shows; a frame built by hand may lack the
    optional ones, while lacking a required one is a caller's bug."""
    missing = [column for column in REQUIRED_COLUMNS if column not in items.columns]
    if missing:
        raise ValueError(f"action items lack column(s) {', '.join(missing)}")
    return items.reindex(columns=list(COLUMNS))


def report_path(reports_dir: Path, run_month: date) -> Path:
    """Where the pack of `run_month` lives: reports/sop-YYYY-MM.html."""
    return reports_dir / f"sop-{run_month:%Y-%m}.html"


def write_meeting_pack(pack: MeetingPack, reports_dir: Path, run_month: date) -> Path:
    """Write the pack atomically: a reader (or a browser refresh) sees the old file or
    the new one, never half of it."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    target = report_path(reports_dir, run_month)
    handle, temporary = tempfile.mkstemp(dir=reports_dir, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the report is for everyone who reads reports.
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(pack.html)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
