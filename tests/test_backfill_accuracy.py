"""`sop backfill` runs months in order; each kept forecast is scored when actuals arrive."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from orchestration import cli


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    from tests.conftest import TINY_LANDING, copy_landing

    data_dir = tmp_path_factory.mktemp("backfill")
    landing = copy_landing(TINY_LANDING, data_dir / "landing")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOP_DATA_DIR", str(data_dir))
        patch.setenv("SOP_LANDING_DIR", str(landing))
        code = cli.main(["backfill", "--from", "2025-05", "--to", "2025-06"])
    return code, data_dir / "published" / "sop.duckdb"


def _query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_backfill_runs_each_month_and_publishes_the_last(backfilled, capsys) -> None:
    code, published = backfilled
    assert code == 0
    assert _query(published, "select strftime(run_month, '%Y-%m') from marts.published_run") == [
        ("2025-06",)
    ]
    snapshots = _query(
        published,
        "select strftime(run_month, '%Y-%m'), count(*) from marts.fct_demand_forecast "
        "group by 1 order by 1",
    )
    assert [month for month, _ in snapshots] == ["2025-05", "2025-06"]


def test_the_may_forecast_of_june_is_scored_at_lag_one(backfilled) -> None:
    _, published = backfilled
    rows = _query(
        published,
        "select product_id, strftime(target_month, '%Y-%m'), lag, "
        "strftime(run_month, '%Y-%m'), family, forecast_qty, actual_qty, error, abs_error "
        "from marts.fct_forecast_accuracy order by product_id",
    )
    # As of May, P1 had EMEA history 15, 0, 7 (Mar-May; under 12 months, so naive: 7) and no
    # APAC order yet; P2 had EMEA 2, 0 (Apr-May): naive 0. June actuals: P1 3 (APAC), P2 0.
    # P3 launched in June, so the May run did not forecast it.
    assert rows == [
        ("P1", "2025-06", 1, "2025-05", "Pumps", 7.0, 3.0, 4.0, 4.0),
        ("P2", "2025-06", 1, "2025-05", "Valves", 0.0, 0.0, 0.0, 0.0),
    ]


def test_the_summary_gives_wape_bias_and_fva_by_level_and_lag(backfilled) -> None:
    _, published = backfilled
    rows = _query(
        published,
        "select level, member_id, lag, points, actual_qty, abs_error, wape, bias, accuracy, fva "
        "from marts.fct_forecast_accuracy_summary order by level, member_id",
    )
    assert [r[:6] for r in rows] == [
        ("family", "Pumps", 1, 1, 3.0, 4.0),
        ("family", "Valves", 1, 1, 0.0, 0.0),
        ("portfolio", "ALL", 1, 2, 3.0, 4.0),
        ("product", "P1", 1, 1, 3.0, 4.0),
        ("product", "P2", 1, 1, 0.0, 0.0),
    ]
    portfolio = rows[2]
    # WAPE 4 / 3, bias 4 / 3, accuracy max(0, 1 - 4/3) = 0; the forecast is seasonal naive
    # itself, so its value added over seasonal naive is 0.
    assert portfolio[6:] == pytest.approx((4 / 3, 4 / 3, 0.0, 0.0))
    valves = rows[1]
    assert all(value is None or math.isnan(value) for value in valves[6:])
