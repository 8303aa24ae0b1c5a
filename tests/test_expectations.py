"""GX suites on real loaded tables: clean data passes, each kind of bad data is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations import list_suites, run_suite
from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_BY_NAME
from orchestration.warehouse import connect
from tests.conftest import TINY_LANDING, load_parents


@pytest.fixture
def raw_orders(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con:
        load_parents(con, "orders")
        load_landing_file(con, TINY_LANDING, LANDING_BY_NAME["orders"])
        return con.execute("select * from raw.orders").df()


def _suite(name: str):
    return next(s for s in list_suites() if s.name == name)


def test_every_suite_names_a_table_and_a_severity() -> None:
    suites = {s.name: s for s in list_suites()}
    assert suites["raw_orders"].severity == "error"
    assert suites["raw_orders_signs"].severity == "warn"
    for suite in suites.values():
        assert suite.table.startswith(("raw.", "marts.")) and suite.severity in ("error", "warn")


@pytest.mark.parametrize("name", ["raw_orders", "raw_orders_signs"])
def test_clean_orders_pass(raw_orders, name) -> None:
    outcome = run_suite(_suite(name), raw_orders)
    assert outcome.passed, outcome.observed
    assert outcome.observed == f"all {outcome.evaluated} expectations passed on 7 rows"


def test_a_duplicated_order_line_fails_the_blocking_suite(raw_orders) -> None:
    bad = raw_orders.copy()
    bad.loc[1, ["order_id", "product_id"]] = bad.loc[2, ["order_id", "product_id"]].to_numpy()
    outcome = run_suite(_suite("raw_orders"), bad)
    assert not outcome.passed
    assert outcome.observed == (
        "1 of 7 expectations failed on 7 rows: expect_compound_columns_to_be_unique("
        "column_list=['order_id', 'product_id']): 2 unexpected (e.g. "
        "{'order_id': 'SO3', 'product_id': 'P1'}, {'order_id': 'SO3', 'product_id': 'P1'})"
    )


def test_a_negative_quantity_fails_the_warning_suite(raw_orders) -> None:
    bad = raw_orders.copy()
    bad.loc[0, "quantity"] = -4.0
    assert run_suite(_suite("raw_orders"), bad).passed
    outcome = run_suite(_suite("raw_orders_signs"), bad)
    assert outcome.observed == (
        "1 of 2 expectations failed on 7 rows: expect_column_values_to_be_between("
        "column=quantity, min_value=0.0): 1 unexpected (e.g. -4.0)"
    )
