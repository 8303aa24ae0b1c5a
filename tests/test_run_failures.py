"""A failing run stops with a readable reason and never touches the last published tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.monthly_run import run_month
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
    publish(scratch, data_dir / "published")
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

    report = run_month(settings, None)

    assert not report.success
    assert "crm/quotas.csv: missing required column(s) quota_amount" in report.failure_reason
    assert "published tables were left as they were" in report.failure_reason
    _assert_previous_run_still_published(tmp_path, mtime)


def test_failed_blocking_check_stops_everything_downstream(
    tiny_landing: Path, tmp_path: Path
) -> None:
    orders = tiny_landing / "supply" / "orders.csv"
    orders.write_text(
        orders.read_text().replace("SO3,2025-05-10,A1,P1,EMEA,7,", "SO3,2025-05-10,A1,P1,EMEA,-7,")
    )
    settings = make_settings(tmp_path, tiny_landing)
    mtime = _publish_previous_run(tmp_path)

    report = run_month(settings, None)

    assert not report.success
    assert report.checks_failed == ["raw/orders:gx_raw_orders"]
    assert "gx_raw_orders" in report.failure_reason
    _assert_previous_run_still_published(tmp_path, mtime)
    with connect(settings.warehouse_path, read_only=True) as con:
        recorded = con.execute(
            "select passed, observed from quality.check_results where check_name = 'gx_raw_orders'"
        ).fetchone()
        schemas = {
            r[0]
            for r in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
    assert recorded[0] is False
    assert "quantity" in recorded[1] and "-7.0" in recorded[1]
    assert "forecasting" not in schemas and "marts" not in schemas


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
    assert "missing landing file supply/capacity.csv" in out


def test_cli_rejects_a_malformed_month(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("SOP_DATA_DIR", str(tmp_path))
    assert cli.main(["run", "--month", "June"]) == 2
    assert "not a month: 'June'" in capsys.readouterr().err


@pytest.mark.parametrize("month", ["2019-12"])
def test_cli_rejects_a_month_before_the_first_partition(
    month, tiny_landing, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("SOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOP_LANDING_DIR", str(tiny_landing))
    assert cli.main(["run", "--month", month]) == 2
    assert "before SOP_FIRST_MONTH" in capsys.readouterr().err
