"""planning/action_items.csv: the meeting's own to-do list, read and checked.

Planners edit this file by hand between meetings, so a typo must stop with a message
that says where it is (file, line, column) rather than print a wrong overdue flag.
The csv module reads it, not pandas, because it knows the line each record started on
even when a quoted note spans lines.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd

REQUIRED_COLUMNS = ("title", "owner", "due_date", "status")
COLUMNS = ("action_id", "title", "owner", "due_date", "status", "notes")
STATUSES = ("open", "in progress", "done")


class ActionItemsError(ValueError):
    """The action items file breaks its format; the message names file, line and column."""


def read_action_items(path: Path) -> pd.DataFrame:
    """The action items of `path`, due_date as a date (None when blank), status lower-case.

    Columns: action_id, title, owner, due_date, status, notes (the optional ones
    empty when the file lacks them). Raises ActionItemsError for a missing column, a
    date that is not YYYY-MM-DD or an unknown status.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        _check_header(path, reader.fieldnames)
        records = [_parse_row(path, _first_line(reader.line_num, row), row) for row in reader]
    return pd.DataFrame(records, columns=list(COLUMNS))


def _first_line(last_line: int, row: dict[str | None, object]) -> int:
    """The line a record starts on: the reader counts to its last line, and a quoted
    field may hold line breaks (blank lines before it are skipped, so counting forward
    would drift)."""
    breaks = sum(value.count("\n") for value in row.values() if isinstance(value, str))
    return last_line - breaks


def _check_header(path: Path, fieldnames: list[str] | None) -> None:
    present = {name.strip() for name in fieldnames or []}
    missing = [name for name in REQUIRED_COLUMNS if name not in present]
    if missing:
        raise ActionItemsError(
            f"{path}: line 1 (header): missing column {', '.join(repr(n) for n in missing)}; "
            f"required: {', '.join(REQUIRED_COLUMNS)}"
        )


def _parse_row(path: Path, line: int, row: dict[str | None, object]) -> dict[str, object]:
    # Cells beyond the header land under the key None; the contract ignores extras.
    values = {
        key.strip(): (value or "").strip()
        for key, value in row.items()
        if key is not None and not isinstance(value, list)
    }
    return {
        "action_id": values.get("action_id", ""),
        "title": values["title"],
        "owner": values["owner"],
        "due_date": _parse_date(path, line, values["due_date"]),
        "status": _parse_status(path, line, values["status"]),
        "notes": values.get("notes", ""),
    }


def _parse_date(path: Path, line: int, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ActionItemsError(
            f"{path}: line {line}, column 'due_date': {value!r} is not a date (YYYY-MM-DD)"
        ) from None


def _parse_status(path: Path, line: int, value: str) -> str:
    status = " ".join(value.lower().replace("_", " ").split())
    if status not in STATUSES:
        raise ActionItemsError(
            f"{path}: line {line}, column 'status': {value!r} is not one of {', '.join(STATUSES)}"
        )
    return status


def flag_overdue(items: pd.DataFrame, reference_date: date) -> pd.DataFrame:
    """`items` with an `overdue` column: not done and due before `reference_date`."""
    due = pd.to_datetime(items["due_date"])
    flagged = items.copy()
    flagged["overdue"] = (items["status"] != "done") & (due < pd.Timestamp(reference_date))
    return flagged


def status_counts(items: pd.DataFrame) -> dict[str, int]:
    """Items per status in STATUSES order, then the overdue count."""
    counts = {status: int((items["status"] == status).sum()) for status in STATUSES}
    counts["overdue"] = int(items["overdue"].sum())
    return counts
