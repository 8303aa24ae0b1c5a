"""Vectorized conversions of Salesforce cell text to the landing files' spellings.

Every function takes and returns a pandas Series of text (missing values are
`pd.NA`). A value that cannot be converted is returned unchanged, so the
loader quarantines it with the original text instead of it turning silently
into an empty cell.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

TRUE_TEXT = frozenset({"true", "1", "t", "yes", "y"})
FALSE_TEXT = frozenset({"false", "0", "f", "no", "n"})


def match_key(text: pd.Series) -> pd.Series:
    """Spelling-insensitive form: lower case without spaces, hyphens or underscores.

    The same rule as dbt's `canonical_value` macro, so 'closed_won' and
    'Closed Won' are one stage here and in staging.
    """
    return text.str.lower().str.replace(r"[\s\-_]", "", regex=True)


def literal_key(text: str) -> str:
    """`match_key` of one literal, for building lookup tables."""
    return match_key(pd.Series([text])).iloc[0]


def lookup_values(text: pd.Series, mapping: Mapping[str, str]) -> pd.Series:
    """`text` mapped through `mapping` (keys matched by `match_key`); NA where nothing matched."""
    lookup = {literal_key(k): v for k, v in mapping.items()}
    return match_key(text).map(lookup).astype("string")


def map_values(text: pd.Series, mapping: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map `text` through `mapping` (keys matched by `match_key`).

    Returns the mapped values, with unmatched values kept as landed, and a
    boolean Series marking the unmatched non-empty values.
    """
    mapped = lookup_values(text, mapping)
    unmatched = (text.notna() & mapped.isna()).fillna(False).astype(bool)
    return mapped.fillna(text).astype("string"), unmatched


def to_bool(text: pd.Series) -> pd.Series:
    """'true'/'false' from Salesforce's and Fivetran's boolean spellings; others kept."""
    lowered = text.str.lower()
    out = text.astype("string").copy()
    out[lowered.isin(TRUE_TEXT).fillna(False)] = "true"
    out[lowered.isin(FALSE_TEXT).fillna(False)] = "false"
    return out


def _formatted(text: pd.Series, parsed: pd.Series, formatted: pd.Series) -> pd.Series:
    return formatted.where(parsed.notna(), text).astype("string")


def to_timestamp(text: pd.Series) -> pd.Series:
    """ISO 8601 timestamps converted to UTC and written without offset."""
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    return _formatted(text, parsed, parsed.dt.strftime("%Y-%m-%dT%H:%M:%S"))


def timestamp_to_date(text: pd.Series, timezone: str) -> pd.Series:
    """The calendar date of a timestamp in `timezone` (CreatedDate -> created_date).

    A value that is a date already (a custom Hire_Date__c) is taken as it is.
    """
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    dates = _formatted(text, parsed, parsed.dt.tz_convert(timezone).dt.strftime("%Y-%m-%d"))
    return dates.mask(text.str.len() == 10, to_date(text))


def to_date(text: pd.Series) -> pd.Series:
    """A Salesforce date field (no time zone: CloseDate, ConvertedDate) as YYYY-MM-DD."""
    parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    return _formatted(text, parsed, parsed.dt.strftime("%Y-%m-%d"))


def to_number(text: pd.Series, decimals: int | None = None) -> pd.Series:
    """Numbers as plain text: `decimals` fixed places for money, else shortest form."""
    parsed = pd.to_numeric(text, errors="coerce")
    return number_text(parsed, decimals).where(parsed.notna(), text).astype("string")


def number_text(values: pd.Series, decimals: int | None = None) -> pd.Series:
    """Text of numeric `values` ('600.00' with 2 decimals, '15' or '1.5' without)."""
    pattern = f"{{:.{decimals}f}}" if decimals is not None else "{:.15g}"
    return values.map(lambda v: pattern.format(v) if pd.notna(v) else pd.NA).astype("string")
