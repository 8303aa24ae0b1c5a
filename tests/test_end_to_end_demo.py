"""`sop demo` then `sop run`, as a user types them, on small demo data with the real stack."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.demo import generate_demo_landing
from orchestration.publisher import PUBLISHED_TABLES


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("demo")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOP_DATA_DIR", str(data_dir))
    mp.delenv("SOP_LANDING_DIR", raising=False)
    try:
        assert cli.main(["demo", "--scale", "0.2", "--seed", "7", "--end-month", "2026-09"]) == 0
        summary = generate_demo_landing(
            data_dir / "landing", scale=0.2, seed=7, end_month=date(2026, 9, 1)
        )  # same seed: the same files again, and the list of rows it made malformed
        code = cli.main(["run"])
    finally:
        mp.undo()
    return code, data_dir, summary


def _query(data_dir: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "published" / "sop.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_run_succeeds_for_the_last_complete_month_of_the_data(demo_run, capsys) -> None:
    code, data_dir, _ = demo_run
    assert code == 0
    run_months = _query(data_dir, "select distinct run_month from marts.fct_demand_forecast")
    assert run_months == [(date(2026, 9, 1),)]


# A single run has no earlier forecast whose target month has actuals yet.
EMPTY_AFTER_ONE_RUN = {"fct_forecast_accuracy", "fct_forecast_accuracy_summary"}


def test_every_published_table_is_present_and_non_empty(demo_run) -> None:
    _, data_dir, _ = demo_run
    for table in PUBLISHED_TABLES:
        (rows,) = _query(data_dir, f"select count(*) from marts.{table}")[0]
        assert (rows == 0) if table in EMPTY_AFTER_ONE_RUN else (rows > 0), table
        parquet = data_dir / "published" / "parquet" / table / f"{table}.parquet"
        assert duckdb.sql(f"select count(*) from '{parquet}'").fetchone()[0] == rows


def test_exactly_the_malformed_demo_rows_are_quarantined(demo_run) -> None:
    _, data_dir, summary = demo_run
    quarantined = _query(
        data_dir, "select source_file, row_number, column_name from marts.dq_quarantine"
    )
    expected = {
        (f"{_folder(name)}/{name}.csv", row, column) for name, row, column in summary.bad_rows
    }
    assert summary.bad_rows, "the demo is expected to include a few malformed rows"
    assert set(quarantined) == expected


def test_nothing_is_lost_between_files_raw_and_quarantine(demo_run) -> None:
    _, data_dir, summary = demo_run
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    log = con.execute(
        "select table_name, rows_read, rows_loaded, rows_quarantined from quality.load_log"
    ).fetchall()
    con.close()
    assert len(log) == 13
    for table, read, loaded, quarantined in log:
        assert read == loaded + quarantined
        assert read == summary.row_counts[table.removeprefix("raw.")]


def test_all_checks_pass_on_demo_data(demo_run) -> None:
    _, data_dir, _ = demo_run
    failed = _query(
        data_dir,
        "select check_name, observed from marts.dq_check_results "
        "where not passed and severity = 'error'",
    )
    assert failed == []


def _folder(name: str) -> str:
    from orchestration.landing_contract import LANDING_BY_NAME

    return LANDING_BY_NAME[name].folder
