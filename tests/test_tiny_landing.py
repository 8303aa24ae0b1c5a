"""The real monthly job (Dagster + dbt + DuckDB + GX + sktime) on a hand-built landing folder.

Expected numbers are computed by hand from tests/fixtures/tiny_landing for the
run month 2025-06 (as-of date 2025-06-30); the comments in the fixture files
say where each number comes from.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from expectations.suite_runner import SUITES_DIR
from orchestration.dbt_assets import dbt_target_path
from orchestration.definitions import build_definitions
from orchestration.monthly_run import RunReport
from orchestration.publish import PUBLISH_ASSET_KEY
from tests.conftest import make_settings

RUN_MONTH = date(2025, 6, 1)


@pytest.fixture(scope="module")
def tiny_run(tiny_backfill) -> tuple[RunReport, Path]:
    """The June run of the tiny backfill (tests/conftest.py): May ran first, so the
    published tables keep both months' snapshots and tests pick June's."""
    report = tiny_backfill.reports[RUN_MONTH]
    assert report.success, report.render()
    return report, tiny_backfill.published


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
    # May's snapshot is kept beside June's (the backfill ran May first).
    assert set(forecast["run_month"].map(lambda d: pd.Timestamp(d).date())) == {
        date(2025, 5, 1),
        RUN_MONTH,
    }
    forecast = forecast[forecast["run_month"].map(lambda d: pd.Timestamp(d).date()) == RUN_MONTH]
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

    plan = _published(
        published, "select * from marts.fct_demand_plan where run_month = date '2025-06-01'"
    )
    assert len(plan) == 2 * 18
    merged = plan.merge(totals.reset_index(), on=["product_id", "target_month"])
    assert (merged["statistical_qty"] == merged["forecast_qty"]).all()
    assert (merged["consensus_qty"] == merged["statistical_qty"] + merged["override_qty"]).all()


def test_checks_are_recorded_and_nothing_is_quarantined(tiny_run) -> None:
    report, published = tiny_run
    results = _published(
        published, "select * from marts.dq_check_results where run_month = date '2025-06-01'"
    )
    assert report.checks_failed == []
    assert results["passed"].all()
    # Every check of the graph ran and was recorded: a GX suite per file and mart, dbt tests.
    graph = build_definitions(make_settings(published.parent.parent)).resolve_asset_graph()
    assert len(results) == len(graph.asset_check_keys) == report.checks_passed
    gx_checks = {f"gx_{path.stem}" for path in SUITES_DIR.glob("*.json")}
    assert len(gx_checks) == 38  # the demand-history sign check became part of its suite
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
        "and run_month = date '2025-06-01' "
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
        "select product_id, target_month, consensus_qty from marts.fct_demand_plan "
        "where run_month = date '2025-06-01'",
    )
    merged = plan.merge(demand, on=["product_id", "target_month"])
    assert (merged["demand_qty"] == merged["consensus_qty"]).all()
    utilization = _published(
        published,
        "select target_month, available_hours from marts.fct_capacity_utilization "
        "where run_month = date '2025-06-01' order by target_month",
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


def test_an_older_month_does_not_replace_the_published_tables(tiny_run) -> None:
    """Publish for April after June (a backfill of an older month) keeps June published.

    Only the publish asset is materialized: the rest of an April run cannot
    change what publish decides, and a whole run costs about 45 s.
    """
    _, published = tiny_run
    data_dir = published.parent.parent
    before = published.stat().st_mtime
    settings = make_settings(data_dir, data_dir / "landing")
    defs = build_definitions(settings)

    # The definitions bind the `sop` resource to these settings.
    result = dg.materialize(
        [defs.resolve_assets_def(PUBLISH_ASSET_KEY)], partition_key="2025-04-01"
    )

    assert result.success
    (materialization,) = result.asset_materializations_for_node("publish__published_marts")
    assert materialization.metadata["published"].value is False
    assert materialization.metadata["reason"].value.startswith(
        "the published tables are as of 2025-06, newer than this run (2025-04)"
    )
    assert published.stat().st_mtime == before
    assert _published(published, "select run_month from marts.published_run")["run_month"].map(
        lambda d: pd.Timestamp(d).date()
    ).tolist() == [RUN_MONTH]


def _dbt_invocations(target: Path) -> list[list[dict]]:
    """The events of each dbt invocation in `target`'s dbt.log (JSON lines, as dagster-dbt
    makes dbt write them), oldest first. dbt rotates the file at 10 MB (dbt.log.1 is the
    newest full one), and one run on the tiny landing writes about 11 MB of debug events."""
    rotated = sorted(target.glob("dbt.log.*"), key=lambda p: -int(p.suffix[1:]))
    invocations: dict[str, list[dict]] = {}
    for path in [*rotated, target / "dbt.log"]:
        for line in path.read_text().splitlines():
            if line.startswith("{"):
                info = json.loads(line)["info"]
                invocations.setdefault(info["invocation_id"], []).append(info)
    return list(invocations.values())


def test_the_monthly_run_runs_no_dbt_unit_tests(tiny_backfill) -> None:
    """Unit tests run in CI (tests/test_dbt_unit_tests.py); June's `dbt build` ran the models
    and data tests only."""
    target = dbt_target_path(make_settings(tiny_backfill.data_dir))
    results = json.loads((target / "run_results.json").read_text())
    ran = {result["unique_id"]: result["status"] for result in results["results"]}
    assert [node for node in ran if node.startswith("unit_test.")] == []
    assert "--exclude-resource-type unit_test" in results["args"]["invocation_command"]
    assert ran["model.sop.fct_demand_history"] == "success"
    assert any(node.startswith("test.sop.") for node in ran)
    # The run month reached dbt through SOP_AS_OF_MONTH: June's calendar ends at June.
    compiled = next(target.rglob("compiled/**/int_months_enumerated.sql")).read_text()
    assert "cast('2025-06-01' as date)" in compiled


def test_the_second_run_reuses_dbt_parse(tiny_backfill) -> None:
    """May's and June's runs used the data folder's one dbt target folder; June's, another
    month, found nothing changed since May's parse and skipped parsing (dbt's partial
    parsing), which re-parsing the whole project on every run used to cost."""
    target = dbt_target_path(make_settings(tiny_backfill.data_dir))
    may, june = _dbt_invocations(target)
    commands = [event["msg"] for run in (may, june) for event in run if event["code"] == "A002"]
    assert len(commands) == 2 and not any("--vars" in command for command in commands)
    june_names = {event["name"] for event in june}
    assert "PartialParsingSkipParsing" in june_names
    assert "UnableToPartialParse" not in june_names
