"""Connections to the DuckDB warehouse that always close.

DuckDB allows one writer per file and a second process that opens the file
fails with a lock error, so every connection here is short-lived and closed
even when the work inside it raises (dagster-duckdb's resource does not).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


def replace_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    date_columns: tuple[str, ...] = (),
) -> None:
    """Replace `table` with `frame` in one statement (tables rebuilt whole by each run).

    `date_columns` (datetime64 in the frame) become DATE columns and text (object)
    columns VARCHAR; both are cast in SQL so that an empty frame still gives the
    table its types (DuckDB reads an empty object column as INTEGER).
    """
    texts = [c for c in frame.columns if frame[c].dtype == object and c not in date_columns]
    casts = ", ".join(
        [f'cast("{c}" as date) as "{c}"' for c in date_columns]
        + [f'cast("{c}" as varchar) as "{c}"' for c in texts]
    )
    select = f"* replace ({casts})" if casts else "*"
    con.register("_incoming", frame)
    try:
        con.execute(f"create schema if not exists {table.split('.')[0]}")
        con.execute(f"create or replace table {table} as select {select} from _incoming")
    finally:
        con.unregister("_incoming")


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    where: str,
    params: list[object],
    date_columns: tuple[str, ...] = (),
) -> None:
    """Replace the rows of `table` matching `where` with `frame`, creating the table if needed.

    Tables that keep history across runs (forecast snapshots, check results)
    are written this way, so re-running a month replaces that month only.
    `date_columns` name the DATE columns of a table whose first frame may be
    empty, where DuckDB could not tell their type from the values.
    """
    schema = table.split(".")[0]
    con.register("_incoming", frame)
    try:
        con.execute(f"create schema if not exists {schema}")
        # DuckDB reads an empty object column as INTEGER; a month with no rows
        # (no overrides yet) must still create its text columns as VARCHAR.
        texts = [
            c
            for c in frame.columns
            if frame[c].dtype == object and frame[c].isna().all() and c not in date_columns
        ]
        casts = ", ".join(
            [f'cast("{c}" as date) as "{c}"' for c in date_columns]
            + [f'cast("{c}" as varchar) as "{c}"' for c in texts]
        )
        select = f"* replace ({casts})" if casts else "*"
        con.execute(f"create table if not exists {table} as select {select} from _incoming limit 0")
        _add_new_columns(con, table)
        con.execute("begin transaction")
        try:
            con.execute(f"delete from {table} where {where}", params)
            con.execute(f"insert into {table} by name select * from _incoming")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    finally:
        con.unregister("_incoming")


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Columns a newer release adds to a kept-history table; older rows read NULL there.

    Snapshot tables outlive releases, so a new column must not make the next
    run fail on `insert by name`, nor force dropping the history.
    """
    existing = {row[0] for row in con.execute(f"describe {table}").fetchall()}
    for name, column_type, *_ in con.execute("describe _incoming").fetchall():
        if name not in existing:
            quoted = '"' + name.replace('"', '""') + '"'
            con.execute(f"alter table {table} add column {quoted} {column_type}")


def to_dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Store month columns as DATE (SPEC: months are dates on their first day)."""
    return frame.assign(**{c: pd.to_datetime(frame[c]).dt.date for c in columns})
