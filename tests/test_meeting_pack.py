"""The S&OP meeting pack on a hand-built warehouse: numbers, sections, charts, browser.

Fixture: 2 families (Alpha: P1, P2; Beta: P3), 2 scenarios (baseline, upside), 2 run
months (May and June 2025) so every KPI has a last-month value. Expected numbers are
worked out by hand in the comments next to each assertion.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from orchestration.meeting_pack import (
    PACK_TABLES,
    ActionItemsError,
    read_action_items,
    render_meeting_pack,
    write_meeting_pack,
)

CHROMIUM = Path("/usr/bin/chromium")
JUN = date(2025, 6, 1)
MAY = date(2025, 5, 1)
JUL, AUG, SEP = date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)
GENERATED_AT = datetime(2025, 7, 2, 8, 30, tzinfo=UTC)

# As in the warehouse during a run; the published file maps the same names to marts.*.
TABLES = {
    "fct_supply_plan": "planning.fct_supply_plan",
    "fct_capacity_utilization": "planning.fct_capacity_utilization",
    "fct_sop_summary": "planning.fct_sop_summary",
    "fct_sop_exceptions": "planning.fct_sop_exceptions",
    "dim_products": "marts.dim_products",
    "fct_rep_kpis_monthly": "marts.fct_rep_kpis_monthly",
    "fct_quota_attainment": "marts.fct_quota_attainment",
    "fct_leaderboard": "marts.fct_leaderboard",
    "fct_pipeline_coverage": "marts.fct_pipeline_coverage",
    "fct_forecast_accuracy": "forecasting.fct_forecast_accuracy",
    "fct_forecast_backtest": "forecasting.fct_forecast_backtest",
}

SECTION_IDS = [
    "summary",
    "kpis",
    "demand-supply",
    "exceptions",
    "revenue-at-risk",
    "scenarios",
    "forecast-accuracy",
    "leaderboard",
    "pipeline-coverage",
    "action-items",
]

CHART_IDS = [
    "demand-supply",
    "revenue-at-risk",
    "scenario-revenue-at-risk",
    "capacity-utilization",
    "forecast-accuracy",
    "leaderboard",
    "pipeline-coverage",
]

# product_id: family, resource, unit_price, unit_cost, hours_per_unit
PRODUCTS = {
    "P1": ("Alpha", "R1", 10.0, 4.0, 0.5),
    "P2": ("Alpha", "R1", 20.0, 8.0, 1.0),
    "P3": ("Beta", "R2", 50.0, 30.0, 2.0),
}

# (run_month, scenario): product_id -> (opening of the first month, demand, fulfilled)
PLANS = {
    (JUN, "baseline"): {
        "P1": (50, [100, 100, 100], [100, 100, 80]),
        "P2": (20, [50, 50, 50], [50, 40, 50]),
        "P3": (5, [10, 10, 10], [10, 10, 10]),
    },
    (JUN, "upside"): {
        "P1": (50, [120, 120, 120], [100, 100, 80]),
        "P2": (20, [60, 60, 60], [50, 40, 50]),
        "P3": (5, [12, 12, 12], [10, 10, 10]),
    },
    (MAY, "baseline"): {
        "P1": (40, [100, 100, 100], [100, 100, 100]),
        "P2": (30, [50, 50, 50], [50, 50, 50]),
        "P3": (5, [10, 10, 10], [10, 10, 0]),
    },
}

ACTION_ITEMS_CSV = (
    "action_id,title,owner,due_date,status,notes\n"
    'A1,Expedite P1 from supplier,Sam,2025-06-15,open,"Call <supplier> & confirm"\n'
    "A2,Review Beta forecast,Kim,2025-07-15,in progress,\n"
    "A3,Update safety stock,Lee,2025-06-01,done,\n"
)


def _month(run_month: date, ahead: int) -> date:
    index = run_month.month - 1 + ahead
    return date(run_month.year + index // 12, index % 12 + 1, 1)


def _create(con: duckdb.DuckDBPyConnection, relation: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)  # noqa: F841 - read by DuckDB's replacement scan below
    con.execute(f"create table {relation} as select * from frame")


def _products() -> list[dict]:
    return [
        {
            "product_id": product_id,
            "product_name": f"Product {product_id}",
            "family": family,
            "category": "Finished goods",
            "unit_price": price,
            "unit_cost": cost,
            "resource_id": resource,
            "hours_per_unit": hours,
            "lead_time_days": 30,
            "launch_date": date(2020, 1, 1),
            "end_date": date(2030, 12, 31) if product_id == "P3" else None,
        }
        for product_id, (family, resource, price, cost, hours) in PRODUCTS.items()
    ]


def _plan_rows() -> list[dict]:
    rows = []
    for (run_month, scenario), products in PLANS.items():
        for product_id, (opening, demand, fulfilled) in products.items():
            family, resource, price, _cost, hours = PRODUCTS[product_id]
            for ahead, (wanted, served) in enumerate(zip(demand, fulfilled, strict=True), 1):
                rows.append(
                    {
                        "run_month": run_month,
                        "scenario": scenario,
                        "product_id": product_id,
                        "family": family,
                        "resource_id": resource,
                        "target_month": _month(run_month, ahead),
                        # Production equals fulfilment, so stock stays at the opening level.
                        "opening_qty": float(opening),
                        "receipts_qty": 0.0,
                        "production_qty": float(served),
                        "demand_qty": float(wanted),
                        "fulfilled_qty": float(served),
                        "shortage_qty": float(wanted - served),
                        "closing_qty": float(opening),
                        "safety_stock_qty": 10.0,
                        "production_hours": served * hours,
                        "unit_price": price,
                        "revenue_at_risk": (wanted - served) * price,
                    }
                )
    return rows


# run, scenario, product, first and last month, action, detail, quantity, revenue at risk,
# reference, priority: rows of fct_sop_exceptions, already one per run of consecutive months.
# The last two are of another scenario and another run: never in the June baseline.
EXCEPTIONS = [
    (JUN, "baseline", "P3", (JUL, SEP), "cut_plan", "Excess above safety", 5, 0, "", 20),
    (
        JUN,
        "baseline",
        "P1",
        (SEP, SEP),
        "expedite",
        "Short 20: <b>rush</b> & go",
        20,
        200,
        "PO-1",
        90,
    ),
    (JUN, "baseline", "P2", (AUG, AUG), "expedite", "Shortage of 10", 10, 200, "PO-2", 80),
    (JUN, "upside", "P3", (JUL, JUL), "expedite", "Upside only", 2, 100, "", 99),
    (MAY, "baseline", "P3", (AUG, AUG), "expedite", "May run only", 10, 500, "", 95),
]


def _exceptions() -> list[dict]:
    rows = []
    for run, scenario, product_id, months, action, detail, qty, risk, ref, priority in EXCEPTIONS:
        short = qty if action == "expedite" else 0
        rows.append(
            {
                "run_month": run,
                "scenario": scenario,
                "product_id": product_id,
                "family": PRODUCTS[product_id][0],
                "first_month": months[0],
                "last_month": months[1],
                "months": months[1].month - months[0].month + 1,
                "action": action,
                "detail": detail,
                "quantity": float(qty),
                "shortage_qty": float(short),
                "excess_qty": float(qty - short),
                "days_of_cover": 15.0,
                "revenue_at_risk": float(risk),
                "reference": ref,
                "priority": priority,
            }
        )
    return rows


def _rep_kpis() -> list[dict]:
    # (rep, month): bookings, won, lost. June: 1,200 and 3 / (3 + 1); May: 1,000 and 2 / 5.
    figures = {
        ("R1", JUN): (700.0, 2, 1),
        ("R2", JUN): (500.0, 1, 0),
        ("R3", JUN): (0.0, 0, 0),
        ("R1", MAY): (600.0, 1, 1),
        ("R2", MAY): (400.0, 1, 2),
    }
    return [
        {
            "rep_id": rep_id,
            "month": month,
            "is_employed": True,
            "bookings_amount": bookings,
            "won_count": won,
            "lost_count": lost,
            "lost_amount": 100.0 * lost,
            "win_rate": won / (won + lost) if won + lost else None,
            "value_win_rate": None,
            "avg_deal_size": bookings / won if won else None,
            "sales_cycle_days_total": 30 * won,
            "avg_sales_cycle_days": 30.0 if won else None,
            "median_sales_cycle_days": 30.0 if won else None,
            "calls": 5,
            "emails": 10,
            "meetings": 2,
            "demos": 1,
            "talk_minutes": 90.0,
            "leads_created": 3,
            "leads_contacted": 2,
            "lead_response_hours_total": 4.0,
            "avg_lead_response_hours": 2.0,
            "median_lead_response_hours": 2.0,
        }
        for (rep_id, month), (bookings, won, lost) in figures.items()
    ]


def _quota_attainment() -> list[dict]:
    def row(level, member, period_type, start, quota, bookings):
        return {
            "level": level,
            "member_id": member,
            "period_type": period_type,
            "period_start": start,
            "quota_amount": quota,
            "bookings_amount": bookings,
            "attainment": bookings / quota,
            "is_period_complete": True,
        }

    return [
        row("company", "ALL", "month", JUN, 1500.0, 1200.0),  # 80%
        row("company", "ALL", "month", MAY, 2000.0, 1000.0),  # 50%
        row("company", "ALL", "quarter", date(2025, 4, 1), 4000.0, 2200.0),
        row("team", "Team A", "month", JUN, 500.0, 700.0),
    ]


def _leaderboard() -> list[dict]:
    def row(month, rep_id, name, quota, bookings, rank):
        return {
            "period_type": "month",
            "period_start": month,
            "rep_id": rep_id,
            "rep_name": name,
            "team": "Team A" if rep_id == "R1" else "Team B",
            "region": "North",
            "quota_amount": quota,
            "bookings_amount": bookings,
            "attainment": bookings / quota if quota else None,
            "team_rank": 1.0 if rank else None,
            "team_ranked_reps": 1.0 if rank else None,
            "company_rank": rank,
            "company_ranked_reps": 2.0 if rank else None,
            "is_period_complete": True,
        }

    return [
        row(JUN, "R1", "Ana Lee", 500.0, 700.0, 1.0),
        row(JUN, "R2", "Bo <Brown>", 1000.0, 500.0, 2.0),
        row(JUN, "R3", "Cy Unranked", 0.0, 0.0, None),
        row(MAY, "R9", "May Only", 100.0, 900.0, 1.0),
    ]


def _pipeline_coverage() -> list[dict]:
    def row(rep_id, start, ahead, pipeline, quota, bookings):
        remaining = None if quota is None else quota - bookings
        return {
            "rep_id": rep_id,
            "quarter_start": start,
            "quarters_ahead": ahead,
            "open_count": 3,
            "open_pipeline_amount": pipeline,
            "quota_amount": quota,
            "bookings_amount": bookings,
            "remaining_quota_amount": remaining,
            "coverage": pipeline / remaining if remaining else None,
        }

    q2, q3 = date(2025, 4, 1), date(2025, 7, 1)
    return [
        row("R1", q2, 0, 600.0, 1500.0, 900.0),
        row("R2", q2, 0, 300.0, 1200.0, 700.0),
        row("R1", q3, 1, 1200.0, 1500.0, 0.0),
        row("R2", q3, 1, 600.0, None, 0.0),
    ]


def _forecast_accuracy() -> list[dict]:
    # lag, target month: product -> (forecast, naive, actual)
    cases = {
        (1, JUN): {"P1": (110, 100, 100), "P2": (45, 40, 50), "P3": (10, 10, 10)},
        (1, MAY): {"P1": (80, 70, 100), "P2": (60, 60, 50), "P3": (12, 10, 10)},
        (1, date(2025, 4, 1)): {"P1": (95, 90, 100), "P2": (50, 45, 50), "P3": (10, 8, 10)},
        (3, JUN): {"P1": (120, 100, 100), "P2": (40, 40, 50), "P3": (8, 10, 10)},
        (3, MAY): {"P1": (130, 70, 100), "P2": (50, 60, 50), "P3": (10, 10, 10)},
    }
    rows = []
    for (lag, target), products in cases.items():
        for product_id, (forecast, naive, actual) in products.items():
            rows.append(
                {
                    "product_id": product_id,
                    "target_month": target,
                    "lag": lag,
                    "run_month": _month(target, -lag),
                    "family": PRODUCTS[product_id][0],
                    "model": "ets",
                    "forecast_qty": float(forecast),
                    "naive_qty": float(naive),
                    "actual_qty": float(actual),
                    "error": float(forecast - actual),
                    "abs_error": float(abs(forecast - actual)),
                    "naive_abs_error": float(abs(naive - actual)),
                }
            )
    return rows


def _forecast_backtest() -> list[dict]:
    """The held-out backtest of the June and May forecasts (fct_forecast_backtest)."""
    # run, level, lag: series, actual, forecast, abs error, naive abs error
    cases = {
        (JUN, "product", 1): (3, 200.0, 190.0, 30.0, 40.0),
        (JUN, "product", 2): (3, 200.0, 210.0, 40.0, 50.0),
        (JUN, "family", 1): (2, 200.0, 200.0, 10.0, 40.0),
        (MAY, "product", 1): (3, 100.0, 100.0, 25.0, 20.0),
    }
    rows = []
    for (run, level, lag), (series, actual, forecast, abs_error, naive) in cases.items():
        rows.append(
            {
                "run_month": run,
                "level": level,
                "lag": lag,
                "series": series,
                "first_origin_month": _month(run, -18),
                "last_origin_month": _month(run, -18),
                "actual_qty": actual,
                "forecast_qty": forecast,
                "abs_error": abs_error,
                "naive_abs_error": naive,
                "wape": abs_error / actual,
                "bias": (forecast - actual) / actual,
                "accuracy": 1 - abs_error / actual,
                "naive_wape": naive / actual,
                "fva": (naive - abs_error) / actual,
            }
        )
    return rows


def _derived_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Capacity and the family summary follow from the plan, as they do in the pipeline."""
    con.execute(
        "create table planning.fct_capacity_utilization as "
        "select run_month, scenario, resource_id, target_month, 90.0 as available_hours, "
        "sum(production_hours) as planned_hours, sum(production_hours) / 90.0 as utilization "
        "from planning.fct_supply_plan group by all"
    )
    con.execute(
        "create table planning.fct_sop_summary as "
        "select run_month, scenario, family, target_month, sum(demand_qty) as demand_qty, "
        "sum(opening_qty + receipts_qty + production_qty) as supply_qty, "
        "sum(fulfilled_qty) as fulfilled_qty, sum(shortage_qty) as shortage_qty, "
        "sum(greatest(closing_qty - safety_stock_qty, 0)) as excess_qty, "
        "sum(closing_qty) as closing_qty, sum(safety_stock_qty) as safety_stock_qty, "
        "sum(closing_qty) / (sum(demand_qty) / 30.0) as days_of_cover, "
        "sum(revenue_at_risk) as revenue_at_risk, "
        "sum(fulfilled_qty) / sum(demand_qty) as fill_rate, "
        "case when sum(shortage_qty) > 0 then 'Expedite supply' else 'On plan' end "
        "as recommendation "
        "from planning.fct_supply_plan group by all"
    )


