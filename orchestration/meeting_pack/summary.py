"""The executive summary: a few generated sentences with the month's key numbers.

The sentences open the pack and, as markdown, the Dagster materialization, so the
people who only read the first paragraph still get the numbers that matter. Each
sentence degrades on its own when its numbers are missing.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from orchestration.meeting_pack import data, formatting
from orchestration.meeting_pack.action_items import flag_overdue, status_counts
from orchestration.meeting_pack.context import PackContext
from orchestration.meeting_pack.data import TableUnavailable
from orchestration.meeting_pack.kpis import KpiTile, previous_month
from orchestration.meeting_pack.plan_sections import NO_ACCURACY


@dataclass(frozen=True)
class SummaryFacts:
    """Numbers the sentences need beyond the KPI tiles; None where not known."""

    revenue_at_risk: float | None
    # False when fct_sop_exceptions is missing, so "no exceptions" is not claimed.
    exceptions_known: bool
    top_exception: Mapping[str, object] | None
    action_counts: Mapping[str, int] | None


def gather_facts(ctx: PackContext) -> SummaryFacts:
    """Revenue at risk, the top exception and the action item counts of the run."""
    try:
        risk = data.revenue_at_risk(ctx.source, ctx.run_month)
        revenue_at_risk = None if risk.empty else float(risk["revenue_at_risk"].sum())
    except TableUnavailable:
        revenue_at_risk = None
    try:
        top = data.top_exceptions(ctx.source, ctx.run_month, limit=1)
        exceptions_known, top_exception = True, (None if top.empty else top.iloc[0].to_dict())
    except TableUnavailable:
        exceptions_known, top_exception = False, None
    counts = None
    if ctx.action_items is not None and not ctx.action_items.empty:
        counts = status_counts(flag_overdue(ctx.action_items, ctx.reference_date))
    return SummaryFacts(revenue_at_risk, exceptions_known, top_exception, counts)


def executive_summary(run_month: date, tiles: Sequence[KpiTile], facts: SummaryFacts) -> list[str]:
    """Four to six sentences: sales, accuracy, the plan, the top action, the to-do list."""
    by_key = {tile.key: tile for tile in tiles}
    last = formatting.month_long(previous_month(run_month))
    sentences = [
        _bookings_sentence(by_key["bookings"], run_month, last),
        _sales_sentence(by_key["attainment"], by_key["win_rate"], last),
        _accuracy_sentence(by_key["forecast_accuracy"], last),
        _plan_sentence(by_key["fill_rate"], facts.revenue_at_risk),
        _recommendation_sentence(facts),
        _actions_sentence(facts.action_counts),
    ]
    return [sentence for sentence in sentences if sentence]


def _bookings_sentence(tile: KpiTile, run_month: date, last: str) -> str:
    month = formatting.month_long(run_month)
    if tile.value is None:
        return f"No bookings recorded for {month} yet."
    sentence = f"Bookings were {formatting.amount(tile.value)} in {month}"
    if tile.last is None or tile.last <= 0:
        return sentence + "."
    change = tile.value / tile.last - 1
    trend = (
        "level with" if change == 0 else f"{'up' if change > 0 else 'down'} {abs(change):.1%} on"
    )
    return f"{sentence}, {trend} {last} ({formatting.amount(tile.last)})."


def _with_last(tile: KpiTile, last: str) -> str:
    value = tile.format_value(tile.value)
    return value if tile.last is None else f"{value} ({tile.format_value(tile.last)} in {last})"


def _sales_sentence(attainment: KpiTile, win_rate: KpiTile, last: str) -> str | None:
    clauses = []
    if attainment.value is not None:
        clauses.append(f"company quota attainment was {_with_last(attainment, last)}")
    if win_rate.value is not None:
        clauses.append(f"the win rate was {_with_last(win_rate, last)}")
    if not clauses:
        return None
    sentence = " and ".join(clauses)
    return sentence[0].upper() + sentence[1:] + "."


def _accuracy_sentence(tile: KpiTile, last: str) -> str:
    if tile.value is None:
        return NO_ACCURACY
    basis = f"1 - WAPE; {tile.note}" if tile.note else "1 - WAPE"
    sentence = f"Forecast accuracy at lag 1 was {tile.format_value(tile.value)} ({basis})"
    if tile.delta is None:
        return sentence + "."
    if round(tile.delta, 3) == 0:
        return f"{sentence}, level with {last}."
    direction = "up" if tile.delta > 0 else "down"
    return f"{sentence}, {direction} {formatting.points(abs(tile.delta))} on {last}."


def _plan_sentence(fill_rate: KpiTile, revenue_at_risk: float | None) -> str:
    if fill_rate.value is None and revenue_at_risk is None:
        return "No baseline supply plan for this run yet."
    clauses = []
    if fill_rate.value is not None:
        previous = (
            f" ({fill_rate.format_value(fill_rate.last)} in last month's plan)"
            if fill_rate.last is not None
            else ""
        )
        clauses.append(
            f"fills {fill_rate.format_value(fill_rate.value)} of demand over the horizon{previous}"
        )
    if revenue_at_risk is not None:
        clauses.append(f"leaves {formatting.amount(revenue_at_risk)} of revenue at risk")
    return "The baseline plan " + " and ".join(clauses) + "."


def _recommendation_sentence(facts: SummaryFacts) -> str | None:
    if not facts.exceptions_known:
        return None
    top = facts.top_exception
    if top is None:
        return "The baseline plan raises no exceptions."
    sentence = (
        f"Top recommendation (priority {formatting.amount(top['priority'])}): "
        f"{formatting.label(top['action'])} {formatting.text(top['product_id'])} "
        f"({formatting.text(top['family'])}) for "
        f"{formatting.month_range(top['first_month'], top['last_month'])}"
    )
    detail = formatting.text(top["detail"])
    return f"{sentence}: {detail.rstrip('.')}." if detail else f"{sentence}."


def _actions_sentence(counts: Mapping[str, int] | None) -> str | None:
    if counts is None:
        return None
    still_open = counts["open"] + counts["in progress"]
    return f"Action items: {still_open} still open, {counts['overdue']} overdue."


def summary_markdown(
    title: str, run_month: date, sentences: Sequence[str], tiles: Sequence[KpiTile]
) -> str:
    """The summary for Dagster metadata: the sentences, then the KPI tiles as a table."""
    last = formatting.month_short(previous_month(run_month))
    lines = [f"**{title}**", "", *(f"- {_markdown_text(s)}" for s in sentences), ""]
    lines += [
        f"| KPI | {formatting.month_short(run_month)} | {last} | Change |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {tile.label}{f' ({tile.note})' if tile.note else ''} | "
        f"{tile.format_value(tile.value)} | {tile.format_value(tile.last)} "
        f"| {tile.format_delta()} |"
        for tile in tiles
    ]
    return "\n".join(lines) + "\n"


def _markdown_text(sentence: str) -> str:
    """Sentences carry free text from the data: no raw HTML and no table breaks."""
    return html.escape(sentence, quote=False).replace("|", "\\|")
