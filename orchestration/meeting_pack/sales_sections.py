"""Sections on the sales side: the quota leaderboard and pipeline coverage."""

from __future__ import annotations

from orchestration.meeting_pack import charts, data, formatting
from orchestration.meeting_pack.context import PackContext
from orchestration.meeting_pack.render import (
    SectionBody,
    figure_html,
    note_html,
    paragraph_html,
    table_html,
    text_column,
)

LEADERBOARD_SIZE = 10


def leaderboard_section(ctx: PackContext) -> SectionBody:
    """The top reps of the run month by quota attainment: table and bar chart."""
    top = data.leaderboard(ctx.source, ctx.run_month, LEADERBOARD_SIZE)
    if top.empty:
        return SectionBody(
            note_html(
                f"No ranked reps for {formatting.month_long(ctx.run_month)}: "
                "no rep has a quota for the month."
            )
        )
    parts = [
        table_html(top, _LEADERBOARD_COLUMNS),
        figure_html(
            "leaderboard",
            charts.leaderboard_chart(top),
            "Quota attainment of the top reps; the dotted line is 100% of quota.",
        ),
    ]
    return SectionBody("".join(parts), ("leaderboard",))


_LEADERBOARD_COLUMNS = (
    text_column("Rank", "company_rank", formatting.amount, numeric=True),
    text_column("Rep", "rep_name"),
    text_column("Team", "team"),
    text_column("Region", "region"),
    text_column("Quota", "quota_amount", formatting.amount, numeric=True),
    text_column("Bookings", "bookings_amount", formatting.amount, numeric=True),
    text_column("Attainment", "attainment", formatting.ratio, numeric=True),
)


def pipeline_coverage_section(ctx: PackContext) -> SectionBody:
    """Company coverage for the run month's quarter and the next: table and chart."""
    coverage = data.pipeline_coverage(ctx.source, ctx.run_month)
    if coverage.empty:
        start = formatting.quarter(data.quarter_start(ctx.run_month))
        return SectionBody(note_html(f"No open pipeline or quota for the quarters from {start}."))
    parts = [
        paragraph_html(
            "Coverage = open pipeline closing in the quarter / quota still to book "
            "(quarter quota - bookings to date), summed over all reps."
        ),
        table_html(coverage, _COVERAGE_COLUMNS),
        figure_html(
            "pipeline-coverage",
            charts.coverage_chart(coverage),
            "Company pipeline coverage by quarter; the dotted line is 1x.",
        ),
    ]
    return SectionBody("".join(parts), ("pipeline-coverage",))


_COVERAGE_COLUMNS = (
    text_column("Quarter", "quarter_start", formatting.quarter),
    text_column("Open pipeline", "open_pipeline_amount", formatting.amount, numeric=True),
    text_column("Quota", "quota_amount", formatting.amount, numeric=True),
    text_column("Bookings to date", "bookings_amount", formatting.amount, numeric=True),
    text_column("Quota to book", "remaining_quota_amount", formatting.amount, numeric=True),
    text_column("Coverage", "coverage", formatting.coverage, numeric=True),
)