def build_warehouse() -> duckdb.DuckDBPyConnection:
    """The hand-built warehouse, in memory, with the schemas of the pipeline."""
    con = duckdb.connect()
    for schema in ("planning", "marts", "forecasting"):
        con.execute(f"create schema {schema}")
    _create(con, "marts.dim_products", _products())
    _create(con, "planning.fct_supply_plan", _plan_rows())
    _create(con, "planning.fct_sop_exceptions", _exceptions())
    _create(con, "marts.fct_rep_kpis_monthly", _rep_kpis())
    _create(con, "marts.fct_quota_attainment", _quota_attainment())
    _create(con, "marts.fct_leaderboard", _leaderboard())
    _create(con, "marts.fct_pipeline_coverage", _pipeline_coverage())
    _create(con, "forecasting.fct_forecast_accuracy", _forecast_accuracy())
    _create(con, "forecasting.fct_forecast_backtest", _forecast_backtest())
    _derived_tables(con)
    return con


@pytest.fixture(scope="module")
def warehouse():
    """Shared by the tests that only read; rendering a pack takes a second or two."""
    con = build_warehouse()
    yield con
    con.close()


@pytest.fixture
def scratch_warehouse():
    """A private copy for tests that delete rows or drop columns."""
    con = build_warehouse()
    yield con
    con.close()


