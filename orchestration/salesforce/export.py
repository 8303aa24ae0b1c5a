"""Find and read the object files of a Salesforce export folder, in any tool's spelling.

A file is found by object name ignoring case and underscores
(`Opportunity.csv`, `opportunity.csv`, `opportunity_history.csv`,
`OPPORTUNITYHISTORY.csv`); its columns are renamed to API names through
`fields.field_key`, and soft-deleted records are set aside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orchestration.salesforce.fields import (
    DELETED_FLAGS,
    detect_spelling,
    field_key,
    object_fields,
    required_fields,
)
from orchestration.salesforce.values import to_bool


class SalesforceExportError(Exception):
    """The export folder cannot be converted; the message names the file and the field."""


@dataclass(frozen=True)
class ObjectExport:
    """One object's records, columns named by API name (absent optional fields are empty)."""

    sf_object: str
    path: Path
    spelling: str
    records: pd.DataFrame
    deleted_ids: frozenset[str]
    deleted_rows: int
    # Fields the adapter asked for that are not columns of the file (read as all empty).
    absent_fields: frozenset[str] = frozenset()


def find_object_file(export_dir: Path, sf_object: str) -> Path | None:
    """The CSV file holding `sf_object` in `export_dir`, or None; two candidates is an error."""
    candidates = sorted(
        p for p in export_dir.glob("*.csv") if field_key(p.stem) == field_key(sf_object)
    )
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise SalesforceExportError(f"{sf_object}: several files in {export_dir} ({names})")
    return candidates[0] if candidates else None


def _read_text(path: Path) -> pd.DataFrame:
    # Data Loader writes a byte-order mark; every value is text until converted on purpose.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame.apply(lambda column: column.str.strip()).astype("string")
    return frame.replace("", pd.NA)


def read_object(
    export_dir: Path, sf_object: str, extra_fields: Iterable[str] = ()
) -> ObjectExport | None:
    """Read `sf_object` with its mapped fields and `extra_fields`; None if not exported."""
    path = find_object_file(export_dir, sf_object)
    if path is None:
        return None
    raw = _read_text(path)
    by_key: dict[str, str] = {}
    for column in raw.columns:
        if field_key(column) in by_key:
            raise SalesforceExportError(
                f"{path.name}: columns '{by_key[field_key(column)]}' and '{column}' "
                "are the same field in different spellings"
            )
        by_key[field_key(column)] = column
    missing = [f for f in required_fields(sf_object) if field_key(f) not in by_key]
    if missing:
        raise SalesforceExportError(
            f"{path.name}: missing required Salesforce field(s) "
            f"{', '.join(f'{f} (Fivetran: {_snake(f)})' for f in missing)}"
        )
    wanted = dict.fromkeys([*object_fields(sf_object), *extra_fields, *DELETED_FLAGS])
    records = pd.DataFrame(
        {
            name: raw[by_key[field_key(name)]]
            if field_key(name) in by_key
            else pd.Series(pd.NA, index=raw.index, dtype="string")
            for name in wanted
        },
        index=raw.index,
    )
    deleted = pd.concat([to_bool(records[flag]) == "true" for flag in DELETED_FLAGS], axis=1)
    is_deleted = deleted.any(axis=1).fillna(False).astype(bool)
    deleted_ids = records.loc[is_deleted, "Id"].dropna() if "Id" in records else []
    return ObjectExport(
        sf_object=sf_object,
        path=path,
        spelling=detect_spelling(list(raw.columns)),
        records=records.loc[~is_deleted].drop(columns=list(DELETED_FLAGS)).reset_index(drop=True),
        deleted_ids=frozenset(deleted_ids),
        deleted_rows=int(is_deleted.sum()),
        absent_fields=frozenset(
            name for name in wanted if name not in DELETED_FLAGS and field_key(name) not in by_key
        ),
    )


def _snake(api_name: str) -> str:
    """Fivetran's spelling of an API name, for messages: `StageName` -> `stage_name`."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in api_name).lstrip("_")
    return snake.replace("__", "_")
