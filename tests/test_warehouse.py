"""replace_rows: a re-run of a month replaces that month and keeps the others."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.warehouse import connect, replace_rows


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
