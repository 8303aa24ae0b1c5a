"""replace_rows: a re-run of a month replaces that month and keeps the others;
replace_tables: several tables change in one transaction, or none does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.warehouse import TableWrite, connect, replace_rows, replace_tables


def _month(month: date, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"run_month": [month] * len(values), "qty": values})


def test_rerunning_a_month_replaces_only_that_month(tmp_path: Path) -> None:
    june, july = date(2025, 6, 1), date(2025, 7, 1)
    with connect(tmp_path / "w.duckdb") as con:
        replace_rows(con, "f.t", _month(june, [1.0, 2.0]), "run_month = ?", [june])
        replace_rows(con, "f.t", _month(july, [3.0]), "run_month = ?", [july])
        replace_rows(con, "f.t", _month(june, [5.0]), "run_month = ?", [june])
        rows = con.execute("select run_month, qty from f.t order by run_month, qty").fetchall()
    assert rows == [(june, 5.0), (july, 3.0)]


def test_a_failed_insert_leaves_the_previous_rows(tmp_path: Path) -> None:
    june = date(2025, 6, 1)
    with connect(tmp_path / "w.duckdb") as con:
        replace_rows(con, "f.t", _month(june, [1.0]), "run_month = ?", [june])
        wrong = pd.DataFrame({"run_month": [june], "qty": ["not a number"]})
        with pytest.raises(duckdb.ConversionException):
            replace_rows(con, "f.t", wrong, "run_month = ?", [june])
        rows = con.execute("select qty from f.t").fetchall()
    assert rows == [(1.0,)]


def _pair(con: duckdb.DuckDBPyConnection) -> list[list[tuple]]:
    return [
        con.execute(f"select * from {table} order by all").fetchall()
        for table in ("f.plan", "f.utilization")
    ]


def test_replace_tables_writes_every_table_or_none(tmp_path: Path) -> None:
    june = date(2025, 6, 1)
    with connect(tmp_path / "w.duckdb") as con:
        replace_tables(
            con,
            [
                TableWrite("f.plan", _month(june, [1.0, 2.0]), "run_month = ?", [june]),
                TableWrite("f.utilization", _month(june, [0.5]), "run_month = ?", [june]),
            ],
        )
        before = _pair(con)
        assert before == [[(june, 1.0), (june, 2.0)], [(june, 0.5)]]
        # The plan's rows are replaced inside the transaction, then the utilization's
        # insert fails on a value DOUBLE cannot take: the plan must roll back too.
        wrong = pd.DataFrame({"run_month": [june], "qty": ["not a number"]})
        with pytest.raises(duckdb.ConversionException):
            replace_tables(
                con,
                [
                    TableWrite("f.plan", _month(june, [7.0]), "run_month = ?", [june]),
                    TableWrite("f.utilization", wrong, "run_month = ?", [june]),
                ],
            )
        assert _pair(con) == before
        # A whole-table rebuild and a new table roll back as well.
        with pytest.raises(duckdb.ConversionException):
            replace_tables(
                con,
                [
                    TableWrite("f.plan", _month(june, [9.0])),
                    TableWrite("g.new", _month(june, [1.0])),
                    TableWrite("f.utilization", wrong, "run_month = ?", [june]),
                ],
            )
        assert _pair(con) == before
        assert con.execute(
            "select count(*) from information_schema.tables where table_name = 'new'"
        ).fetchone() == (0,)
        # The connection is usable afterwards: the next write commits.
        replace_tables(
            con, [TableWrite("f.utilization", _month(june, [0.75]), "run_month = ?", [june])]
        )
        assert _pair(con)[1] == [(june, 0.75)]


def test_a_new_date_column_arriving_empty_is_added_as_date(tmp_path: Path) -> None:
    # A kept table of an older release (target_month), then a month without rows in the
    # new layout (first_month): the column must be DATE so the next month's dates fit.
    may, june, july = date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1)
    with connect(tmp_path / "w.duckdb") as con:
        old = pd.DataFrame({"run_month": [may], "target_month": [june], "qty": [1.0]})
        replace_rows(con, "f.t", old, "run_month = ?", [may])
        empty = pd.DataFrame(
            {
                "run_month": pd.Series(dtype=object),
                "first_month": pd.Series(dtype=object),
                "qty": pd.Series(dtype=float),
            }
        )
        dates = ("run_month", "first_month")
        replace_rows(con, "f.t", empty, "run_month = ?", [june], date_columns=dates)
        new = pd.DataFrame({"run_month": [july], "first_month": [july], "qty": [2.0]})
        replace_rows(con, "f.t", new, "run_month = ?", [july], date_columns=dates)
        types = dict(con.execute("select column_name, column_type from (describe f.t)").fetchall())
        rows = con.execute("select * from f.t order by run_month").fetchall()
    assert types["first_month"] == "DATE"
    assert rows == [(may, june, 1.0, None), (july, None, 2.0, july)]