@pytest.fixture(scope="module")
def action_items_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("landing") / "planning" / "action_items.csv"
    path.parent.mkdir()
    path.write_text(ACTION_ITEMS_CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pack(warehouse, action_items_csv):
    return render_meeting_pack(
        warehouse,
        JUN,
        TABLES,
        action_items=read_action_items(action_items_csv),
        generated_at=GENERATED_AT,
    )


def _section(html: str, anchor: str) -> str:
    match = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.DOTALL)
    assert match, f"section {anchor} missing"
    return match.group(1)


def _tile(html: str, key: str) -> str:
    match = re.search(rf'<div class="tile" id="kpi-{key}">(.*?)</div></div>', html, re.DOTALL)
    assert match, f"tile {key} missing"
    return re.sub(r"<[^>]+>", " ", match.group(1))


def test_the_fixture_tables_are_the_ones_the_pack_reads():
    assert set(TABLES) == set(PACK_TABLES)


def test_kpi_values_are_hand_computed(pack):
    kpis = {tile.key: tile for tile in pack.kpis}
    assert (kpis["bookings"].value, kpis["bookings"].last) == (1200.0, 1000.0)
    assert (kpis["attainment"].value, kpis["attainment"].last) == (0.8, 0.5)
    # Ratio of sums, 3 / (3 + 1); averaging the reps' rates would give (2/3 + 1) / 2.
    assert kpis["win_rate"].value == pytest.approx(0.75)
    assert kpis["win_rate"].last == pytest.approx(2 / 5)
    # Lag 1, June: |110-100| + |45-50| + 0 = 15 over 160; May: 20 + 10 + 2 = 32 over 160.
    assert kpis["forecast_accuracy"].value == pytest.approx(1 - 15 / 160)
    assert kpis["forecast_accuracy"].last == pytest.approx(1 - 32 / 160)
    # June baseline 450 of 480 fulfilled; May's plan 470 of 480.
    assert kpis["fill_rate"].value == pytest.approx(450 / 480)
    assert kpis["fill_rate"].last == pytest.approx(470 / 480)
    # First plan month opening at unit cost: 50x4 + 20x8 + 5x30 and 40x4 + 30x8 + 5x30.
    assert (kpis["inventory_value"].value, kpis["inventory_value"].last) == (510.0, 550.0)


