"""The consensus demand plan with overrides, and the overrides' FVA, on hand-computed numbers."""

from __future__ import annotations

import doctest
import math
from datetime import date

import pandas as pd
import pytest

from models.planning import demand_plan as demand_plan_module
from models.planning import plan_accuracy as plan_accuracy_module
from models.planning.demand_plan import (
    APPLIED_COLUMNS,
    PLAN_COLUMNS,
    apply_overrides,
    consensus_demand_plan,
)
from models.planning.plan_accuracy import override_fva, score_plans

JUL, AUG, SEP = "2025-07-01", "2025-08-01", "2025-09-01"
PRODUCTS = pd.DataFrame(
    {"product_id": ["P1", "P2", "P3", "P5"], "family": ["Pumps", "Pumps", "Valves", "Valves"]}
)


def _forecast(totals: dict[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """Product totals (region ALL) plus a regional row the plan must ignore."""
    totals = totals or {
        ("P1", JUL): 30.0,
        ("P1", AUG): 40.0,
        ("P2", JUL): 10.0,
        ("P2", AUG): 0.0,
        ("P3", JUL): 50.0,
        ("P3", AUG): 20.0,
    }
    rows = [
        ("2025-06-01", product, "ALL", month, qty, qty * 0.8, qty * 1.2, qty + 1)
        for (product, month), qty in totals.items()
    ]
    rows.append(("2025-06-01", "P1", "EU", JUL, 999.0, 0.0, 0.0, 0.0))
    return pd.DataFrame(
        rows,
        columns=[
            "run_month",
            "product_id",
            "region",
            "target_month",
            "forecast_qty",
            "lower_80",
            "upper_80",
            "naive_qty",
        ],
    )


def _overrides(*rows: tuple[str | None, str | None, str, str, float]) -> pd.DataFrame:
    """Accepted overrides as parse_overrides returns them; lines numbered from 2."""
    return pd.DataFrame(
        [
            {
                "line": line,
                "product_id": product,
                "family": family,
                "month": date.fromisoformat(month),
                "adjustment_type": kind,
                "value": value,
                "reason": f"reason {line}",
                "submitted_by": "Ann",
            }
            for line, (product, family, month, kind, value) in enumerate(rows, start=2)
        ]
    )


def _plan_row(plan: pd.DataFrame, product: str, month: str) -> dict[str, float]:
    row = plan[(plan["product_id"] == product) & (plan["target_month"] == month)]
    assert len(row) == 1
    return row[["statistical_qty", "override_qty", "consensus_qty"]].iloc[0].to_dict()


def _contributions(applied: pd.DataFrame) -> list[tuple[int, str, str, float]]:
    return [
        (int(r.line), r.product_id, r.target_month, round(r.override_qty, 9))
        for r in applied.itertuples()
    ]


def test_without_overrides_the_consensus_is_the_forecast_with_interval_and_benchmark():
    result = apply_overrides(_forecast())
    assert result.plan.columns.tolist() == PLAN_COLUMNS
    assert result.plan[["product_id", "target_month"]].values.tolist() == [
        ["P1", JUL],
        ["P1", AUG],
        ["P2", JUL],
        ["P2", AUG],
        ["P3", JUL],
        ["P3", AUG],
    ]
    first = result.plan.iloc[0].to_dict()
    assert first == {
        "run_month": "2025-06-01",
        "product_id": "P1",
        "target_month": JUL,
        "statistical_qty": 30.0,
        "override_qty": 0.0,
        "consensus_qty": 30.0,
        "lower_80": 24.0,
        "upper_80": 36.0,
        "naive_qty": 31.0,
    }
    assert result.applied.columns.tolist() == APPLIED_COLUMNS
    assert result.applied.empty
    assert result.unapplied == []


def test_interval_and_benchmark_are_nan_when_the_forecast_has_none():
    forecast = _forecast().drop(columns=["lower_80", "upper_80", "naive_qty"])
    plan = consensus_demand_plan(forecast)
    assert plan.columns.tolist() == PLAN_COLUMNS
    assert plan[["lower_80", "upper_80", "naive_qty"]].isna().all().all()


def test_product_pct():
    # P1 July: 30 x 15 / 100 = 4.5
    result = apply_overrides(_forecast(), _overrides(("P1", None, JUL, "pct", 15.0)))
    assert _plan_row(result.plan, "P1", JUL) == {
        "statistical_qty": 30.0,
        "override_qty": 4.5,
        "consensus_qty": 34.5,
    }
    assert _plan_row(result.plan, "P1", AUG)["override_qty"] == 0.0
    assert result.applied.to_dict("records") == [
        {
            "run_month": "2025-06-01",
            "line": 2,
            "product_id": "P1",
            "family": None,
            "target_month": JUL,
            "adjustment_type": "pct",
            "value": 15.0,
            "statistical_qty": 30.0,
            "override_qty": 4.5,
            "reason": "reason 2",
            "submitted_by": "Ann",
        }
    ]


def test_product_units():
    result = apply_overrides(_forecast(), _overrides(("P3", None, AUG, "units", 25.0)))
    assert _plan_row(result.plan, "P3", AUG) == {
        "statistical_qty": 20.0,
        "override_qty": 25.0,
        "consensus_qty": 45.0,
    }


def test_product_units_on_a_zero_forecast():
    result = apply_overrides(_forecast(), _overrides(("P2", None, AUG, "units", 12.0)))
    assert _plan_row(result.plan, "P2", AUG) == {
        "statistical_qty": 0.0,
        "override_qty": 12.0,
        "consensus_qty": 12.0,
    }


def test_family_pct_moves_every_product_of_the_family():
    # Pumps July +10%: P1 30 -> +3, P2 10 -> +1; Valves untouched
    result = apply_overrides(_forecast(), _overrides((None, "Pumps", JUL, "pct", 10.0)), PRODUCTS)
    assert _plan_row(result.plan, "P1", JUL)["override_qty"] == 3.0
    assert _plan_row(result.plan, "P2", JUL)["override_qty"] == 1.0
    assert _plan_row(result.plan, "P3", JUL)["override_qty"] == 0.0
    assert _contributions(result.applied) == [(2, "P1", JUL, 3.0), (2, "P2", JUL, 1.0)]
    assert result.applied["family"].tolist() == ["Pumps", "Pumps"]


def test_family_units_are_spread_in_proportion_to_the_forecast():
    # Pumps July +20 units over forecasts 30 and 10: 20 x 30/40 = 15, 20 x 10/40 = 5
    result = apply_overrides(_forecast(), _overrides((None, "Pumps", JUL, "units", 20.0)), PRODUCTS)
    assert _plan_row(result.plan, "P1", JUL) == {
        "statistical_qty": 30.0,
        "override_qty": 15.0,
        "consensus_qty": 45.0,
    }
    assert _plan_row(result.plan, "P2", JUL) == {
        "statistical_qty": 10.0,
        "override_qty": 5.0,
        "consensus_qty": 15.0,
    }


def test_family_units_skip_a_product_that_forecasts_zero():
    # Pumps August: P1 40, P2 0, so all 20 units go to P1
    result = apply_overrides(_forecast(), _overrides((None, "Pumps", AUG, "units", 20.0)), PRODUCTS)
    assert _contributions(result.applied) == [(2, "P1", AUG, 20.0), (2, "P2", AUG, 0.0)]


def test_family_units_with_a_zero_family_forecast_are_spread_equally():
    forecast = _forecast({("P1", JUL): 0.0, ("P2", JUL): 0.0, ("P3", JUL): 8.0})
    result = apply_overrides(forecast, _overrides((None, "Pumps", JUL, "units", 10.0)), PRODUCTS)
    assert _plan_row(result.plan, "P1", JUL)["consensus_qty"] == 5.0
    assert _plan_row(result.plan, "P2", JUL)["consensus_qty"] == 5.0
    assert _plan_row(result.plan, "P3", JUL)["consensus_qty"] == 8.0


def test_family_units_skip_products_without_a_forecast_row_that_month():
    # P5 is a Valve without forecast rows: P3 takes all of the Valves' 6 units
    result = apply_overrides(_forecast(), _overrides((None, "Valves", JUL, "units", 6.0)), PRODUCTS)
    assert _contributions(result.applied) == [(2, "P3", JUL, 6.0)]


def test_overrides_of_the_same_product_and_month_add_up():
    # P1 July: +10% of 30 = 3, then +7 units: override 10, consensus 40
    result = apply_overrides(
        _forecast(),
        _overrides(("P1", None, JUL, "pct", 10.0), ("P1", None, JUL, "units", 7.0)),
    )
    assert _plan_row(result.plan, "P1", JUL) == {
        "statistical_qty": 30.0,
        "override_qty": 10.0,
        "consensus_qty": 40.0,
    }
    assert _contributions(result.applied) == [(2, "P1", JUL, 3.0), (3, "P1", JUL, 7.0)]


def test_product_and_family_overrides_add_up():
    # P1 July: family +20 units gives 15, product -50% gives -15: net 0
    result = apply_overrides(
        _forecast(),
        _overrides((None, "Pumps", JUL, "units", 20.0), ("P1", None, JUL, "pct", -50.0)),
        PRODUCTS,
    )
    assert _plan_row(result.plan, "P1", JUL)["override_qty"] == 0.0
    assert _plan_row(result.plan, "P2", JUL)["override_qty"] == 5.0


def test_clipping_at_zero_keeps_the_balance_and_scales_the_lines():
    # P3 August forecasts 20: -30 units and -50% (-10) ask for -40; demand stops at 0, so
    # override = -20 and each line keeps its share: -30 x 20/40 = -15, -10 x 20/40 = -5
    result = apply_overrides(
        _forecast(),
        _overrides(("P3", None, AUG, "units", -30.0), ("P3", None, AUG, "pct", -50.0)),
    )
    assert _plan_row(result.plan, "P3", AUG) == {
        "statistical_qty": 20.0,
        "override_qty": -20.0,
        "consensus_qty": 0.0,
    }
    assert _contributions(result.applied) == [(2, "P3", AUG, -15.0), (3, "P3", AUG, -5.0)]


def test_plan_balances_and_trace_sums_to_the_plan_on_every_row():
    result = apply_overrides(
        _forecast(),
        _overrides(
            (None, "Pumps", JUL, "units", 20.0),
            ("P1", None, JUL, "pct", -90.0),
            ("P1", None, JUL, "units", -40.0),
            (None, "Valves", AUG, "pct", 33.0),
            ("P3", None, AUG, "units", -100.0),
        ),
        PRODUCTS,
    )
    plan = result.plan
    assert (plan["consensus_qty"] == plan["statistical_qty"] + plan["override_qty"]).all()
    assert (plan["consensus_qty"] >= 0).all()
    traced = result.applied.groupby(["product_id", "target_month"])["override_qty"].sum()
    planned = plan.set_index(["product_id", "target_month"])["override_qty"]
    pd.testing.assert_series_equal(
        traced, planned[planned.index.isin(traced.index)], check_names=False
    )
    # P1 July: 15 - 27 - 40 = -52 asks below -30, clipped; P3 August: 6.6 - 100, clipped
    assert _plan_row(plan, "P1", JUL)["consensus_qty"] == 0.0
    assert _plan_row(plan, "P3", AUG)["override_qty"] == -20.0


def test_an_override_without_a_forecast_row_is_reported_not_applied():
    result = apply_overrides(
        _forecast(),
        _overrides(
            ("P5", None, JUL, "units", 100.0),
            (None, "Valves", SEP, "pct", 10.0),
            ("P1", None, JUL, "units", 1.0),
        ),
        PRODUCTS,
    )
    assert result.plan["override_qty"].sum() == 1.0
    assert [r.message for r in result.unapplied] == [
        "planning/overrides.csv line 2, column product_id: 'P5' has no statistical forecast "
        "for 2025-07 in this run, so the override was not applied (a product launched after "
        "the run month or without orders yet has none)",
        "planning/overrides.csv line 3, column family: 'Valves' has no product with a "
        "statistical forecast for 2025-09 in this run, so the override was not applied "
        "(a product launched after the run month or without orders yet has none)",
    ]


def test_when_no_override_matches_the_plan_is_the_forecast():
    result = apply_overrides(_forecast(), _overrides(("P5", None, JUL, "units", 100.0)))
    assert result.plan["override_qty"].tolist() == [0.0] * 6
    assert result.plan["consensus_qty"].tolist() == [30.0, 40.0, 10.0, 0.0, 50.0, 20.0]
    assert result.applied.columns.tolist() == APPLIED_COLUMNS
    assert result.applied.empty
    assert [r.line for r in result.unapplied] == [2]


def test_family_overrides_need_the_products():
    with pytest.raises(ValueError, match="family overrides need products"):
        apply_overrides(_forecast(), _overrides((None, "Pumps", JUL, "pct", 10.0)))


def test_consensus_demand_plan_is_the_plan_of_apply_overrides():
    overrides = _overrides((None, "Pumps", JUL, "units", 20.0))
    pd.testing.assert_frame_equal(
        consensus_demand_plan(_forecast(), overrides, PRODUCTS),
        apply_overrides(_forecast(), overrides, PRODUCTS).plan,
    )


def _plans() -> pd.DataFrame:
    rows = [
        # run month, product, target, statistical, consensus, naive
        ("2025-01-01", "P1", "2025-02-01", 80.0, 90.0, 70.0),
        ("2025-01-01", "P1", "2025-03-01", 50.0, 60.0, 40.0),
        ("2025-01-01", "P2", "2025-02-01", 20.0, 20.0, 25.0),
        ("2025-01-01", "P2", "2025-03-01", 10.0, 5.0, 10.0),
        ("2025-01-01", "P1", "2025-04-01", 99.0, 99.0, 99.0),  # after the as-of month
    ]
    columns = [
        "run_month",
        "product_id",
        "target_month",
        "statistical_qty",
        "consensus_qty",
        "naive_qty",
    ]
    return pd.DataFrame(rows, columns=columns)


ACTUALS = pd.DataFrame(
    [
        ("P1", "EU", "2025-02-01", 60.0),
        ("P1", "US", "2025-02-01", 40.0),
        ("P1", "EU", "2025-03-01", 50.0),
        ("P2", "EU", "2025-02-01", 6.0),
        ("P2", "US", "2025-02-01", 4.0),
        # P2 has no March row: zero demand
    ],
    columns=["product_id", "region", "month", "quantity"],
)
FAMILIES = pd.DataFrame({"product_id": ["P1", "P2"], "family": ["A", "B"]})


def test_score_plans_points():
    points = score_plans(_plans(), ACTUALS, "2025-03-01", FAMILIES)
    # abs errors (statistical, consensus, naive):
    # P1 Feb actual 100: 20, 10, 30; P1 Mar actual 50: 0, 10, 10
    # P2 Feb actual 10: 10, 10, 15;  P2 Mar actual 0: 10, 5, 10
    columns = [
        "product_id",
        "lag",
        "family",
        "actual_qty",
        "statistical_abs_error",
        "consensus_abs_error",
        "naive_abs_error",
    ]
    assert points[columns].values.tolist() == [
        ["P1", 1, "A", 100.0, 20.0, 10.0, 30.0],
        ["P1", 2, "A", 50.0, 0.0, 10.0, 10.0],
        ["P2", 1, "B", 10.0, 10.0, 10.0, 15.0],
        ["P2", 2, "B", 0.0, 10.0, 5.0, 10.0],
    ]


def _fva_row(fva: pd.DataFrame, level: str, member: str, lag: int) -> dict[str, float]:
    row = fva[(fva["level"] == level) & (fva["member_id"] == member) & (fva["lag"] == lag)]
    assert len(row) == 1
    columns = [
        "wape_consensus",
        "wape_statistical",
        "wape_naive",
        "fva_consensus_vs_statistical",
        "fva_consensus_vs_naive",
    ]
    return row[columns].iloc[0].to_dict()


def test_override_fva_arithmetic():
    fva = override_fva(score_plans(_plans(), ACTUALS, "2025-03-01", FAMILIES))
    # portfolio lag 1 (February): actual 110; errors statistical 20 + 10 = 30,
    # consensus 10 + 10 = 20, naive 30 + 15 = 45
    assert _fva_row(fva, "portfolio", "ALL", 1) == pytest.approx(
        {
            "wape_consensus": 20 / 110,
            "wape_statistical": 30 / 110,
            "wape_naive": 45 / 110,
            "fva_consensus_vs_statistical": 10 / 110,
            "fva_consensus_vs_naive": 25 / 110,
        }
    )
    # portfolio lag 2 (March): actual 50 + 0; statistical 0 + 10, consensus 10 + 5,
    # naive 10 + 10: the overrides made March worse (-0.1)
    assert _fva_row(fva, "portfolio", "ALL", 2) == pytest.approx(
        {
            "wape_consensus": 0.3,
            "wape_statistical": 0.2,
            "wape_naive": 0.4,
            "fva_consensus_vs_statistical": -0.1,
            "fva_consensus_vs_naive": 0.1,
        }
    )
    # family A is P1 alone; lag 1: 10/100, 20/100, 30/100
    assert _fva_row(fva, "family", "A", 1) == pytest.approx(
        {
            "wape_consensus": 0.1,
            "wape_statistical": 0.2,
            "wape_naive": 0.3,
            "fva_consensus_vs_statistical": 0.1,
            "fva_consensus_vs_naive": 0.2,
        }
    )
    # P2 in March sold nothing: WAPE is undefined there
    assert all(math.isnan(v) for v in _fva_row(fva, "product", "P2", 2).values())
    portfolio = fva[fva["level"] == "portfolio"]
    assert portfolio["points"].tolist() == [2, 2]
    assert portfolio["actual_qty"].tolist() == [110.0, 50.0]
    assert len(fva) == 2 * 2 + 2 * 2 + 2  # products x lags, families x lags, portfolio x lags


def test_plans_without_naive_fall_back_to_statistical():
    plans = _plans().drop(columns=["naive_qty"])
    fva = override_fva(score_plans(plans, ACTUALS, "2025-03-01"))
    row = _fva_row(fva, "portfolio", "ALL", 1)
    assert row["wape_naive"] == row["wape_statistical"]
    assert fva.loc[fva["level"] == "family", "member_id"].unique().tolist() == ["(none)"]


@pytest.mark.parametrize("module", [demand_plan_module, plan_accuracy_module])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
