"""Returns per month, for the run summary.

A negative order line is a return (SPEC.md section 1): a normal ERP fact,
never quarantined or warned about, so the only place a person sees how many
there were is the summary of the run. The numbers come from the order lines
as dbt staged them (`staging.stg_supply__orders`), the same lines whose
negative quantities `fct_demand_history.returned_qty` sums, and only the
lines dated in the months asked for count (nothing after the run month's
last day, as in the run's actuals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.warehouse import connect

ORDER_LINES = "staging.stg_supply__orders"


@dataclass(frozen=True)
class MonthReturns:
    """Return lines of one month, beside the units ordered (gross demand) that month."""

    month: date
    return_lines: int
    returned_qty: float
    credited_amount: float  # sum of the returns' net_amount, as a positive number
    ordered_qty: float

    @property
    def returned_share(self) -> float | None:
        """Returned units / units ordered in the month; None when nothing was ordered."""
        return self.returned_qty / self.ordered_qty if self.ordered_qty else None


def _shift(month: date, months: int) -> date:
    key = month.year * 12 + month.month - 1 + months
    return date(key // 12, key % 12 + 1, 1)


def returns_by_month(
    warehouse: Path | duckdb.DuckDBPyConnection, month: date, months: int = 1
) -> list[MonthReturns]:
    """Return lines, units and credits of the `months` months ending with `month`, oldest first.

    `warehouse` is the warehouse file (opened read-only and closed again) or an
    open connection to it. Every month is listed, with zeros when it had no
    return. An empty list when there are no staged order lines to read (no
    warehouse yet, or a run that stopped before dbt built staging).
    """
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    first, last = _shift(month.replace(day=1), 1 - months), month.replace(day=1)
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        rows = _query(warehouse, first, _shift(last, 1))
    elif not Path(warehouse).exists():
        return []
    else:
        with connect(Path(warehouse), read_only=True) as con:
            rows = _query(con, first, _shift(last, 1))
    if rows is None:
        return []
    found = {row[0]: row[1:] for row in rows}
    listed = []
    for k in range(months):
        start = _shift(first, k)
        lines, returned, credited, ordered = found.get(start, (0, 0.0, 0.0, 0.0))
        listed.append(
            MonthReturns(start, int(lines), float(returned), float(credited), float(ordered))
        )
    return listed


def _query(con: duckdb.DuckDBPyConnection, first: date, end: date) -> list[tuple] | None:
    """Per month in [first, end): return lines, returned units, credit, units ordered."""
    try:
        return con.execute(
            f"""
            select
                cast(date_trunc('month', order_date) as date) as month,
                count(*) filter (where quantity < 0),
                coalesce(sum(-quantity) filter (where quantity < 0), 0),
                coalesce(sum(-net_amount) filter (where quantity < 0), 0),
                coalesce(sum(quantity) filter (where quantity > 0), 0)
            from {ORDER_LINES}
            where order_date >= ? and order_date < ?
            group by 1
            """,
            [first, end],
        ).fetchall()
    except duckdb.CatalogException:
        return None


def render_returns(rows: Sequence[MonthReturns]) -> list[str]:
    """Summary lines: a heading, then one line per month (empty when `rows` is empty)."""
    if not rows:
        return []
    lines = ["Returns (negative order lines, kept: quantity is gross demand, returned_qty these):"]
    for row in rows:
        share = (
            "" if row.returned_share is None else f" ({row.returned_share:.1%} of units ordered)"
        )
        lines.append(
            f"  {row.month:%Y-%m}: {row.return_lines:,} line(s), {_units(row.returned_qty)} "
            f"unit(s){share}, {row.credited_amount:,.2f} credited"
        )
    return lines


def _units(value: float) -> str:
    """Whole units without decimals (the usual case), fractional ones with two."""
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"