def test_kpi_tiles_print_value_last_month_and_delta(pack):
    expected = {
        "bookings": ["1,200", "May 2025: 1,000", "+200"],
        "attainment": ["80.0%", "50.0%", "+30.0 pp"],
        "win_rate": ["75.0%", "40.0%", "+35.0 pp"],
        "forecast_accuracy": ["90.6%", "80.0%", "+10.6 pp"],
        "fill_rate": ["93.8%", "97.9%", "-4.2 pp"],
        "inventory_value": ["510", "550", "-40"],
    }
    for key, parts in expected.items():
        tile = _tile(pack.html, key)
        for part in parts:
            assert part in tile, (key, part, tile)


def test_executive_summary_states_the_key_numbers(pack):
    summary = _section(pack.html, "summary")
    assert summary.count("<li>") == 6
    assert "Bookings were 1,200 in June 2025, up 20.0% on May 2025 (1,000)." in summary
    assert "Company quota attainment was 80.0% (50.0% in May 2025)" in summary
    assert "the win rate was 75.0% (40.0% in May 2025)" in summary
    assert "Forecast accuracy at lag 1 was 90.6% (1 - WAPE), up 10.6 pp on May 2025." in summary
    assert "fills 93.8% of demand over the horizon (97.9% in last month&#x27;s plan)" in summary
    assert "leaves 400 of revenue at risk" in summary
    assert "Top recommendation (priority 90): expedite P1 (Alpha) for Sep 2025" in summary
    assert "Action items: 2 still open, 1 overdue." in summary


