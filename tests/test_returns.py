"""Returns are demand data: kept at ingest, passed by every check, counted apart from demand.

The tiny landing gets five return lines (negative quantity and net amount,
SPEC.md section 1) and goes through the real loader, the real GX suites,
`sop validate` and the real dbt models and tests of the demand history for
June 2025. Every number below is computed by hand from the order lines:

    SO1 2025-03-05 P1 EMEA  10  100.00    RT1 2025-03-28 P1 EMEA  -4  -40.00 (part of SO1)
    SO2 2025-03-20 P1 EMEA   5   50.00    RT2 2025-04-02 P1 EMEA  -5  -50.00 (all of SO2)
    SO3 2025-05-10 P1 EMEA   7   70.00    RT3 2025-06-16 P1 APAC  -3  -30.00 (all of SO4)
    SO4 2025-06-01 P1 APAC   3   30.00    RT4 2025-05-20 P2 EMEA  -1  -20.00 (half of SO5)
    SO5 2025-04-15 P2 EMEA   2   40.00    RT5 2025-07-10 P2 EMEA -10 -200.00 (after the as-of)
    SO6 2025-07-01 P2 EMEA 100 2000.00    (after the as-of date)
    SO7 2025-07-05 P3 EMEA   1  150.00    (after the as-of date)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from expectations import list_suites
from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_FILES
from orchestration.quality import validate_suite
from orchestration.returns_summary import MonthReturns, render_returns, returns_by_month
from orchestration.validate import PASSES, validate_landing
from orchestration.warehouse import connect
from tests.conftest import TINY_LANDING, copy_landing
from tests.dbt_cli import run_dbt

RUN_MONTH = date(2025, 6, 1)
RETURNS = (
    "RT1,2025-03-28,A1,P1,EMEA,-4,-40.00",
    "RT2,2025-04-02,A1,P1,EMEA,-5,-50.00",
    "RT3,2025-06-16,A2,P1,APAC,-3,-30.00",
    "RT4,2025-05-20,A1,P2,EMEA,-1,-20.00",
    "RT5,2025-07-10,A1,P2,EMEA,-10,-200.00",
)
SUITES = {s.name: s for s in list_suites()}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = copy_landing(TINY_LANDING, tmp_path_factory.mktemp("returns") / "landing")
    orders = folder / "supply" / "orders.csv"
    orders.write_text(orders.read_text() + "".join(f"{line}\n" for line in RETURNS))
    return folder


@pytest.fixture(scope="module")
def built(landing: Path) -> tuple[Path, dict[str, str]]:
    """The landing loaded into `raw`, then `dbt build` of the demand history for June 2025.

    Returns the warehouse and the status of every dbt node that ran (models,
    data tests, unit tests).
    """
    data_dir = landing.parent
    warehouse = data_dir / "warehouse.duckdb"
    with connect(warehouse) as con:
        loads = {spec.name: load_landing_file(con, landing, spec) for spec in LANDING_FILES}
    assert (loads["orders"].rows_read, loads["orders"].rows_quarantined) == (12, 0)
    results = run_dbt(
        data_dir,
        warehouse,
        # Only the tests whose every parent is built here (the relationships to
        # dim_products included).
        [
            "build",
            "--select",
            "+fct_demand_history",
            "+dim_products",
            "--indirect-selection",
            "cautious",
        ],
        {"as_of_month": RUN_MONTH.isoformat()},
    )
    # unique_id: model.sop.<name>, test.sop.<name>.<hash>, unit_test.sop.<model>.<name>
    return warehouse, {
        r["unique_id"].split(".")[3 if r["unique_id"].startswith("unit_test.") else 2]: r["status"]
        for r in results
    }


def test_a_return_is_loaded_and_passes_every_landing_check(landing: Path) -> None:
    con = duckdb.connect()
    try:
        report = validate_landing(landing, con=con)
        quarantined = con.execute("select count(*) from quality.quarantine").fetchone()[0]
        returns = con.execute(
            "select order_id, quantity, net_amount from raw.orders where quantity < 0 "
            "order by order_id"
        ).fetchall()
    finally:
        con.close()
    assert report.exit_code == PASSES, report.render()
    assert report.blocking == [] and report.warnings == []
    assert quarantined == 0
    assert [(o, q, float(n)) for o, q, n in returns] == [
        ("RT1", -4.0, -40.0),
        ("RT2", -5.0, -50.0),
        ("RT3", -3.0, -30.0),
        ("RT4", -1.0, -20.0),
        ("RT5", -10.0, -200.0),
    ]


def test_demand_history_keeps_gross_demand_returns_and_net_amount_apart(built) -> None:
    warehouse, _ = built
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select product_id, region, month, quantity, returned_qty, net_amount "
            "from marts.fct_demand_history order by product_id, region, month"
        ).fetchall()
    mar, apr, may, jun = (date(2025, m, 1) for m in (3, 4, 5, 6))
    assert [(p, r, m, q, rq, float(n)) for p, r, m, q, rq, n in rows] == [
        ("P1", "APAC", jun, 3.0, 3.0, 0.0),  # SO4 returned in full the same month
        ("P1", "EMEA", mar, 15.0, 4.0, 110.0),  # SO1 + SO2; RT1: 100 + 50 - 40
        ("P1", "EMEA", apr, 0.0, 5.0, -50.0),  # a month of returns only: demand 0, not -5
        ("P1", "EMEA", may, 7.0, 0.0, 70.0),
        ("P1", "EMEA", jun, 0.0, 0.0, 0.0),
        ("P2", "EMEA", apr, 2.0, 0.0, 40.0),
        ("P2", "EMEA", may, 0.0, 1.0, -20.0),
        ("P2", "EMEA", jun, 0.0, 0.0, 0.0),  # RT5 and SO6 are after the as-of date
    ]


def test_no_dbt_test_or_check_fails_on_returns(built) -> None:
    warehouse, statuses = built
    failed = {
        name: status for name, status in statuses.items() if status not in ("success", "pass")
    }
    assert failed == {}
    # The checks that look at returns ran: the totals reconcile with the order lines,
    # returned_qty is never empty, and both unit tests of the model.
    for name in (
        "assert_demand_history_reconciles_with_orders",
        "not_null_fct_demand_history_returned_qty",
        "test_fct_demand_history_gaps_regions_and_as_of",
        "test_fct_demand_history_returns_are_kept_apart_from_gross_demand",
    ):
        assert statuses.get(name) == "pass", name
    with connect(warehouse, read_only=True) as con:
        outcomes = {
            name: validate_suite(con, suite, RUN_MONTH, 18)
            for name, suite in SUITES.items()
            if suite.table in ("raw.orders", "marts.fct_demand_history")
        }
    assert sorted(outcomes) == ["marts_fct_demand_history", "raw_orders", "raw_orders_warnings"]
    assert {n: o.observed for n, o in outcomes.items() if not o.passed} == {}


def test_returns_by_month_counts_lines_units_and_credits(built) -> None:
    warehouse, _ = built
    feb, mar, apr, may, jun = (date(2025, m, 1) for m in (2, 3, 4, 5, 6))
    assert returns_by_month(warehouse, RUN_MONTH) == [MonthReturns(jun, 1, 3.0, 30.0, 3.0)]
    with connect(warehouse, read_only=True) as con:
        months = returns_by_month(con, date(2025, 6, 30), months=5)
    assert months == [
        MonthReturns(feb, 0, 0.0, 0.0, 0.0),
        MonthReturns(mar, 1, 4.0, 40.0, 15.0),
        MonthReturns(apr, 1, 5.0, 50.0, 2.0),
        MonthReturns(may, 1, 1.0, 20.0, 7.0),
        MonthReturns(jun, 1, 3.0, 30.0, 3.0),  # RT5 (July) is after the run month
    ]
    assert [m.returned_share for m in months] == [None, 4 / 15, 2.5, 1 / 7, 1.0]
    assert render_returns(months[-2:]) == [
        "Returns (negative order lines, kept: quantity is gross demand, returned_qty these):",
        "  2025-05: 1 line(s), 1 unit(s) (14.3% of units ordered), 20.00 credited",
        "  2025-06: 1 line(s), 3 unit(s) (100.0% of units ordered), 30.00 credited",
    ]


def test_returns_by_month_without_staged_orders(tmp_path: Path) -> None:
    assert returns_by_month(tmp_path / "missing.duckdb", RUN_MONTH) == []
    with connect(tmp_path / "empty.duckdb") as con:
        assert returns_by_month(con, RUN_MONTH, months=3) == []
    assert render_returns([]) == []
    fractional = MonthReturns(date(2025, 6, 1), 2, 2.5, 1234.5, 0.0)
    assert (
        render_returns([fractional])[1] == "  2025-06: 2 line(s), 2.50 unit(s), 1,234.50 credited"
    )
    with pytest.raises(ValueError, match="months must be at least 1"):
        returns_by_month(tmp_path / "missing.duckdb", RUN_MONTH, months=0)
