"""Number, ratio and month formats shared by the HTML, the charts and the summary.

One module, so that the executive summary, the KPI tiles and the tables print the
same number the same way: a reader comparing them in the meeting never sees 93.8% in
one place and 0.938 in another.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

MISSING = "n/a"


def is_missing(value: object) -> bool:
    """True for None, NaN and NaT: DuckDB's NULLs arrive in pandas as any of them."""
    if value is None or isinstance(value, str):
        return value is None
    return bool(pd.isna(value))


def amount(value: object) -> str:
    """Money or quantity rounded to a whole number with thousands separators: 1,200."""
    return MISSING if is_missing(value) else f"{float(value):,.0f}"


def ratio(value: object) -> str:
    """A fraction as a percentage with one decimal (SPEC: 1.0 = 100%)."""
    return MISSING if is_missing(value) else f"{float(value):.1%}"


def coverage(value: object) -> str:
    """Pipeline coverage as a multiple, the way sales teams quote it: 1.20x."""
    return MISSING if is_missing(value) else f"{float(value):.2f}\u00d7"


def days(value: object) -> str:
    """Days of cover with one decimal."""
    return MISSING if is_missing(value) else f"{float(value):,.1f}"


def signed_amount(value: object) -> str:
    """A change in money or quantity with its sign: +200, -50."""
    return MISSING if is_missing(value) else f"{float(value):+,.0f}"


def points(value: object) -> str:
    """A difference of ratios in percentage points, unsigned: 10.6 pp."""
    return MISSING if is_missing(value) else f"{float(value) * 100:.1f} pp"


def signed_points(value: object) -> str:
    """A change of a ratio in percentage points: +10.6 pp."""
    return MISSING if is_missing(value) else f"{float(value) * 100:+.1f} pp"


def month_short(value: object) -> str:
    """A month as 'Jun 2025' for tables and chart axes."""
    return MISSING if is_missing(value) else f"{pd.Timestamp(value):%b %Y}"


def month_range(first: object, last: object) -> str:
    """Months from `first` to `last` as 'Jul 2025 to Sep 2025', one month as 'Jul 2025'."""
    start, end = month_short(first), month_short(last)
    return start if start == end else f"{start} to {end}"


def month_long(value: date) -> str:
    """A month as 'June 2025' for headings and sentences."""
    return f"{value:%B %Y}"


def day(value: object) -> str:
    """A date as ISO 8601, the format of the landing files."""
    return "" if is_missing(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def quarter(value: object) -> str:
    """A quarter's first day as '2025 Q2'."""
    stamp = pd.Timestamp(value)
    return f"{stamp.year} Q{stamp.quarter}"


def label(value: object) -> str:
    """A code from the data (an action such as move_capacity) as words: move capacity."""
    return text(value).replace("_", " ")


def text(value: object) -> str:
    """Free text from the data; NULL prints as nothing rather than 'None'."""
    return "" if is_missing(value) else str(value)