def test_summary_markdown_for_dagster_metadata(pack):
    markdown = pack.summary_markdown
    assert markdown.startswith("**S&OP meeting pack, June 2025**")
    assert "| Bookings | 1,200 | 1,000 | +200 |" in markdown
    assert "| Win rate | 75.0% | 40.0% | +35.0 pp |" in markdown
    assert "&lt;b&gt;rush" in markdown and "<b>" not in markdown


def test_every_section_is_present_in_order_and_in_the_contents(pack):
    positions = [pack.html.index(f'<section id="{anchor}">') for anchor in SECTION_IDS]
    assert positions == sorted(positions)
    contents = re.search(r'<nav class="toc">(.*?)</nav>', pack.html, re.DOTALL).group(1)
    assert [f"#{anchor}" for anchor in SECTION_IDS] == re.findall(r'href="(#[^"]+)"', contents)
    assert "Run month 2025-06 &middot; generated 2025-07-02 08:30 UTC" in pack.html


def test_every_chart_is_an_inline_svg(pack):
    assert pack.charts == CHART_IDS
    for chart_id in CHART_IDS:
        match = re.search(
            rf'<figure class="chart" id="chart-{chart_id}">\s*<svg\b(.*?)</svg>', pack.html, re.S
        )
        assert match, chart_id
        assert "<path" in match.group(1)
    assert "<?xml" not in pack.html and "<!DOCTYPE svg" not in pack.html


