"""Opportunities without a product (SPEC section 1): they count in every sales metric.

Most Salesforce orgs sell without line items, so `product_id` and `quantity`
of an opportunity may be empty. The tiny landing gets three such deals of
rep R2 (hired 2025-05-01, May quota 500): O8 won in May for 400, O9 lost in
May for 100, and O10 open in Negotiation for 1,000. The real loader and a
real `dbt build` of the sales marts for June 2025 must keep them out of the
quarantine and count them; only the open quantities by product (the input of
the pipeline-informed demand signal) have no product for them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_FILES
from orchestration.validate import validate_landing
from tests.conftest import TINY_LANDING, copy_landing
from tests.dbt_cli import run_dbt

RUN_MONTH = date(2025, 6, 1)
MAY = date(2025, 5, 1)

PRODUCTLESS_OPPORTUNITIES = (
    "O8,A2,R2,,2025-05-02,2025-05-20,Closed Won,400.00,,true,true,100,Closed,Web\n"
    "O9,A2,R2,,2025-05-05,2025-05-25,Closed Lost,100.00,,true,false,0,Omitted,\n"
    "O10,A2,R2,,2025-06-03,2025-08-15,Negotiation,1000.00,,false,false,75,Commit,\n"
)
PRODUCTLESS_HISTORY = (
    "O8,Prospecting,2025-05-02T09:00:00,400.00,2025-05-31\n"
    "O8,Closed Won,2025-05-20T09:00:00,400.00,2025-05-20\n"
    "O9,Qualification,2025-05-05T09:00:00,100.00,2025-05-31\n"
    "O9,Closed Lost,2025-05-25T09:00:00,100.00,2025-05-25\n"
    "O10,Negotiation,2025-06-03T09:00:00,1000.00,2025-08-15\n"
)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny landing plus the productless deals."""
    landing = copy_landing(TINY_LANDING, tmp_path_factory.mktemp("productless") / "landing")
    with (landing / "crm" / "opportunities.csv").open("a") as file:
        file.write(PRODUCTLESS_OPPORTUNITIES)
    with (landing / "crm" / "opportunity_history.csv").open("a") as file:
        file.write(PRODUCTLESS_HISTORY)
    return landing


@pytest.fixture(scope="module")
def warehouse(landing: Path) -> Path:
    """The landing loaded by the real loader and the sales marts built by dbt for June 2025."""
    data_dir = landing.parent
    path = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for spec in LANDING_FILES:
            load_landing_file(con, landing, spec)
    run_dbt(
        data_dir,
        path,
        [
            "build",
            "--select",
            "+fct_rep_kpis_monthly",
            "+fct_quota_attainment",
            "+fct_funnel_monthly",
            "+fct_pipeline_snapshot",
            "+int_open_pipeline_weighted",
            "--exclude-resource-type",
            "unit_test",
            # Only the data tests whose every parent is built (e.g. not those on dim_reps).
            "--indirect-selection",
            "cautious",
        ],
        {"as_of_month": RUN_MONTH.isoformat()},
    )
    return path


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_sop_validate_passes_the_landing_with_deals_without_a_product(landing: Path) -> None:
    report = validate_landing(landing)
    opportunities = next(f for f in report.files if f.name == "crm/opportunities.csv")

    assert opportunities.load.rows_loaded == 10  # the tiny landing's 7 and O8, O9, O10
    assert opportunities.load.rows_quarantined == 0
    assert {c.name: c.passed for c in opportunities.checks} == {
        "raw_opportunities": True,
        "raw_opportunities_warnings": True,
    }
    assert report.exit_code == 0, report.render()


def test_deals_without_a_product_are_loaded_not_quarantined(warehouse: Path) -> None:
    assert _query(warehouse, "select count(*) from quality.quarantine") == [(0,)]
    assert _query(
        warehouse,
        "select opportunity_id, product_id, quantity from raw.opportunities "
        "where product_id is null order by opportunity_id",
    ) == [("O10", None, None), ("O8", None, None), ("O9", None, None)]


def test_the_won_deal_without_a_product_is_a_booking(warehouse: Path) -> None:
    # R2 in May: O8 won (400, created May 2, closed May 20: 18 days), O9 lost.
    assert _query(
        warehouse,
        "select bookings_amount, won_count, lost_count, win_rate, avg_deal_size, "
        "avg_sales_cycle_days from marts.fct_rep_kpis_monthly "
        f"where rep_id = 'R2' and month = date '{MAY}'",
    ) == [(400.0, 1, 1, 0.5, 400.0, 18.0)]
    # Quota 500 in May: 400 / 500. The company adds R1's 250 (O7) on a quota of 0 + 500.
    rows = _query(
        warehouse,
        "select level, member_id, quota_amount, bookings_amount, attainment "
        "from marts.fct_quota_attainment where period_type = 'month' "
        f"and period_start = date '{MAY}' and level in ('rep', 'company') "
        "order by level, member_id",
    )
    attainment = [
        (level, member, float(quota), float(bookings), None if a is None else round(a, 10))
        for level, member, quota, bookings, a in rows
    ]
    assert attainment == [
        ("company", "ALL", 500.0, 650.0, 1.3),
        ("rep", "R1", 0.0, 250.0, None),  # a zero quota: attainment null
        ("rep", "R2", 500.0, 400.0, 0.8),
    ]


def test_deals_without_a_product_count_in_the_funnel_and_the_pipeline(warehouse: Path) -> None:
    # May cohort (EMEA, R2's region): O2, O3 of the tiny landing and O8, O9; won O2 and O8.
    assert _query(
        warehouse,
        "select opps_created, opps_won from marts.fct_funnel_monthly "
        f"where cohort_month = date '{MAY}' and region = 'EMEA'",
    ) == [(4, 2)]
    # O10 is open in Negotiation at June's end: 1,000 weighted at 75%.
    assert _query(
        warehouse,
        "select open_count, open_amount, weighted_amount from marts.fct_pipeline_snapshot "
        f"where snapshot_month = date '{RUN_MONTH}' and rep_id = 'R2' and stage = 'Negotiation'",
    ) == [(1, 1000.0, 750.0)]
    # The open quantities by product, which the demand signal reads, carry it without a
    # product; the signal's query keeps only rows with a product_id.
    assert _query(
        warehouse,
        "select opportunity_id, product_id, quantity, weighted_amount "
        "from intermediate.int_open_pipeline_weighted "
        f"where month = date '{RUN_MONTH}' and rep_id = 'R2' order by opportunity_id",
    ) == [("O10", None, None, 750.0), ("O6", "P2", 7.0, 350.0)]
