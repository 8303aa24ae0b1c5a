"""The real monthly job (Dagster + dbt + DuckDB + GX + sktime) on a hand-built landing folder.

Expected numbers are computed by hand from tests/fixtures/tiny_landing for the
run month 2025-06 (as-of date 2025-06-30); the comments in the fixture files
say where each number comes from.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from expectations.suite_runner import SUITES_DIR
from orchestration.definitions import build_definitions
from orchestration.monthly_run import RunReport, run_monthly_job
from tests.conftest import TINY_LANDING, copy_landing, make_settings

RUN_MONTH = date(2025, 6, 1)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunReport, Path]:
    data_dir = tmp_path_factory.mktemp("tiny")
    landing = copy_landing(TINY_LANDING, data_dir / "landing")
    report = run_monthly_job(make_settings(data_dir, landing), RUN_MONTH)
    assert report.success, report.render()
    return report, data_dir / "published" / "sop.duckdb"


def _published(path: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_quota_attainment_by_rep_and_month(tiny_run) -> None:
    _, published = tiny_run
    rows = _published(
        published,
        "select member_id, period_start, quota_amount, bookings_amount, attainment "
        "from marts.fct_quota_attainment where level = 'rep' and period_type = 'month' "
        "order by member_id, period_start",
    )
    expected = [
        ("R1", date(2025, 4, 1), 1000.0, 600.0, 0.6),  # O1
        ("R1", date(2025, 5, 1), 0.0, 250.0, None),  # zero quota: attainment null
        ("R1", date(2025, 6, 1), 2000.0, 1500.0, 0.75),  # O2; O3 lost; O4 closes in July
        ("R2", date(2025, 5, 1), 500.0, 0.0, 0.0),
        ("R2", date(2025, 6, 1), None, 300.0, None),  # O5; no quota row: attainment null
    ]
    actual = [
        (
            r.member_id,
            pd.Timestamp(r.period_start).date(),
            None if pd.isna(r.quota_amount) else float(r.quota_amount),
            float(r.bookings_amount),
            None if pd.isna(r.attainment) else round(float(r.attainment), 10),
        )
        for r in rows.itertuples()
    ]
    assert actual == expected


def test_demand_history_is_zero_filled_and_cut_at_the_as_of_date(tiny_run) -> None:
    _, published = tiny_run
    rows = _published(
        published,
        "select product_id, region, month, quantity, net_amount from marts.fct_demand_history "
        "order by product_id, region, month",
    )
    actual = [
        (
            r.product_id,
            r.region,
            pd.Timestamp(r.month).date(),
            float(r.quantity),
            float(r.net_amount),
        )
        for r in rows.itertuples()
    ]
    assert actual == [
        ("P1", "APAC", date(2025, 6, 1), 3.0, 30.0),
        ("P1", "EMEA", date(2025, 3, 1), 15.0, 150.0),
        ("P1", "EMEA", date(2025, 4, 1), 0.0, 0.0),
        ("P1", "EMEA", date(2025, 5, 1), 7.0, 70.0),
        ("P1", "EMEA", date(2025, 6, 1), 0.0, 0.0),
        ("P2", "EMEA", date(2025, 4, 1), 2.0, 40.0),
        ("P2", "EMEA", date(2025, 5, 1), 0.0, 0.0),
        ("P2", "EMEA", date(2025, 6, 1), 0.0, 0.0),
    ]


def test_forecast_and_plan_cover_the_horizon_and_add_up(tiny_run) -> None:
    _, published = tiny_run
    forecast = _published(published, "select * from marts.fct_demand_forecast")
    assert set(forecast["run_month"].map(lambda d: pd.Timestamp(d).date())) == {RUN_MONTH}
    # P1 and P2 have history; P3 launched in June with no orders by the as-of date.
    assert set(forecast["product_id"]) == {"P1", "P2"}
    months = sorted(forecast["target_month"].map(lambda d: pd.Timestamp(d).date()).unique())
    assert months[0] == date(2025, 7, 1) and months[-1] == date(2026, 12, 1) and len(months) == 18
    regions = forecast[forecast["region"] != "ALL"].groupby(["product_id", "target_month"])
    totals = forecast[forecast["region"] == "ALL"].set_index(["product_id", "target_month"])
    pd.testing.assert_series_equal(
        regions["forecast_qty"].sum().sort_index(),
        totals["forecast_qty"].sort_index(),
        check_names=False,
    )
    assert (forecast["lower_80"] <= forecast["forecast_qty"]).all()
    assert (forecast["forecast_qty"] <= forecast["upper_80"]).all()

    plan = _published(published, "select * from marts.fct_demand_plan")
    assert len(plan) == 2 * 18
    merged = plan.merge(totals.reset_index(), on=["product_id", "target_month"])
    assert (merged["statistical_qty"] == merged["forecast_qty"]).all()
    assert (merged["consensus_qty"] == merged["statistical_qty"] + merged["override_qty"]).all()


def test_checks_are_recorded_and_nothing_is_quarantined(tiny_run) -> None:
    report, published = tiny_run
    results = _published(published, "select * from marts.dq_check_results")
    assert report.checks_failed == []
    assert results["passed"].all()
    # Every check of the graph ran and was recorded: a GX suite per file and mart, dbt tests.
    graph = build_definitions(make_settings(published.parent.parent)).resolve_asset_graph()
    assert len(results) == len(graph.asset_check_keys) == report.checks_passed
    gx_checks = {f"gx_{path.stem}" for path in SUITES_DIR.glob("*.json")}
    assert len(gx_checks) == 39
    assert gx_checks <= set(results["check_name"])
    # ... and each is in the run's GX Data Docs, linked from the run summary.
    index = report.settings.quality_docs_dir / "index.html"
    assert index.as_uri() in report.render()
    assert all(name in index.read_text() for name in gx_checks)
    assert set(results["severity"]) <= {"error", "warn"}
    assert _published(published, "select count(*) as n from marts.dq_quarantine")["n"][0] == 0
    assert set(report.stage_seconds) >= {"ingest", "forecasting", "planning", "publish", "reports"}


def test_supply_plan_starts_from_the_landing_stock_supply_and_capacity(tiny_run) -> None:
    report, published = tiny_run
    plan = _published(
        published,
        "select * from marts.fct_supply_plan where scenario = 'baseline' "
        "order by product_id, target_month",
    )
    # No planning/scenarios.yml in this landing: baseline only, P1 and P2 for 18 months.
    assert set(plan["scenario"]) == {"baseline"} and len(plan) == 2 * 18
    first = plan[plan["target_month"].map(lambda d: pd.Timestamp(d).date()) == date(2025, 7, 1)]
    assert first.set_index("product_id")["opening_qty"].to_dict() == {"P1": 12.0, "P2": 4.0}
    receipts = plan[plan["receipts_qty"] > 0]
    assert receipts[["product_id", "receipts_qty"]].values.tolist() == [["P1", 20.0]]
    assert pd.Timestamp(receipts["target_month"].iloc[0]).date() == date(2025, 7, 1)
    demand = _published(
        published,
        "select product_id, target_month, consensus_qty from marts.fct_demand_plan",
    )
    merged = plan.merge(demand, on=["product_id", "target_month"])
    assert (merged["demand_qty"] == merged["consensus_qty"]).all()
    utilization = _published(
        published,
        "select target_month, available_hours from marts.fct_capacity_utilization "
        "order by target_month",
    )
    # RES1 has hours in July and August only; later months have none to plan with.
    hours = utilization["available_hours"].tolist()
    assert hours[:2] == [100.0, 100.0] and set(hours[2:]) == {0.0}
    produced = plan.groupby(plan["target_month"].map(lambda d: pd.Timestamp(d).month))[
        "production_qty"
    ].sum()
    assert (produced.drop([7, 8], errors="ignore") == 0).all()
    pack = report.meeting_pack
    assert pack == published.parent.parent / "reports" / "sop-2025-06.html"
    assert pack.exists() and "Demand vs supply by family" in pack.read_text()


def test_an_older_month_run_afterwards_does_not_replace_the_published_tables(tiny_run) -> None:
    """Runs last in this module: it re-runs April on the same data folder as the June run."""
    _, published = tiny_run
    data_dir = published.parent.parent
    before = published.stat().st_mtime

    report = run_monthly_job(make_settings(data_dir, data_dir / "landing"), date(2025, 4, 1))

    assert report.success, report.render()
    assert report.published_counts == {}
    assert report.publish_note.startswith("the published tables are as of 2025-06, newer than")
    assert published.stat().st_mtime == before
    assert _published(published, "select run_month from marts.published_run")["run_month"].map(
        lambda d: pd.Timestamp(d).date()
    ).tolist() == [RUN_MONTH]
    # The April snapshot is kept in the warehouse for accuracy tracking all the same.
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    months = con.execute(
        "select distinct run_month from forecasting.fct_demand_forecast order by 1"
    ).fetchall()
    con.close()
    assert months == [(date(2025, 4, 1),), (RUN_MONTH,)]
