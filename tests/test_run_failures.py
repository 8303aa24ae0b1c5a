"""A failing run stops with a readable reason and never touches the last published tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.check_results import record_check_result
from orchestration.monthly_run import run_monthly_job
from orchestration.publisher import PUBLISHED_TABLES, publish
from orchestration.warehouse import connect
from tests.conftest import make_settings


def _publish_previous_run(data_dir: Path) -> float:
    """Stand in for an earlier successful run: a published file with one row per table."""
    scratch = data_dir / "previous.duckdb"
    with connect(scratch) as con:
        for relation in set(PUBLISHED_TABLES.values()):
            con.execute(f"create schema if not exists {relation.split('.')[0]}")
            con.execute(f"create table {relation} as select 'previous' as marker")
    publish(scratch, data_dir / "published", date(2025, 5, 1))
    scratch.unlink()
    return (data_dir / "published" / "sop.duckdb").stat().st_mtime


def _assert_previous_run_still_published(data_dir: Path, mtime: float) -> None:
    path = data_dir / "published" / "sop.duckdb"
    assert path.stat().st_mtime == mtime
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select marker from marts.fct_demand_plan").fetchall() == [("previous",)]
    con.close()


def test_missing_column_stops_the_run_naming_file_and_column(
    tiny_landing: Path, tmp_path: Path
) -> None:
    quotas = tiny_landing / "crm" / "quotas.csv"
    quotas.write_text(quotas.read_text().replace("quota_amount", "target"))
    settings = make_settings(tmp_path, tiny_landing)
    mtime = _publish_previous_run(tmp_path)

    report = run_monthly_job(settings, None)

    assert not report.success
    assert "crm/quotas.csv: missing required column(s) quota_amount" in report.failure_reason
    assert "published tables were left as they were" in report.failure_reason
    _assert_previous_run_still_published(tmp_path, mtime)


def test_failed_blocking_check_stops_everything_downstream(
    tiny_landing: Path, tmp_path: Path
) -> None:
    orders = tiny_landing / "supply" / "orders.csv"
    orders.write_text(orders.read_text().splitlines()[0] + "\n")  # the header, no orders
    settings = make_settings(tmp_path, tiny_landing)
    mtime = _publish_previous_run(tmp_path)
    # An earlier run of the month passed a check that this run will skip.
    with connect(settings.warehouse_path) as con:
        record_check_result(
            con, date(2025, 6, 1), "gx_marts_fct_demand_history", "marts", "error", True, "old"
        )

    report = run_monthly_job(settings, date(2025, 6, 1))

    assert not report.success
    assert report.checks_failed == ["raw/orders:gx_raw_orders"]
    assert report.failure_reason == (
        "blocking check(s) failed: raw/orders:gx_raw_orders (1 of 11 expectations failed on 0 "
        "rows: expect_table_row_count_to_be_between(min_value=1): observed 0). The assets that "
        "depend on them did not run and the published tables were left as they were."
    )
    _assert_previous_run_still_published(tmp_path, mtime)
    with connect(settings.warehouse_path, read_only=True) as con:
        recorded = con.execute(
            "select passed from quality.check_results where check_name = 'gx_raw_orders'"
        ).fetchone()
        stale = con.execute(
            "select * from quality.check_results where check_name = 'gx_marts_fct_demand_history'"
        ).fetchall()
        schemas = {
            r[0]
            for r in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
    assert recorded == (False,)
    assert stale == []  # a skipped check does not keep the earlier run's "passed"
    assert "forecasting" not in schemas and "marts" not in schemas


def test_a_return_a_warning_and_a_quarantined_row_publish_and_exit_0(
    tiny_landing: Path, tmp_path: Path
) -> None:
    """One run, three kinds of input that must not stop it (a run costs about 45 s)."""
    orders = tiny_landing / "supply" / "orders.csv"
    text = orders.read_text()
    # A return (a negative order line): demand data, neither quarantined nor warned about.
    text = text.replace("SO3,2025-05-10,A1,P1,EMEA,7,", "SO3,2025-05-10,A1,P1,EMEA,-7,")
    # An order of an account the CRM does not know: a warn check fails, the run publishes.
    text = text.replace("SO2,2025-03-20,A1,", "SO2,2025-03-20,A9,")
    orders.write_text(text)
    # A stage no alias maps: the row is quarantined with a reason, the run goes on.
    opportunities = tiny_landing / "crm" / "opportunities.csv"
    opportunities.write_text(
        opportunities.read_text().replace(",Proposal,700.00,", ",Discovery,700.00,")
    )
    settings = make_settings(tmp_path, tiny_landing)

    report = run_monthly_job(settings, None)

    assert report.success and report.exit_code == 0  # as dbt build: warnings are listed
    assert report.checks_failed == report.warnings_failed == ["raw/orders:gx_raw_orders_warnings"]
    assert report.failure_reason == ""
    assert (
        "  warn: raw/orders:gx_raw_orders_warnings (1 of 1 expectations failed on 7 rows: "
        "expect_column_values_to_be_null(column=account_id_not_in_accounts): 1 unexpected "
        "(e.g. 'A9'))"
    ) in report.render().splitlines()
    # The run month (June) and the two before it; the return is May's.
    assert [(r.month, r.return_lines, r.returned_qty) for r in report.returns] == [
        (date(2025, 4, 1), 0, 0.0),
        (date(2025, 5, 1), 1, 7.0),
        (date(2025, 6, 1), 0, 0.0),
    ]
    assert report.published_counts["fct_demand_history"] == 8
    # O6 is quarantined, and so is its stage history, which now refers to no opportunity.
    assert report.quarantined == {"crm/opportunities.csv": 1, "crm/opportunity_history.csv": 1}
    con = duckdb.connect(str(settings.published_db_path), read_only=True)
    may = con.execute(
        "select quantity, returned_qty, net_amount from marts.fct_demand_history "
        "where product_id = 'P1' and region = 'EMEA' and month = date '2025-05-01'"
    ).fetchone()
    rows = con.execute(
        "select source_file, row_number, column_name, reason from marts.dq_quarantine "
        "where source_file = 'crm/opportunities.csv'"
    ).fetchall()
    con.close()
    # Gross demand 0, 7 returned; the line's amount was left at +70 by the edit above.
    assert may == (0.0, 7.0, Decimal("70.00"))
    assert rows == [
        (
            "crm/opportunities.csv",
            6,
            "stage",
            "stage: 'Discovery' is not a canonical stage (Prospecting, Qualification, "
            "Proposal, Negotiation, Closed Won, Closed Lost) or an alias in the dbt var "
            "stage_aliases",
        )
    ]


def test_failed_dbt_test_names_the_test_and_keeps_the_published_tables(
    tiny_landing: Path, tmp_path: Path
) -> None:
    # Distinct keys in the file, the same rep and month once truncated to the month.
    quotas = tiny_landing / "crm" / "quotas.csv"
    quotas.write_text(quotas.read_text() + "R2,2025-05-15,700.00\n")
    settings = make_settings(tmp_path, tiny_landing)
    mtime = _publish_previous_run(tmp_path)

    report = run_monthly_job(settings, None)

    assert not report.success
    test = "staging/stg_crm__quotas:unique_combination_of_columns_stg_crm__quotas_rep_id__month"
    assert test in report.checks_failed
    assert f"{test} (1 failing row(s))" in report.failure_reason
    _assert_previous_run_still_published(tmp_path, mtime)


def test_cli_exits_non_zero_with_a_reason(
    tiny_landing: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    (tiny_landing / "supply" / "capacity.csv").unlink()
    monkeypatch.setenv("SOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOP_LANDING_DIR", str(tiny_landing))

    code = cli.main(["run", "--month", "2025-06"])

    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED" in out
    assert "supply/capacity.csv: missing landing file" in out


def test_cli_rejects_a_malformed_month(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("SOP_DATA_DIR", str(tmp_path))
    assert cli.main(["run", "--month", "June"]) == 2
    assert "not a month: 'June'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2019-12", "2019-12 is before SOP_FIRST_MONTH (2020-01)"),
        ("2099-01", "2099-01 has not ended yet; the latest month that can be run is"),
    ],
)
def test_cli_rejects_a_month_outside_the_partitions(
    month, message, tiny_landing, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("SOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOP_LANDING_DIR", str(tiny_landing))
    assert cli.main(["run", "--month", month]) == 2
    assert message in capsys.readouterr().err


def test_an_invalid_commission_plan_stops_the_run_naming_the_tier(
    tiny_landing: Path, tmp_path: Path
) -> None:
    (tiny_landing / "planning").mkdir()
    (tiny_landing / "planning" / "comp_plan.yml").write_text(
        "version: 1\n"
        "base_rate: 0.05\n"
        "tiers:\n"
        "  - {from_attainment: 0.0, to_attainment: 1.0, rate: 0.03}\n"
        "  - {from_attainment: 0.8, to_attainment: null, rate: 0.06}\n"
    )
    mtime = _publish_previous_run(tmp_path)

    report = run_monthly_job(make_settings(tmp_path, tiny_landing), None)

    assert not report.success
    assert report.failure_reason.startswith("step raw__comp_plan_tiers failed: ")
    assert "comp_plan.yml: tier 2" in report.failure_reason
    assert "overlaps tier 1" in report.failure_reason
    _assert_previous_run_still_published(tmp_path, mtime)
