"""The fct_sop_summary asset on a hand-built warehouse: materiality from the settings,
the fold in the table, and both tables written in one transaction.

The plan is written by hand with SPEC.md's projection (no stock, bought-in products, so
every unit of demand is short and each short month is one `order_supply`); the asset runs
through Dagster on a real DuckDB file.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration import warehouse
from orchestration.resources import SopResource
from orchestration.supply_planning import (
    EXCEPTIONS_TABLE,
    SUMMARY_TABLE,
    build_supply_planning_assets,
)
from tests.conftest import make_settings

RUN = date(2025, 6, 1)
JUL, AUG, SEP = date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)
MONTHS = [JUL, AUG, SEP]
# product: family, unit price, demand in July, August and September
PRODUCTS = {"P1": ("Pumps", 100.0, [12.0, 12.0, 12.0]), "P2": ("Valves", 100.0, [2.0, 0.0, 0.0])}


def _plan(demand: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for product, (family, price, _) in PRODUCTS.items():
        for month, wanted in zip(MONTHS, demand[product], strict=True):
            rows.append(
                {
                    "run_month": RUN,
                    "scenario": "baseline",
                    "product_id": product,
                    "family": family,
                    "resource_id": None,
                    "target_month": month,
                    "opening_qty": 0.0,
                    "receipts_qty": 0.0,
                    "production_qty": 0.0,
                    "demand_qty": wanted,
                    "fulfilled_qty": 0.0,
                    "shortage_qty": wanted,
                    "closing_qty": 0.0,
                    "safety_stock_qty": 0.0,
                    "production_hours": 0.0,
                    "unit_price": price,
                    "revenue_at_risk": wanted * price,
                }
            )
    return pd.DataFrame(rows)


def _write_inputs(path: Path, plan: pd.DataFrame) -> None:
    """The tables the asset reads, as the earlier planning assets and dbt leave them."""
    con = duckdb.connect(str(path))
    try:
        for schema in ("planning", "marts", "staging"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("create or replace table planning.fct_supply_plan as select * from plan")
        con.execute(
            "create or replace table planning.fct_capacity_utilization as "
            "select run_month, scenario, 'R1' as resource_id, target_month, "
            "100.0 as available_hours, 0.0 as planned_hours, 0.0 as utilization "
            "from plan group by all"
        )
        con.execute(
            "create or replace table staging.stg_supply__open_supply (supply_id varchar, "
            "product_id varchar, due_date date, quantity double)"
        )
        con.execute(
            "create or replace table planning.fct_demand_plan as select run_month, product_id, "
            "target_month, demand_qty as statistical_qty, demand_qty as consensus_qty from plan"
        )
        con.execute(
            "create or replace table marts.dim_products as select distinct product_id, "
            "family, 0.0 as hours_per_unit from plan"
        )
        con.execute(
            "create or replace table planning.fct_demand_plan_accuracy (product_id varchar, "
            "target_month date, lag integer, consensus_qty double, actual_qty double)"
        )
    finally:
        con.close()


@pytest.fixture
def settings(tmp_path: Path):
    settings = make_settings(tmp_path)
    _write_inputs(settings.warehouse_path, _plan({p: d for p, (_, _, d) in PRODUCTS.items()}))
    return settings


def _materialize(settings) -> dg.ExecuteInJobResult:
    asset = build_supply_planning_assets(settings)[1]
    return dg.materialize(
        [asset],
        partition_key=RUN.isoformat(),
        resources={"sop": SopResource.from_settings(settings)},
        raise_on_error=False,
    )


def _tables(settings) -> dict[str, list[tuple]]:
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        return {
            table: con.execute(f"select * from {table} order by all").fetchall()
            for table in (SUMMARY_TABLE, EXCEPTIONS_TABLE)
        }


def test_only_material_actions_are_raised_one_row_per_run_of_months(settings) -> None:
    assert (settings.materiality_units, settings.materiality_amount) == (10.0, 1000.0)
    assert _materialize(settings).success
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        found = con.execute(
            f"select product_id, first_month, last_month, months, action, quantity, priority "
            f"from {EXCEPTIONS_TABLE}"
        ).fetchall()
        july = dict(
            con.execute(
                f"select family, recommendation from {SUMMARY_TABLE} where target_month = ?",
                [JUL],
            ).fetchall()
        )
    # P1: 12 units x 100 in each of three months, one row of 36 units and 3,600.
    # P2: 2 units x 100 = 200 in July, below both thresholds: no row.
    assert found == [("P1", JUL, SEP, 3, "order_supply", 36.0, 3600.0)]
    assert july == {
        "Pumps": "Order 12 units to arrive by 2025-07 (bought in, not made): covers 12 of 12 "
        "units short (1,200 of 1,200 revenue at risk)",
        "Valves": "No action: 2 units short, below the materiality thresholds (10 units and 1,000)",
    }

    # At SOP_MATERIALITY_UNITS=2 and SOP_MATERIALITY_AMOUNT=200, P2's July is raised.
    assert _materialize(replace(settings, materiality_units=2, materiality_amount=200)).success
    rows = _tables(settings)[EXCEPTIONS_TABLE]
    assert sorted(row[1] for row in rows) == ["P1", "P2"]


def test_a_failed_second_write_leaves_both_tables_as_they_were(settings, monkeypatch) -> None:
    assert _materialize(settings).success
    before = _tables(settings)
    assert len(before[SUMMARY_TABLE]) == 6 and len(before[EXCEPTIONS_TABLE]) == 1

    # A new plan for the same month (demand doubled), whose exceptions write then fails
    # after the summary's rows were replaced inside the same DuckDB transaction.
    _write_inputs(settings.warehouse_path, _plan({"P1": [24.0] * 3, "P2": [4.0, 0.0, 0.0]}))
    real_write = warehouse._write
    written = []

    def failing_write(con, write):
        if write.table == EXCEPTIONS_TABLE:
            raise RuntimeError("disk full")
        real_write(con, write)
        written.append(write.table)

    monkeypatch.setattr(warehouse, "_write", failing_write)
    assert not _materialize(settings).success
    assert written == [SUMMARY_TABLE]
    assert _tables(settings) == before

    # Without the failure the same run replaces both.
    monkeypatch.setattr(warehouse, "_write", real_write)
    assert _materialize(settings).success
    after = _tables(settings)
    assert after[SUMMARY_TABLE] != before[SUMMARY_TABLE]
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        quantities = con.execute(f"select quantity from {EXCEPTIONS_TABLE}").fetchall()
    assert quantities == [(72.0,)]  # 3 months x 24 units