def test_the_page_is_self_contained_with_unique_ids(pack):
    assert not re.search(r"<link\b|<img\b|\bsrc=|@import|url\((?!#)", pack.html)
    ids = re.findall(r'\bid="([^"]+)"', pack.html)
    assert len(ids) == len(set(ids))


def test_rendering_is_deterministic(warehouse, action_items_csv, pack):
    again = render_meeting_pack(
        warehouse,
        JUN,
        TABLES,
        action_items=read_action_items(action_items_csv),
        generated_at=GENERATED_AT,
    )
    assert again.html == pack.html


def test_family_balance_table_sums_the_horizon(pack):
    section = _section(pack.html, "demand-supply")
    # Alpha: demand 300 + 150, fulfilled 280 + 140 = 420 of 450; Beta fills all 30.
    assert re.search(r"<td>Alpha</td><td class=\"num\">450</td>.*?93\.3%", section)
    assert re.search(r"<td>Beta</td><td class=\"num\">30</td>.*?100\.0%", section)
    assert "Expedite supply" in section


def test_exceptions_are_the_baseline_of_the_run_by_priority_and_escaped(pack):
    section = _section(pack.html, "exceptions")
    priorities = [int(p) for p in re.findall(r'<tr><td class="num">(\d+)</td>', section)]
    assert priorities == [90, 80, 20]
    # A run of months shows as its range, a single month as that month.
    assert '<td class="num">20</td><td>Jul 2025 to Sep 2025</td>' in section
    assert '<td class="num">90</td><td>Sep 2025</td>' in section
    assert "Upside only" not in section and "May run only" not in section
    assert "Short 20: &lt;b&gt;rush&lt;/b&gt; &amp; go" in section
    assert "<b>rush</b>" not in pack.html


def test_revenue_at_risk_total_and_by_family(pack):
    section = _section(pack.html, "revenue-at-risk")
    # P1 20 short x 10 + P2 10 short x 20 = 400, all in Alpha.
    assert "Revenue at risk over the baseline horizon: 400" in section
    assert '<td>Alpha</td><td class="num">30</td><td class="num">400</td>' in section


def test_scenarios_baseline_first_with_totals(pack):
    section = _section(pack.html, "scenarios")
    rows = re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", section)
    assert [name for name, _ in rows] == ["baseline", "upside"]
    # Upside: demand 360 + 180 + 36 = 576, fulfilled 450, short 126,
    # at risk 80 x 10 + 40 x 20 + 6 x 50 = 1,900, fill 450 / 576 = 78.1%.
    cells = re.findall(r">([^<]*)</td>", rows[1][1])
    assert cells == ["576", "450", "126", "1,900", "78.1%"]
    # R1 in July: 100 x 0.5 + 50 x 1 = 100 hours of 90 available.
    assert "1 resource-month above 100% of available hours." in section


def test_forecast_accuracy_table_by_target_month(pack):
    section = _section(pack.html, "forecast-accuracy")
    # June: lag 1 90.6%, naive (0 + 10 + 0) / 160 -> 93.8%; lag 3 (20 + 10 + 2) / 160 -> 80.0%.
    assert re.search(
        r"<td>Jun 2025</td><td class=\"num\">90\.6%</td><td class=\"num\">93\.8%</td>"
        r"<td class=\"num\">80\.0%</td>",
        section,
    )


def test_leaderboard_lists_ranked_reps_of_the_month(pack):
    section = _section(pack.html, "leaderboard")
    assert section.index("Ana Lee") < section.index("Bo &lt;Brown&gt;")
    assert "140.0%" in section and "50.0%" in section
    assert "Cy Unranked" not in section and "May Only" not in section


def test_pipeline_coverage_is_a_ratio_of_sums(pack):
    section = _section(pack.html, "pipeline-coverage")
    # Q2: (600 + 300) / (600 + 500); Q3: (1,200 + 600) / 1,500 (R2 has no quota).
    assert re.search(r"<td>2025 Q2</td>.*?0\.82\u00d7</td>", section)
    assert re.search(r"<td>2025 Q3</td>.*?1\.20\u00d7</td>", section)


