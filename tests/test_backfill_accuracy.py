"""`sop backfill` runs months in order; each kept forecast is scored when actuals arrive."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def backfilled(tiny_backfill):
    """`sop backfill --from 2025-05 --to 2025-06` on the tiny landing (tests/conftest.py)."""
    return tiny_backfill.exit_code, tiny_backfill.published


def _rounded(rows: list[tuple]) -> list[tuple]:
    """Floats to 9 decimals, so rows with thirds compare exactly."""
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


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
    # As of May, P1 had EMEA history 15, 0, 7 (Mar-May) and no APAC order yet; P2 had EMEA
    # 2, 0 (Apr-May). Too short to backtest, so each takes its historic mean: P1 22/3, P2 1.
    # June actuals: P1 3 (APAC), P2 0. P3 launched in June, so May did not forecast it.
    assert _rounded(rows) == _rounded(
        [
            ("P1", "2025-06", 1, "2025-05", "Pumps", 22 / 3, 3.0, 13 / 3, 13 / 3),
            ("P2", "2025-06", 1, "2025-05", "Valves", 1.0, 0.0, 1.0, 1.0),
        ]
    )


def test_the_summary_gives_wape_bias_and_fva_by_level_and_lag(backfilled) -> None:
    _, published = backfilled
    rows = _query(
        published,
        "select level, member_id, lag, points, actual_qty, abs_error, wape, bias, accuracy, fva "
        "from marts.fct_forecast_accuracy_summary order by level, member_id",
    )
    assert _rounded([r[:6] for r in rows]) == _rounded(
        [
            ("family", "Pumps", 1, 1, 3.0, 13 / 3),
            ("family", "Valves", 1, 1, 0.0, 1.0),
            ("portfolio", "ALL", 1, 2, 3.0, 16 / 3),
            ("product", "P1", 1, 1, 3.0, 13 / 3),
            ("product", "P2", 1, 1, 0.0, 1.0),
        ]
    )
    portfolio = rows[2]
    # WAPE (13/3 + 1) / 3 = 16/9, bias 16/9, accuracy max(0, 1 - 16/9) = 0. Seasonal naive
    # (naive under a year: P1 7, P2 0) is off by 4, WAPE 4/3: FVA = 4/3 - 16/9 = -4/9.
    assert portfolio[6:] == pytest.approx((16 / 9, 16 / 9, 0.0, -4 / 9))
    valves = rows[1]
    assert all(value is None or math.isnan(value) for value in valves[6:])


def test_the_overrides_value_added_is_scored_when_actuals_arrive(backfilled) -> None:
    _, published = backfilled
    points = _query(
        published,
        "select product_id, lag, statistical_qty, consensus_qty, naive_qty, actual_qty "
        "from marts.fct_demand_plan_accuracy order by product_id",
    )
    # May's plan of June: P1 22/3 - 4 units = 10/3; Valves +50% on its only product P2: 1.5.
    assert _rounded(points) == _rounded(
        [("P1", 1, 22 / 3, 10 / 3, 7.0, 3.0), ("P2", 1, 1.0, 1.5, 0.0, 0.0)]
    )
    (portfolio,) = _query(
        published,
        "select wape_statistical, wape_consensus, wape_naive, fva_consensus_vs_statistical, "
        "fva_consensus_vs_naive from marts.fct_demand_plan_fva where level = 'portfolio'",
    )
    # Statistical (13/3 + 1) / 3 = 16/9; consensus |10/3 - 3| = 1/3 and |1.5 - 0| = 3/2,
    # so (1/3 + 3/2) / 3 = 11/18; naive (4 + 0) / 3 = 4/3.
    # FVA vs statistical 16/9 - 11/18 = 7/6; vs naive 4/3 - 11/18 = 13/18.
    assert portfolio == pytest.approx((16 / 9, 11 / 18, 4 / 3, 7 / 6, 13 / 18))


def test_last_months_overrides_expire_without_failing_the_run(backfilled) -> None:
    code, published = backfilled
    assert code == 0  # the June run does not plan June: both lines expired, no warning
    rows = _query(
        published,
        "select strftime(run_month, '%Y-%m'), line, kind from marts.dq_override_rejections "
        "order by 1, 2",
    )
    assert rows == [("2025-06", 2, "expired"), ("2025-06", 3, "expired")]
