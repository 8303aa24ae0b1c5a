"""Sections that frame the meeting: executive summary, KPI tiles and action items."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

import pandas as pd

from orchestration.meeting_pack import formatting
from orchestration.meeting_pack.action_items import STATUSES, flag_overdue, status_counts
from orchestration.meeting_pack.context import PackContext
from orchestration.meeting_pack.kpis import KpiTile, previous_month
from orchestration.meeting_pack.render import (
    Column,
    SectionBody,
    note_html,
    table_html,
    text_column,
    tiles_html,
)

NO_ACTION_ITEMS = (
    "No planning/action_items.csv: add one (title, owner, due_date, status) "
    "to follow up the meeting's actions here."
)


def summary_section(sentences: Sequence[str]) -> SectionBody:
    """The generated sentences as a list, easy to read aloud at the start of the meeting."""
    items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in sentences)
    return SectionBody(f'<ul class="summary">{items}</ul>')


def kpi_section(tiles: Sequence[KpiTile], run_month: date) -> SectionBody:
    """The KPI tiles with a line on how the less obvious ones are computed."""
    definitions = note_html(
        "Win rate = won / (won + lost) deals closed in the month. Forecast accuracy = "
        "1 - WAPE of the lag-1 forecast for the month. Projected fill rate = fulfilled / "
        "demand over the baseline horizon, against last month's plan. Inventory value = "
        "opening stock of the plan's first month at unit cost."
    )
    return SectionBody(tiles_html(tiles, run_month, previous_month(run_month)) + definitions)


def action_items_section(ctx: PackContext) -> SectionBody:
    """The action items, overdue ones first with a red badge, and counts by status."""
    if ctx.action_items is None:
        return SectionBody(note_html(NO_ACTION_ITEMS))
    if ctx.action_items.empty:
        return SectionBody(note_html("planning/action_items.csv lists no items."))
    items = _ordered(flag_overdue(ctx.action_items, ctx.reference_date))
    counts = status_counts(items)
    summary = " &middot; ".join(
        f"{html.escape(status.capitalize())}: {counts[status]}" for status in STATUSES
    )
    overdue = (
        f' &middot; <span class="badge overdue">overdue</span> {counts["overdue"]} '
        f"(due before {ctx.reference_date:%Y-%m-%d})"
    )
    table = table_html(items, _ACTION_COLUMNS, lambda row: "overdue" if row["overdue"] else "")
    return SectionBody(f'<p class="counts">{summary}{overdue}</p>{table}')


def _ordered(items: pd.DataFrame) -> pd.DataFrame:
    """Overdue first, then by status (open before done) and due date."""
    rank = {status: n for n, status in enumerate(STATUSES)}
    return (
        items.assign(
            _late=~items["overdue"],
            _status=items["status"].map(rank),
            _due=pd.to_datetime(items["due_date"]),
        )
        .sort_values(["_late", "_status", "_due"], na_position="last", kind="stable")
        .drop(columns=["_late", "_status", "_due"])
    )


def _status_cell(row: pd.Series) -> str:
    badge = ' <span class="badge overdue">overdue</span>' if row["overdue"] else ""
    return html.escape(formatting.text(row["status"])) + badge


_ACTION_COLUMNS = (
    text_column("ID", "action_id"),
    text_column("Title", "title"),
    text_column("Owner", "owner"),
    text_column("Due", "due_date", formatting.day),
    Column("Status", _status_cell),
    text_column("Notes", "notes"),
)
