"""Read and check ``planning/overrides.csv``, the planners' consensus adjustments (SPEC.md §1).

An override is typed by a person for the S&OP meeting, so every problem is
reported back to that person as a sentence that names the file, the line and
the column, and nothing is coerced silently: a row that cannot be read
exactly as meant is rejected, never guessed at.

Checks happen in two steps because they need different knowledge:

* :func:`parse_overrides` needs only the file: one of product_id or family,
  month as the first day of a month, adjustment_type ``pct`` or ``units``, a
  finite value (above -100 for ``pct``), a reason and an author;
* :func:`validate_against_plan` needs the product master and the run: the
  product or family must exist, and the month must lie in the plan horizon.

Line numbers are file line numbers (the header is line 1), so a planner can
go straight to the line in a text editor. A row may have several problems;
each is reported, so one round of fixes is enough. Rows whose fields are
all blank (spreadsheet exports leave them) carry nothing and are skipped.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

SOURCE = "planning/overrides.csv"
REQUIRED_COLUMNS = (
    "product_id",
    "family",
    "month",
    "adjustment_type",
    "value",
    "reason",
    "submitted_by",
)
ADJUSTMENT_TYPES = ("pct", "units")
OVERRIDE_COLUMNS = [
    "line",
    "product_id",
    "family",
    "month",
    "adjustment_type",
    "value",
    "reason",
    "submitted_by",
]
EXTRA_FIELDS = "(extra fields)"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Python's float() also reads "nan", "inf" and "1_000"; a planner's number is none of these.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class OverrideFileError(ValueError):
    """The overrides file cannot be read at all (no header, or a required column is missing)."""


@dataclass(frozen=True)
class OverrideRejection:
    """One problem with one override row, kept so it can be shown to the person who typed it.

    Attributes
    ----------
    line : int
        File line number of the row (the header is line 1).
    column : str
        The column at fault.
    value : str
        The value as typed (trimmed).
    reason : str
        Why it is refused, phrased to follow the quoted value.
    source : str
        The file, as the planner knows it.
    expired : bool
        The row is for a month the run no longer plans (at or before the run
        month). Not an error: overrides.csv keeps its history, so last
        month's adjustments expire rather than fail every later run.
    """

    line: int
    column: str
    value: str
    reason: str
    source: str = SOURCE
    expired: bool = False

    @property
    def message(self) -> str:
        """The rejection as one sentence, e.g. for a log line or the meeting pack."""
        return f"{self.source} line {self.line}, column {self.column}: '{self.value}' {self.reason}"


def _empty_overrides() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line": pd.Series(dtype="int64"),
            "product_id": pd.Series(dtype=object),
            "family": pd.Series(dtype=object),
            "month": pd.Series(dtype=object),
            "adjustment_type": pd.Series(dtype=object),
            "value": pd.Series(dtype="float64"),
            "reason": pd.Series(dtype=object),
            "submitted_by": pd.Series(dtype=object),
        }
    )


def _parse_month(text: str) -> tuple[date | None, str | None]:
    """The month of a field, or why it is not one."""
    try:
        day = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        return None, "is not a date (YYYY-MM-DD)"
    if day.day != 1:
        first = day.replace(day=1)
        return None, (
            f"is not the first day of a month (write {first.isoformat()} for {first:%B %Y})"
        )
    return day, None


def _parse_value(text: str, kind: str | None) -> tuple[float | None, str | None]:
    """The value of a field, or why it is not usable for this adjustment type."""
    number = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(number):
        return None, "is not a finite number"
    if kind == "pct" and number <= -100:
        return None, (
            "is -100 or less: a pct override is in percent and would leave no demand "
            "or negative demand (use units to take out a known quantity)"
        )
    return number, None


def _check_row(
    line: int, fields: dict[str, str], source: str
) -> tuple[dict[str, object] | None, list[OverrideRejection]]:
    """One accepted override, or every reason the row is refused."""
    problems: list[OverrideRejection] = []

    def refuse(column: str, reason: str) -> None:
        problems.append(OverrideRejection(line, column, fields[column], reason, source))

    product, family = fields["product_id"], fields["family"]
    if product and family:
        refuse("family", f"is filled together with product_id '{product}': fill exactly one")
    elif not product and not family:
        refuse("product_id", "is empty and so is family: fill exactly one of them")

    month, why = _parse_month(fields["month"])
    if why:
        refuse("month", why)

    kind = fields["adjustment_type"].lower()
    if kind not in ADJUSTMENT_TYPES:
        refuse("adjustment_type", "is not an adjustment type (pct or units)")
    value, why = _parse_value(fields["value"], kind)
    if why:
        refuse("value", why)

    if not fields["reason"]:
        refuse("reason", "is empty: the S&OP meeting needs the reason for every override")
    if not fields["submitted_by"]:
        refuse("submitted_by", "is empty: every override needs its author")

    if problems:
        return None, problems
    return {
        "line": line,
        "product_id": product or None,
        "family": family or None,
        "month": month,
        "adjustment_type": kind,
        "value": value,
        "reason": fields["reason"],
        "submitted_by": fields["submitted_by"],
    }, []


def parse_overrides(
    text: str, source: str = SOURCE
) -> tuple[pd.DataFrame, list[OverrideRejection]]:
    """Accepted overrides and rejections from the text of ``planning/overrides.csv``.

    Fields are read as text and trimmed; column order is free and extra
    columns are ignored (SPEC.md §1).

    Parameters
    ----------
    text : str
        The whole file. A leading byte-order mark (Excel's UTF-8 export) is dropped.
    source : str
        The file name used in messages.

    Returns
    -------
    overrides : DataFrame
        One row per accepted line: line, product_id (None for a family
        override), family (None for a product override), month
        (``datetime.date``, first of month), adjustment_type (``'pct'`` or
        ``'units'``), value (float; percent for ``pct``), reason, submitted_by.
    rejections : list of OverrideRejection
        One per problem found, in file order.

    Raises
    ------
    OverrideFileError
        When the file has no header or lacks a required column: no row can be
        trusted then, so the run must stop rather than plan without them.

    Examples
    --------
    >>> text = (
    ...     "product_id,family,month,adjustment_type,value,reason,submitted_by\\n"
    ...     "P1,,2025-07-01,PCT,15,Promotion,Ann\\n"
    ...     ",Pumps,2025-07-15,units,40,Tender,Bob\\n"
    ... )
    >>> overrides, rejections = parse_overrides(text)
    >>> overrides[["line", "product_id", "adjustment_type", "value"]]
       line product_id adjustment_type  value
    0     2         P1             pct   15.0
    >>> print(rejections[0].message)
    planning/overrides.csv line 3, column month: '2025-07-15' is not the first day of a month (write 2025-07-01 for July 2025)
    """  # noqa: E501
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if not header or not any(name.strip() for name in header):
        raise OverrideFileError(f"{source} has no header row")
    names = [name.strip() for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        listed = ", ".join(f"'{column}'" for column in missing)
        raise OverrideFileError(f"{source} is missing required column(s) {listed}")
    position = {column: names.index(column) for column in REQUIRED_COLUMNS}

    accepted: list[dict[str, object]] = []
    rejections: list[OverrideRejection] = []
    while True:
        line = reader.line_num + 1  # a quoted field may span lines: the row starts here
        row = next(reader, None)
        if row is None:
            break
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) > len(names):
            extra = ",".join(cells[len(names) :])
            rejections.append(
                OverrideRejection(
                    line,
                    EXTRA_FIELDS,
                    extra,
                    f"is beyond the header's {len(names)} columns "
                    "(a comma in a field that is not quoted?)",
                    source,
                )
            )
            continue
        cells += [""] * (len(names) - len(cells))
        fields = {column: cells[index] for column, index in position.items()}
        override, problems = _check_row(line, fields, source)
        rejections.extend(problems)
        if override is not None:
            accepted.append(override)

    if not accepted:
        return _empty_overrides(), rejections
    frame = pd.DataFrame(accepted, columns=OVERRIDE_COLUMNS)
    return frame.astype({"line": "int64", "value": "float64"}), rejections


def _filled(value: object) -> bool:
    """Whether an id field holds an id: frames read back from storage carry NaN for None."""
    return isinstance(value, str) and value != ""


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def validate_against_plan(
    overrides: pd.DataFrame,
    products: pd.DataFrame,
    run_month: date,
    horizon: int,
    source: str = SOURCE,
) -> tuple[pd.DataFrame, list[OverrideRejection]]:
    """Keep the overrides that point at a known product or family inside the plan horizon.

    An override of an unknown product or family, or of a month the plan does
    not cover, would silently change nothing; rejecting it tells the planner.

    Parameters
    ----------
    overrides : DataFrame
        Accepted rows of :func:`parse_overrides`.
    products : DataFrame
        The product master (``dim_products``): product_id, family.
    run_month : date
        The run month; any day of it is taken as its month.
    horizon : int
        Months planned after the run month: the plan covers run_month + 1
        to run_month + horizon.
    source : str
        The file name used in messages.

    Returns
    -------
    overrides : DataFrame
        The rows without a problem, same columns as the input.
    rejections : list of OverrideRejection
        One per problem found (a row may have two), by line.

    Examples
    --------
    >>> overrides, _ = parse_overrides(
    ...     "product_id,family,month,adjustment_type,value,reason,submitted_by\\n"
    ...     "P9,,2025-07-01,units,5,Tender,Ann\\n"
    ... )
    >>> products = pd.DataFrame({"product_id": ["P1"], "family": ["Pumps"]})
    >>> kept, rejections = validate_against_plan(overrides, products, date(2025, 6, 1), 18)
    >>> len(kept), rejections[0].message
    (0, "planning/overrides.csv line 2, column product_id: 'P9' is not a product of supply/products")
    """  # noqa: E501
    first = _add_months(run_month.replace(day=1), 1)
    last = _add_months(run_month.replace(day=1), horizon)
    known_products = set(products["product_id"].dropna())
    known_families = set(products["family"].dropna())

    rejections: list[OverrideRejection] = []
    keep: list[bool] = []
    for row in overrides.itertuples(index=False):
        problems = []
        month = pd.Timestamp(row.month).date()
        if _filled(row.product_id) and row.product_id not in known_products:
            problems.append(("product_id", row.product_id, "is not a product of supply/products"))
        if _filled(row.family) and row.family not in known_families:
            problems.append(("family", row.family, "is not a family of supply/products"))
        expired = month < first
        if not first <= month <= last:
            problems.append(
                (
                    "month",
                    month.isoformat(),
                    f"is outside the plan horizon {first.isoformat()} to {last.isoformat()} "
                    f"(the {horizon} months after run month {run_month:%Y-%m})"
                    + (": the override has expired and is not applied" if expired else ""),
                )
            )
        rejections.extend(
            OverrideRejection(int(row.line), column, value, reason, source, expired=expired)
            for column, value, reason in problems
        )
        keep.append(not problems)
    kept = overrides[pd.Series(keep, index=overrides.index, dtype=bool)]
    return kept.reset_index(drop=True), rejections
