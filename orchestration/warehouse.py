"""Connections to the DuckDB warehouse that always close.

DuckDB allows one writer per file and a second process that opens the file
fails with a lock error, so every connection here is short-lived and closed
even when the work inside it raises (dagster-duckdb's resource does not).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse with UTC as the session time zone, and close it afterwards."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class TableWrite:
    """New contents for one table: the whole table, or the rows that match `where`.

    `where` None rebuilds the table from `frame` (tables rebuilt whole by each
    run); otherwise the rows matching `where` (with `params`) are replaced by
    `frame` and the others kept (tables that keep history across runs, so a
    re-run of a month replaces that month only), and the table is created
    when missing. `date_columns` (datetime64 or dates in the frame) become
    DATE columns; text columns become VARCHAR even when empty, where DuckDB
    would read an all-null object column as INTEGER.
    """

    table: str
    frame: pd.DataFrame
    where: str | None = None
    params: Sequence[object] = ()
    date_columns: tuple[str, ...] = ()


def replace_tables(con: duckdb.DuckDBPyConnection, writes: Sequence[TableWrite]) -> None:
    """Apply every write of `writes` in one transaction: all tables change, or none.

    An asset that writes a pair of tables (a forecast and its family level, a
    plan and its capacity utilization) must never leave one new and one old
    when the second write fails, or a reader joins this month's plan to last
    month's utilization. DuckDB's DDL is transactional, so creating a table
    or adding a column rolls back too.
    """
    con.execute("begin transaction")
    try:
        for write in writes:
            _write(con, write)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    where: str,
    params: list[object],
    date_columns: tuple[str, ...] = (),
) -> None:
    """Replace the rows of `table` matching `where` with `frame`, creating the table if needed.

    One table; see `replace_tables` for several in one transaction.
    """
    replace_tables(con, [TableWrite(table, frame, where, params, date_columns)])


def _write(con: duckdb.DuckDBPyConnection, write: TableWrite) -> None:
    """One write of `replace_tables`, inside its transaction."""
    frame, table = write.frame, write.table
    # A whole table takes VARCHAR for every text column; a kept table only needs the
    # cast where a column is all null (the first month with no overrides, say).
    texts = [
        c
        for c in frame.columns
        if frame[c].dtype == object
        and c not in write.date_columns
        and (write.where is None or frame[c].isna().all())
    ]
    casts = ", ".join(
        [f'cast("{c}" as date) as "{c}"' for c in write.date_columns]
        + [f'cast("{c}" as varchar) as "{c}"' for c in texts]
    )
    select = f"* replace ({casts})" if casts else "*"
    con.register("_incoming", frame)
    try:
        con.execute(f"create schema if not exists {table.split('.')[0]}")
        if write.where is None:
            con.execute(f"create or replace table {table} as select {select} from _incoming")
            return
        con.execute(f"create table if not exists {table} as select {select} from _incoming limit 0")
        _add_new_columns(con, table, select)
        con.execute(f"delete from {table} where {write.where}", list(write.params))
        con.execute(f"insert into {table} by name select * from _incoming")
    finally:
        con.unregister("_incoming")


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: str, select: str) -> None:
    """Columns a newer release adds to a kept-history table; older rows read NULL there.

    Snapshot tables outlive releases, so a new column must not make the next
    run fail on `insert by name`, nor force dropping the history. The types
    are those of `select` (the casts of `_write`), so a new DATE column that
    arrives in an empty frame is added as DATE, not as DuckDB's INTEGER.
    """
    existing = {row[0] for row in con.execute(f"describe {table}").fetchall()}
    incoming = con.execute(f"describe select {select} from _incoming").fetchall()
    for name, column_type, *_ in incoming:
        if name not in existing:
            quoted = '"' + name.replace('"', '""') + '"'
            con.execute(f"alter table {table} add column {quoted} {column_type}")


def to_dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Store month columns as DATE (SPEC: months are dates on their first day)."""
    return frame.assign(**{c: pd.to_datetime(frame[c]).dt.date for c in columns})