def test_overdue_action_items_are_flagged(pack):
    section = _section(pack.html, "action-items")
    overdue_rows = re.findall(r'<tr class="overdue">(.*?)</tr>', section)
    assert len(overdue_rows) == 1
    assert "A1" in overdue_rows[0] and 'class="badge overdue"' in overdue_rows[0]
    assert "Call &lt;supplier&gt; &amp; confirm" in overdue_rows[0]
    assert "Open: 1 &middot; In progress: 1 &middot; Done: 1" in section
    assert "(due before 2025-06-30)" in section


def test_today_moves_the_overdue_date(warehouse, action_items_csv):
    pack = render_meeting_pack(
        warehouse, JUN, TABLES, read_action_items(action_items_csv), today=date(2025, 7, 20)
    )
    overdue_rows = re.findall(
        r'<tr class="overdue">(.*?)</tr>', _section(pack.html, "action-items")
    )
    assert [re.search(r"<td>(A\d)</td>", row).group(1) for row in overdue_rows] == ["A1", "A2"]


def test_missing_tables_and_action_items_leave_notes_not_errors():
    con = duckdb.connect()
    pack = render_meeting_pack(con, JUN, {"fct_supply_plan": "planning.fct_supply_plan"})
    assert pack.charts == []
    assert "No forecast accuracy yet: actuals arrive after the first forecast month." in pack.html
    assert "No fct_sop_exceptions table in this database yet." in pack.html
    assert "No fct_supply_plan table in this database yet." in pack.html
    assert "No planning/action_items.csv" in pack.html
    assert _tile(pack.html, "bookings").split() == ["Bookings", "n/a", "May", "2025:", "n/a", "n/a"]
    for anchor in SECTION_IDS:
        assert f'<section id="{anchor}">' in pack.html


def test_empty_tables_say_what_is_missing(scratch_warehouse):
    scratch_warehouse.execute("delete from forecasting.fct_forecast_accuracy")
    scratch_warehouse.execute("delete from forecasting.fct_forecast_backtest")
    scratch_warehouse.execute("delete from planning.fct_sop_exceptions")
    pack = render_meeting_pack(scratch_warehouse, JUN, TABLES, action_items=None)
    assert "No forecast accuracy yet" in _section(pack.html, "forecast-accuracy")
    assert "No exceptions in the baseline of the June 2025 plan." in pack.html
    assert "forecast-accuracy" not in pack.charts


def test_scored_snapshots_win_over_the_backtest(pack):
    # The fixture has both: the tile is the real lag-1 accuracy (15 / 160), without a note.
    assert "backtest" not in _tile(pack.html, "forecast_accuracy")
    assert "Backtest" not in _section(pack.html, "forecast-accuracy")


def test_without_scored_snapshots_the_pack_shows_the_backtest(scratch_warehouse):
    scratch_warehouse.execute("delete from forecasting.fct_forecast_accuracy")
    pack = render_meeting_pack(scratch_warehouse, JUN, TABLES, action_items=None)
    kpis = {tile.key: tile for tile in pack.kpis}
    # June's product backtest at lag 1: 1 - 30 / 200; May's run: 1 - 25 / 100.
    assert kpis["forecast_accuracy"].value == pytest.approx(0.85)
    assert kpis["forecast_accuracy"].last == pytest.approx(0.75)
    assert kpis["forecast_accuracy"].note == "backtest, until real forecast snapshots exist"
    tile = " ".join(_tile(pack.html, "forecast_accuracy").split())
    assert tile == (
        "Forecast accuracy (lag 1) backtest, until real forecast snapshots exist "
        "85.0% May 2025: 75.0% +10.0 pp"
    )
    summary = _section(pack.html, "summary")
    assert (
        "Forecast accuracy at lag 1 was 85.0% (1 - WAPE; backtest, until real forecast "
        "snapshots exist), up 10.0 pp on May 2025." in summary
    )
    assert (
        "| Forecast accuracy (lag 1) (backtest, until real forecast snapshots exist) "
        "| 85.0% | 75.0% | +10.0 pp |" in pack.summary_markdown
    )
    section = _section(pack.html, "forecast-accuracy")
    assert "Backtest, until real forecast snapshots exist." in section
    assert "3 products cut at Dec 2023 and forecast from there" in section
    rows = re.findall(r"<tr>(<td.*?)</tr>", section)
    cells = [re.findall(r">([^<]*)</td>", row) for row in rows]
    # lag, products, accuracy, naive 1 - 40 / 200, bias (190 - 200) / 200, FVA (40 - 30) / 200;
    # lag 2: 1 - 40 / 200, naive 1 - 50 / 200, bias +10 / 200, FVA (50 - 40) / 200.
    assert cells == [
        ["1", "3", "85.0%", "80.0%", "-5.0%", "+5.0 pp"],
        ["2", "3", "80.0%", "75.0%", "5.0%", "+5.0 pp"],
    ]
    assert "forecast-accuracy" not in pack.charts


