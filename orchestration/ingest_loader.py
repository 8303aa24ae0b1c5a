"""Load one landing file into `raw.<name>` with declared types, quarantining bad rows.

The loader reads every cell as text first, so nothing is lost to a parser's
guess: a value that does not cast to its declared type, or an empty value in
a required column, sends its row to `quality.quarantine` with a reason a
person can act on. File-level problems (missing file, missing column) raise
`LandingFileError`, whose message names the file and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.landing_contract import Column, LandingFile

QUARANTINE_TABLE = "quality.quarantine"
LOAD_LOG_TABLE = "quality.load_log"


class LandingFileError(Exception):
    """A landing file cannot be loaded at all; the message is meant for a person."""


@dataclass(frozen=True)
class LoadResult:
    """What happened to one landing file: nothing is lost, rows_read = loaded + quarantined."""

    source_file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    extra_columns: tuple[str, ...]


def find_landing_file(landing_dir: Path, spec: LandingFile) -> Path:
    """The CSV or Parquet file for `spec`; exactly one of the two must exist."""
    candidates = [landing_dir / f"{spec.relative_stem}.{ext}" for ext in ("csv", "parquet")]
    present = [p for p in candidates if p.exists()]
    if not present:
        raise LandingFileError(
            f"missing landing file {spec.relative_stem}.csv (or .parquet) in {landing_dir}"
        )
    if len(present) > 1:
        raise LandingFileError(
            f"both {present[0].name} and {present[1].name} exist in {present[0].parent}; "
            "keep only one"
        )
    return present[0]


def landing_reader(path: Path) -> str:
    """DuckDB table function that reads a landing file, every CSV column as text."""
    if path.suffix == ".csv":
        return "read_csv(?, all_varchar = true, header = true, auto_detect = true)"
    return "read_parquet(?)"


def count_records(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Data records in a landing file, counted by reading it again (the audit's own count)."""
    return con.execute(f"select count(*) from {landing_reader(path)}", [str(path)]).fetchone()[0]


def _read_as_text(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Read the file into temp table `_landing`, every column as text, in file order."""
    try:
        con.execute(
            f"create or replace temp table _landing_in as select * from {landing_reader(path)}",
            [str(path)],
        )
    except duckdb.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LandingFileError(f"{path.parent.name}/{path.name} cannot be read: {detail}") from None
    # Names are compared trimmed and case-insensitively; values become trimmed text.
    columns = [row[0] for row in con.execute("describe _landing_in").fetchall()]
    selects = [
        f'nullif(trim(cast("{name}" as varchar)), \'\') as "{name.strip().lower()}"'
        for name in columns
    ]
    con.execute(
        "create or replace temp table _landing as "
        f"select rowid + 1 as _source_row, {', '.join(selects)} from _landing_in"
    )
    con.execute("drop table _landing_in")


def _typed(column: Column) -> str:
    """SQL that casts the text value of `column` to its declared type, NULL if it cannot."""
    ref = f'"{column.name}"'
    if column.type == "TIMESTAMP":
        # Offsets are honoured and converted to UTC; values without one are taken as UTC.
        return f"cast(try_cast({ref} as timestamptz) as timestamp)"
    return f"try_cast({ref} as {column.type})"


def _problems(column: Column) -> str:
    """SQL that yields a reason when the column's value is unusable, else NULL."""
    ref = f'"{column.name}"'
    label = column.type.split("(")[0].lower()
    invalid = (
        f"when {ref} is not null and {_typed(column)} is null "
        f"then '{column.name}: ''' || {ref} || ''' is not a valid {label}'"
    )
    missing = (
        ""
        if column.nullable
        else f"when {ref} is null then '{column.name}: required value is empty'"
    )
    return f"case {missing} {invalid} end"


def load_landing_file(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, spec: LandingFile
) -> LoadResult:
    """Load `spec`'s file into `raw.<name>` and its bad rows into the quarantine table."""
    path = find_landing_file(landing_dir, spec)
    source_file = str(path.relative_to(landing_dir))
    # Offsets convert to UTC only if the session is in UTC, whatever the machine's zone.
    con.execute("set TimeZone = 'UTC'")
    _read_as_text(con, path)
    present = [row[0] for row in con.execute("describe _landing").fetchall()]
    missing = [name for name in spec.column_names if name not in present]
    if missing:
        raise LandingFileError(
            f"{source_file}: missing required column(s) {', '.join(missing)} "
            f"(found: {', '.join(c for c in present if c != '_source_row')})"
        )
    extras = tuple(c for c in present if c != "_source_row" and c not in spec.column_names)

    problem_list = ", ".join(_problems(c) for c in spec.columns)
    first_bad_column = " ".join(
        f"when ({_problems(c)}) is not null then '{c.name}'" for c in spec.columns
    )
    con.execute(
        "create or replace temp table _checked as select *, "
        f"concat_ws('; ', {problem_list}) as _reason, "
        f"case {first_bad_column} end as _bad_column from _landing"
    )

    typed = ", ".join(f'{_typed(c)} as "{c.name}"' for c in spec.columns)
    extra_sql = "".join(f', "{c}"' for c in extras)
    text_columns = ", ".join(f'"{c}"' for c in present if c != "_source_row")
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quality")
    con.execute(
        f"create table if not exists {QUARANTINE_TABLE} (source_file varchar, row_number bigint, "
        "table_name varchar, column_name varchar, reason varchar, raw_record varchar)"
    )
    con.execute("begin transaction")
    try:
        con.execute(
            f"create or replace table raw.{spec.name} as "
            f"select {typed}{extra_sql}, _source_row from _checked where _reason = '' "
            "order by _source_row"
        )
        # By table, not file: a file that switched from CSV to Parquet leaves no stale rows.
        con.execute(f"delete from {QUARANTINE_TABLE} where table_name = ?", [f"raw.{spec.name}"])
        con.execute(
            f"insert into {QUARANTINE_TABLE} "
            "select ?, _source_row, ?, _bad_column, _reason, "
            f"cast(to_json(struct_pack({text_columns})) as varchar) "
            "from _checked where _reason <> '' order by _source_row",
            [source_file, f"raw.{spec.name}"],
        )
        con.execute(
            f"create table if not exists {LOAD_LOG_TABLE} (source_file varchar, "
            "table_name varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint, "
            "loaded_at timestamp)"
        )
        con.execute(f"delete from {LOAD_LOG_TABLE} where table_name = ?", [f"raw.{spec.name}"])
        con.execute(
            f"insert into {LOAD_LOG_TABLE} select ?, ?, count(*), "
            "count(*) filter (where _reason = ''), count(*) filter (where _reason <> ''), "
            "current_timestamp from _checked",
            [source_file, f"raw.{spec.name}"],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    counts = con.execute(
        f"select rows_read, rows_loaded, rows_quarantined from {LOAD_LOG_TABLE} "
        "where table_name = ?",
        [f"raw.{spec.name}"],
    ).fetchone()
    con.execute("drop table _landing; drop table _checked")
    rows_read, rows_loaded, rows_quarantined = counts
    if rows_read != rows_loaded + rows_quarantined:
        raise AssertionError(
            f"{source_file}: {rows_read} read != {rows_loaded} + {rows_quarantined}"
        )
    return LoadResult(source_file, rows_read, rows_loaded, rows_quarantined, extras)
