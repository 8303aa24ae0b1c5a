"""`sop demo` then `sop run`, as a user types them, on small demo data with the real stack."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from models.planning.scenarios import parse_scenarios
from models.planning.supply_plan import plan_supply
from orchestration import cli
from orchestration.demo import generate_demo_landing
from orchestration.plan_inputs import SCENARIOS_FILE as SCENARIOS
from orchestration.plan_inputs import published_plan_inputs
from orchestration.planning import OVERRIDES_FILE as OVERRIDES
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
EMPTY_AFTER_ONE_RUN = {
    "fct_forecast_accuracy",
    "fct_forecast_accuracy_summary",
    "fct_demand_plan_accuracy",
    "fct_demand_plan_fva",
    # The demo's overrides are all valid.
    "dq_override_rejections",
}


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


def test_every_scenario_is_planned_next_to_baseline(demo_run) -> None:
    _, data_dir, _ = demo_run
    names = {s.name for s in parse_scenarios((data_dir / "landing" / SCENARIOS).read_text())}
    assert len(names) >= 3
    for table in ("fct_supply_plan", "fct_capacity_utilization", "fct_sop_summary"):
        planned = {r[0] for r in _query(data_dir, f"select distinct scenario from marts.{table}")}
        assert planned == names | {"baseline"}, table
    # A scenario that takes hours away cannot serve more than baseline.
    fulfilled = dict(
        _query(
            data_dir,
            "select scenario, sum(fulfilled_qty) from marts.fct_supply_plan group by scenario",
        )
    )
    breakdown = next(n for n in names if n.endswith("_breakdown"))
    assert fulfilled[breakdown] <= fulfilled["baseline"] + 1e-6


def test_the_planning_checks_ran_and_passed(demo_run) -> None:
    _, data_dir, _ = demo_run
    outcomes = dict(
        _query(
            data_dir,
            "select check_name, passed from marts.dq_check_results "
            "where check_name like 'gx_planning_%'",
        )
    )
    assert outcomes == {
        "gx_planning_fct_demand_plan": True,
        "gx_planning_override_rejections": True,
        "gx_planning_fct_supply_plan": True,
        "gx_planning_fct_capacity_utilization": True,
        "gx_planning_fct_sop_summary": True,
    }


def test_opening_stock_is_the_latest_snapshot_per_location_at_the_as_of_date(demo_run) -> None:
    _, data_dir, _ = demo_run
    inventory = data_dir / "landing" / "supply" / "inventory.csv"
    expected = dict(
        duckdb.sql(
            "select product_id, sum(cast(on_hand_qty as double)) from (select *, "
            "row_number() over (partition by product_id, location "
            "order by snapshot_date desc) as k "
            f"from read_csv('{inventory}', all_varchar = true, header = true) "
            "where try_cast(snapshot_date as date) <= date '2026-09-30' "
            "and try_cast(on_hand_qty as double) is not null) where k = 1 group by 1"
        ).fetchall()
    )
    opening = _query(
        data_dir,
        "select product_id, opening_qty from marts.fct_supply_plan "
        "where scenario = 'baseline' and target_month = date '2026-10-01'",
    )
    assert len(opening) > 10
    for product, qty in opening:
        assert qty == pytest.approx(float(expected.get(product, 0.0))), product


def test_the_overrides_are_applied_with_their_author(demo_run) -> None:
    _, data_dir, _ = demo_run
    lines = _query(
        data_dir,
        "select count(distinct line), count(distinct submitted_by) "
        "from marts.fct_demand_plan_overrides",
    )[0]
    overrides = duckdb.sql(
        f"select count(*) from read_csv('{data_dir / 'landing' / OVERRIDES}', header = true)"
    ).fetchone()[0]
    assert lines[0] == overrides and lines[1] >= 2
    (gap,) = _query(
        data_dir,
        "select max(abs(p.override_qty - coalesce(o.qty, 0))) from marts.fct_demand_plan as p "
        "left join (select product_id, target_month, sum(override_qty) as qty "
        "from marts.fct_demand_plan_overrides group by all) as o using (product_id, target_month)",
    )[0]
    assert gap < 1e-9


def test_the_meeting_pack_is_written_with_its_charts(demo_run) -> None:
    _, data_dir, _ = demo_run
    html = (data_dir / "reports" / "sop-2026-09.html").read_text()
    # One run: no accuracy trend yet (no actuals for its forecast months).
    for chart in (
        "demand-supply",
        "scenario-revenue-at-risk",
        "capacity-utilization",
        "leaderboard",
        "pipeline-coverage",
    ):
        assert f'<figure class="chart" id="chart-{chart}"' in html, chart
    # Self-contained: nothing is fetched (SVG namespaces are names, not requests).
    assert "<svg" in html
    assert not re.search(r"(src|href)=\"https?://", html)


def test_a_first_run_shows_the_forecast_backtest_as_its_accuracy(demo_run) -> None:
    _, data_dir, _ = demo_run
    rows = _query(
        data_dir,
        "select lag, series, run_month, accuracy, wape, abs_error, actual_qty "
        "from marts.fct_forecast_backtest where level = 'product' order by lag",
    )
    lags = [row[0] for row in rows]
    # three years of demo history, 24 months kept to fit: regular products hold out 12
    assert lags == list(range(1, len(lags) + 1)) and len(lags) >= 12
    assert {row[2] for row in rows} == {date(2026, 9, 1)}
    _, series, _, accuracy, wape, abs_error, actual = rows[0]
    assert series > 0 and wape == pytest.approx(abs_error / actual)
    # one origin a year back, right after the demo's summer surge: accuracy may be 0
    assert accuracy == pytest.approx(max(0.0, 1 - wape))
    html = (data_dir / "reports" / "sop-2026-09.html").read_text()
    tile = re.search(r'<div class="tile" id="kpi-forecast_accuracy">(.*?)</div></div>', html, re.S)
    assert "backtest, until real forecast snapshots exist" in tile.group(1)
    assert f">{accuracy:.1%}<" in tile.group(1)
    assert "Backtest, until real forecast snapshots exist." in html


def test_sop_scenario_replans_from_the_published_tables(demo_run, capsys) -> None:
    _, data_dir, _ = demo_run
    published = data_dir / "published" / "sop.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        inputs = published_plan_inputs(con)
        baseline = con.execute(
            "select product_id, target_month, production_qty, shortage_qty, closing_qty "
            "from marts.fct_supply_plan where scenario = 'baseline' "
            "order by product_id, target_month"
        ).df()
    finally:
        con.close()
    # The published inputs give back the published baseline.
    replanned = plan_supply(inputs).plan.sort_values(["product_id", "target_month"])
    for column in ("production_qty", "shortage_qty", "closing_qty"):
        assert replanned[column].to_numpy() == pytest.approx(
            baseline[column].to_numpy(), abs=1e-6
        ), column

    resource = str(inputs.capacity["resource_id"].iloc[0])
    mp = pytest.MonkeyPatch()
    mp.setenv("SOP_DATA_DIR", str(data_dir))
    try:
        capsys.readouterr()
        code = cli.main(["scenario", f"capacity:resource={resource}:2026-10..2027-03:0"])
    finally:
        mp.undo()
    out = capsys.readouterr().out
    assert code == 0
    assert "Scenario 'adhoc' vs baseline, published run 2026-09" in out
    assert "shortage" in out