def test_a_table_without_a_needed_column_is_reported(scratch_warehouse):
    scratch_warehouse.execute("alter table marts.fct_leaderboard drop column company_rank")
    section = _section(render_meeting_pack(scratch_warehouse, JUN, TABLES).html, "leaderboard")
    assert "fct_leaderboard lacks a column the pack reads" in section


def test_write_meeting_pack_replaces_the_file_atomically(pack, tmp_path):
    reports = tmp_path / "reports"
    path = write_meeting_pack(pack, reports, JUN)
    assert path == reports / "sop-2025-06.html"
    assert path.read_text(encoding="utf-8") == pack.html
    assert write_meeting_pack(pack, reports, JUN) == path
    assert [p.name for p in reports.iterdir()] == ["sop-2025-06.html"]


def test_read_action_items_parses_dates_and_statuses(tmp_path):
    path = tmp_path / "action_items.csv"
    path.write_text(
        'title,owner,due_date,status\n"Two-line\ntitle",Sam,2025-06-15, In Progress \n'
        "No date,Kim,,DONE\n",
        encoding="utf-8",
    )
    items = read_action_items(path)
    assert list(items.columns) == ["action_id", "title", "owner", "due_date", "status", "notes"]
    assert items["due_date"].tolist() == [date(2025, 6, 15), None]
    assert items["status"].tolist() == ["in progress", "done"]


def test_a_bad_date_names_file_line_and_column(tmp_path):
    path = tmp_path / "action_items.csv"
    path.write_text(
        'title,owner,due_date,status\n"Multi\nline",Sam,2025-06-15,open\nB,Kim,2025-13-01,open\n',
        encoding="utf-8",
    )
    with pytest.raises(ActionItemsError) as error:
        read_action_items(path)
    assert str(error.value) == (
        f"{path}: line 4, column 'due_date': '2025-13-01' is not a date (YYYY-MM-DD)"
    )


def test_a_missing_column_names_file_and_column(tmp_path):
    path = tmp_path / "action_items.csv"
    path.write_text("title,due_date,status\nA,2025-06-15,open\n", encoding="utf-8")
    with pytest.raises(ActionItemsError, match=r"action_items\.csv: line 1 .*'owner'"):
        read_action_items(path)


def test_an_unknown_status_is_an_error(tmp_path):
    path = tmp_path / "action_items.csv"
    path.write_text("title,owner,due_date,status\nA,Sam,2025-06-15,blocked\n", encoding="utf-8")
    with pytest.raises(ActionItemsError, match="line 2, column 'status': 'blocked'"):
        read_action_items(path)


def _chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
            "to run the headless-browser test of the meeting pack"
        )
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    command = [
        str(CHROMIUM),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


def test_a_browser_draws_every_chart(pack, tmp_path):
    page = write_meeting_pack(pack, tmp_path / "reports", JUN)
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    figures = re.findall(r'<figure class="chart" id="chart-([^"]+)"([^>]*)>', dom)
    assert [chart_id for chart_id, _ in figures] == CHART_IDS
    for chart_id, attributes in figures:
        assert 'data-drawn="yes"' in attributes, chart_id

    screenshot = tmp_path / "pack.png"
    _chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2400", page.as_uri())
    pixels = matplotlib.image.imread(screenshot)[..., :3]
    non_white = np.any(pixels < 0.95, axis=-1).mean()
    assert non_white > 0.01, f"screenshot is blank ({non_white:.2%} non-white pixels)"


def test_a_missing_chromium_fails_the_browser_test_instead_of_skipping(tmp_path, monkeypatch):
    monkeypatch.setitem(globals(), "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install chromium"):
        _chromium(tmp_path, "--version")
