"""A handful of deliberately malformed values, to show quarantine in the demo.

Real exports contain the odd impossible date, a placeholder where a number
belongs, a relative date typed by hand or a number with thousands
separators. The demo injects a few such values into leaf files only (orders,
activities, quotas), so that quarantining those rows leaves no other row
without its parent. Each injected value is one that cannot be cast to the
column's declared type; everything else in the demo casts cleanly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from orchestration.demo.writer import Injection, render_column

Tables = Mapping[str, Mapping[str, np.ndarray]]


def choose_bad_rows(rng: np.random.Generator, tables: Tables) -> dict[str, list[Injection]]:
    """Injections per file name: (0-based data row, column, malformed text)."""
    out: dict[str, list[Injection]] = {}

    orders = tables["orders"]
    dates = render_column("DATE", orders["order_date"])
    february = np.flatnonzero(np.strings.slice(dates, 5, 7) == "02")
    row = int(february[rng.integers(0, february.size)]) if february.size else 0
    year = str(dates[row])[:4]
    other = _other_row(rng, orders["order_date"].size, {row})
    out["orders"] = [(row, "order_date", f"{year}-02-30"), (other, "quantity", "N/A")]

    activities = tables["activities"]
    n = activities["activity_at"].size
    row = int(rng.integers(0, n))
    meetings = np.flatnonzero(activities["activity_type"] == "meeting")
    meetings = meetings[meetings != row]
    meeting = (
        int(meetings[rng.integers(0, meetings.size)])
        if meetings.size
        else _other_row(rng, n, {row})
    )
    minutes = activities["duration_minutes"][meeting]
    minutes = 45 if np.isnan(minutes) else int(minutes)
    out["activities"] = [
        (row, "activity_at", "yesterday"),
        (meeting, "duration_minutes", f"{minutes} min"),
    ]

    quotas = tables["quotas"]
    big = np.flatnonzero(quotas["quota_amount"] >= 1000)
    row = int(big[rng.integers(0, big.size)]) if big.size else 0
    out["quotas"] = [(row, "quota_amount", f"{max(quotas['quota_amount'][row], 1000.0):,.2f}")]
    return out


def _other_row(rng: np.random.Generator, n: int, taken: set[int]) -> int:
    """A row not in `taken` (the files are never that small)."""
    row = int(rng.integers(0, n))
    while row in taken and n > len(taken):
        row = (row + 1) % n
    return row
