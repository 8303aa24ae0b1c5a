"""GX suites on real loaded tables: clean data passes, each kind of bad data is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations import list_suites, run_suite
from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_BY_NAME
from orchestration.warehouse import connect
from tests.conftest import TINY_LANDING


@pytest.fixture
def raw_orders(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con:
        load_landing_file(con, TINY_LANDING, LANDING_BY_NAME["orders"])
        return con.execute("select * from raw.orders").df()


def _orders_suite():
    return next(s for s in list_suites() if s.name == "raw_orders")


def test_every_suite_names_a_table_and_a_severity() -> None:
    suites = list_suites()
    assert {s.name for s in suites} >= {"raw_orders"}
    for suite in suites:
        assert suite.table.startswith(("raw.", "marts.")) and suite.severity in ("error", "warn")


def test_clean_orders_pass(raw_orders) -> None:
    outcome = run_suite(_orders_suite(), raw_orders)
    assert outcome.passed, outcome.observed
    assert outcome.observed == f"all {outcome.evaluated} expectations passed on 7 rows"


def test_negative_quantity_and_duplicate_line_are_reported(raw_orders) -> None:
    bad = raw_orders.copy()
    bad.loc[0, "quantity"] = -4.0
    bad.loc[1, ["order_id", "product_id"]] = bad.loc[2, ["order_id", "product_id"]].to_numpy()
    outcome = run_suite(_orders_suite(), bad)
    assert not outcome.passed
    assert len(outcome.failures) == 2
    assert "expect_column_values_to_be_between(column=quantity" in outcome.observed
    assert "1 unexpected (e.g. -4.0)" in outcome.observed
    assert "expect_compound_columns_to_be_unique" in outcome.observed
