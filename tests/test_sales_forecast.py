"""The bookings forecast (fct_sales_forecast): pipeline views, roll-up, statistical, blend.

Pure-function tests use small frames with hand-computed numbers; the last
tests run the dbt models on tests/fixtures/tiny_landing (run month 2025-06,
as-of date 2025-06-30), then the Dagster asset and its GX suites, on a
warehouse of their own.

The tiny landing's opportunities at month ends (all reps are in EMEA):

| month end | open opportunity | stage, amount, close date | why |
| --- | --- | --- | --- |
| March | O1 | Prospecting 500, 2025-04-30 | won 2025-04-10 |
| April | O7 | Negotiation 250, 2025-05-10 | won 2025-05-03 |
| May | O2 | Prospecting 1,500, 2025-06-30 | won 2025-06-15 |
| May | O3 | Qualification 900, 2025-06-30 | lost 2025-06-20 |
| June | O4 | Prospecting 5,000, 2025-07-31 | its July win is after the as-of date |
| June | O6 | Proposal 700, 2025-06-25 | open; overdue, so expected in July |

O5 enters Proposal and is won within June: never open at a month end.
Bookings: April 600 (O1), May 250 (O7), June 1,500 + 300 = 1,800 (O2, O5).
"""

from __future__ import annotations

import doctest
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sktime.forecasting.naive import NaiveForecaster

from expectations import list_suites
from models.forecasting import VectorizedSeasonalNaive
from models.forecasting import bookings as bookings_module
from models.forecasting.bookings import (
    SALES_FORECAST_COLUMNS,
    BlendConfig,
    forecast_sales,
)
from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_FILES
from orchestration.quality import validate_suite
from orchestration.resources import SopResource
from orchestration.sales_forecast import SALES_FORECAST_TABLE, build_sales_forecast_defs
from tests.conftest import TINY_LANDING, make_settings
from tests.dbt_cli import run_dbt

# Seasonal naive: hand-computable; the platform default chooses a model per region.
SNAIVE = VectorizedSeasonalNaive(sp=12)

Z80 = norm.ppf(0.9)


def _pipeline_row(month, region, close, category, amount, weighted, win_weighted) -> dict:
    return {
        "month": pd.Timestamp(month),
        "region": region,
        "expected_close_month": pd.Timestamp(close),
        "forecast_category": category,
        "amount": amount,
        "weighted_amount": weighted,
        "win_rate_weighted_amount": win_weighted,
    }


def _by_region_lag(forecast: pd.DataFrame, columns: list[str]) -> dict:
    return {
        (row.region, int(row.lag)): tuple(round(float(getattr(row, c)), 6) for c in columns)
        for row in forecast.itertuples()
    }


def test_docstring_example_runs() -> None:
    result = doctest.testmod(bookings_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- #
# pipeline views, roll-up and the fallback with too little history
# --------------------------------------------------------------------------- #


@pytest.fixture
def short_history() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three months of bookings (too few to backtest) and the June month-end pipeline."""
    bookings = pd.DataFrame(
        {
            "region": ["EMEA", "EMEA", "EMEA", "APAC", "EMEA"],
            "month": pd.to_datetime(
                ["2025-04-01", "2025-05-01", "2025-06-01", "2025-06-01", "2025-07-01"]
            ),
            "bookings_amount": [100.0, 200.0, 300.0, 50.0, 9999.0],  # July: after the run
        }
    )
    june = "2025-06-01"
    pipeline = pd.DataFrame(
        [
            _pipeline_row(june, "EMEA", "2025-07-01", "Commit", 1000.0, 750.0, 600.0),
            _pipeline_row(june, "EMEA", "2025-07-01", "Best Case", 400.0, 200.0, 180.0),
            _pipeline_row(june, "EMEA", "2025-07-01", "Pipeline", 300.0, 30.0, 60.0),
            _pipeline_row(june, "EMEA", "2025-07-01", "Omitted", 200.0, 20.0, 40.0),
            _pipeline_row(june, "EMEA", "2025-09-01", "Best Case", 500.0, 250.0, 225.0),
            _pipeline_row(june, "NA-West", "2025-08-01", "Pipeline", 100.0, 10.0, 25.0),
            # an older month end and one after the run month: not the run's pipeline
            _pipeline_row("2025-05-01", "EMEA", "2025-07-01", "Commit", 7.0, 7.0, 7.0),
            _pipeline_row("2025-07-01", "EMEA", "2025-08-01", "Commit", 8.0, 8.0, 8.0),
        ]
    )
    return bookings, pipeline


def test_pipeline_views_and_forecast_category_roll_up(short_history) -> None:
    bookings, pipeline = short_history
    forecast = forecast_sales(bookings, pipeline, "2025-06", horizon=4, forecaster=SNAIVE).forecast

    assert list(forecast.columns) == SALES_FORECAST_COLUMNS
    columns = [
        "pipeline_weighted_amount",
        "stage_to_win_amount",
        "commit_amount",
        "best_case_amount",
        "pipeline_amount",
    ]
    views = _by_region_lag(forecast, columns)
    # July: every open deal in both views, Omitted included (it is open pipeline);
    # commit 1,000; best case = commit + best case 400; pipeline adds the 300 Pipeline deal.
    assert views[("EMEA", 1)] == (1000.0, 880.0, 1000.0, 1400.0, 1700.0)
    assert views[("EMEA", 2)] == (0.0, 0.0, 0.0, 0.0, 0.0)
    assert views[("EMEA", 3)] == (250.0, 225.0, 0.0, 500.0, 500.0)
    assert views[("NA-West", 2)] == (10.0, 25.0, 0.0, 0.0, 100.0)
    # APAC has bookings and no pipeline: zeros, never missing rows.
    assert all(views[("APAC", lag)] == (0.0,) * 5 for lag in range(1, 5))
    assert len(forecast) == 3 * 4
    assert forecast["target_month"].min() == pd.Timestamp("2025-07-01")
    assert (forecast["run_month"] == pd.Timestamp("2025-06-01")).all()


def test_too_little_history_falls_back_to_the_default_weights(short_history) -> None:
    bookings, pipeline = short_history
    result = forecast_sales(bookings, pipeline, "2025-06", horizon=4, forecaster=SNAIVE)

    backtest = result.backtest.set_index("lag")
    assert backtest["origins"].tolist() == [0, 0, 0, 0]
    # 0.5 on the stage-probability view for lags 1-3 where there is pipeline; 0 after.
    assert backtest["blend_weight"].tolist() == [0.5, 0.5, 0.5, 0.0]
    assert backtest["weight_source"].tolist() == ["default"] * 4
    assert set(backtest["pipeline_view"]) == {"stage_probability"}

    # Naive statistical forecast (under a year of history): EMEA 300, APAC 50, NA-West 0.
    forecast = _by_region_lag(result.forecast, ["statistical_amount", "forecast_amount"])
    assert forecast[("EMEA", 1)] == (300.0, 0.5 * 1000 + 0.5 * 300)
    assert forecast[("EMEA", 2)] == (300.0, 150.0)  # NA-West has lag-2 pipeline: w = 0.5
    assert forecast[("EMEA", 3)] == (300.0, 0.5 * 250 + 0.5 * 300)
    assert forecast[("EMEA", 4)] == (300.0, 300.0)
    assert forecast[("APAC", 1)] == (50.0, 25.0)
    assert forecast[("NA-West", 1)] == (0.0, 0.0)
    assert forecast[("NA-West", 2)] == (0.0, 5.0)


def test_a_default_lag_without_any_pipeline_is_statistical_only(short_history) -> None:
    bookings, pipeline = short_history
    pipeline = pipeline[pipeline["region"] != "NA-West"]  # nothing open for August now
    backtest = forecast_sales(bookings, pipeline, "2025-06", horizon=3, forecaster=SNAIVE).backtest
    assert backtest["blend_weight"].tolist() == [0.5, 0.0, 0.5]
    assert backtest["weight_source"].tolist() == ["default", "no_pipeline", "default"]


def test_amounts_are_never_negative_with_another_sktime_forecaster() -> None:
    """Any sktime forecaster with predict_interval plugs in; a negative forecast is floored."""
    bookings = pd.DataFrame(
        {
            "region": "EMEA",
            "month": pd.date_range("2025-04-01", periods=3, freq="MS"),
            "bookings_amount": [300.0, 200.0, 100.0],
        }
    )
    pipeline = pd.DataFrame(
        [_pipeline_row("2025-06-01", "NA-West", "2025-07-01", "Commit", 80.0, 60.0, 40.0)]
    )
    forecast = forecast_sales(
        bookings, pipeline, "2025-06", horizon=3, forecaster=NaiveForecaster(strategy="drift")
    ).forecast

    amounts = [c for c in SALES_FORECAST_COLUMNS if c.endswith(("_amount", "_80"))]
    assert (forecast[amounts] >= 0).all().all()
    emea = forecast[forecast["region"] == "EMEA"]
    # Drift continues -100 a month: 0, -100, -200, floored at 0.
    assert emea["statistical_amount"].tolist() == [0.0, 0.0, 0.0]
    assert set(emea["statistical_model"]) == {"NaiveForecaster"}
    west = forecast[forecast["region"] == "NA-West"].iloc[0]
    assert west["statistical_model"] == "none"  # no bookings history to fit
    assert (west["statistical_amount"], west["forecast_amount"]) == (0.0, 0.5 * 60.0)


# --------------------------------------------------------------------------- #
# the backtest chooses the view and weight
# --------------------------------------------------------------------------- #


@pytest.fixture
def growing_bookings() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three years of bookings growing by 10 a month (seasonal naive is always 120 short).

    At each month end the pipeline holds: for the next month, exactly its
    bookings on the stage-probability view (half of it on the stage-to-win
    view); for the month after, exactly its bookings on the stage-to-win view
    (double on the stage-probability view); three months out, 5% of them.
    """
    months = pd.date_range("2023-07-01", "2026-06-01", freq="MS")
    amounts = 1000.0 + 10 * np.arange(len(months) + 3)
    bookings = pd.DataFrame(
        {"region": "EMEA", "month": months, "bookings_amount": amounts[: len(months)]}
    )
    rows = []
    for i, month in enumerate(months):
        nxt, second, third = amounts[i + 1], amounts[i + 2], amounts[i + 3]
        close = [month + pd.DateOffset(months=k) for k in (1, 2, 3)]
        rows += [
            _pipeline_row(month, "EMEA", close[0], "Commit", nxt, nxt, 0.5 * nxt),
            _pipeline_row(month, "EMEA", close[1], "Best Case", second, 2 * second, second),
            _pipeline_row(month, "EMEA", close[2], "Pipeline", third, 0.05 * third, 0.05 * third),
        ]
    return bookings, pd.DataFrame(rows)


def test_the_backtest_picks_the_view_and_weight_that_forecast_best(growing_bookings) -> None:
    bookings, pipeline = growing_bookings
    result = forecast_sales(bookings, pipeline, "2026-06", horizon=4, forecaster=SNAIVE)
    backtest = result.backtest.set_index("lag")

    # 12 origins per lag, the latest whose target month has actuals.
    assert backtest["origins"].tolist() == [12, 12, 12, 12]
    assert backtest.loc[1, "first_origin"] == pd.Timestamp("2025-06-01")
    assert backtest.loc[1, "last_origin"] == pd.Timestamp("2026-05-01")
    assert backtest.loc[4, "last_origin"] == pd.Timestamp("2026-02-01")
    # Target months of lag 1: indices 24..35, bookings 1,240 .. 1,350.
    actual = sum(1000.0 + 10 * i for i in range(24, 36))
    assert backtest.loc[1, "actual_amount"] == actual
    assert backtest.loc[1, "wape_statistical"] == pytest.approx(12 * 120 / actual)

    assert backtest.loc[1, "pipeline_view"] == "stage_probability"
    assert backtest.loc[1, "blend_weight"] == 1.0
    assert backtest.loc[1, "wape_stage_probability"] == 0.0
    assert backtest.loc[1, "wape_stage_to_win"] == pytest.approx(0.5)
    assert backtest.loc[1, "wape_blend"] == 0.0

    assert backtest.loc[2, "pipeline_view"] == "stage_to_win"
    assert backtest.loc[2, "blend_weight"] == 1.0
    assert backtest.loc[2, "wape_stage_probability"] == pytest.approx(1.0)
    assert backtest.loc[2, "wape_blend"] == 0.0

    # Three months out the pipeline holds 5% of bookings: below the 10% floor,
    # so statistical only; four months out there is none at all.
    assert backtest.loc[3, "pipeline_share"] == pytest.approx(0.05)
    assert backtest.loc[[3, 4], "blend_weight"].tolist() == [0.0, 0.0]
    assert backtest.loc[[3, 4], "weight_source"].tolist() == ["no_pipeline"] * 2
    assert backtest.loc[1:2, "weight_source"].tolist() == ["backtest"] * 2
    assert backtest.loc[3, "wape_blend"] == backtest.loc[3, "wape_statistical"]

    # The run month's forecast (bookings would be 1,360, 1,370, 1,380, 1,390).
    columns = [
        "statistical_amount",
        "pipeline_weighted_amount",
        "stage_to_win_amount",
        "forecast_amount",
        "commit_amount",
        "best_case_amount",
        "pipeline_amount",
    ]
    forecast = _by_region_lag(result.forecast, columns)
    assert forecast[("EMEA", 1)] == (1240.0, 1360.0, 680.0, 1360.0, 1360.0, 1360.0, 1360.0)
    assert forecast[("EMEA", 2)] == (1250.0, 2740.0, 1370.0, 1370.0, 0.0, 1370.0, 1370.0)
    assert forecast[("EMEA", 3)] == (1260.0, 69.0, 69.0, 1260.0, 0.0, 0.0, 1380.0)
    assert forecast[("EMEA", 4)] == (1270.0, 0.0, 0.0, 1270.0, 0.0, 0.0, 0.0)


def test_too_few_origins_for_a_lag_fall_back_to_the_default(growing_bookings) -> None:
    bookings, pipeline = growing_bookings
    config = BlendConfig(min_origins=13)  # a lag never has more than 12 (the window)
    backtest = forecast_sales(
        bookings, pipeline, "2026-06", horizon=4, config=config, forecaster=SNAIVE
    ).backtest
    assert backtest["weight_source"].tolist() == ["default"] * 4
    assert backtest["blend_weight"].tolist() == [0.5, 0.5, 0.5, 0.0]
    assert backtest["wape_blend"].iloc[0] == pytest.approx(
        0.5 * 12 * 120 / sum(1000.0 + 10 * i for i in range(24, 36))
    )


# --------------------------------------------------------------------------- #
# dbt on the tiny landing, then the asset and its checks
# --------------------------------------------------------------------------- #

RUN_MONTH = date(2025, 6, 1)


@pytest.fixture(scope="module")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny landing loaded into `raw`, and the dbt models of the bookings forecast built
    for June 2025 with a historical win rate from one closed opportunity on."""
    data_dir = tmp_path_factory.mktemp("sales_forecast")
    warehouse = data_dir / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        for spec in LANDING_FILES:
            load_landing_file(con, TINY_LANDING, spec)
    finally:
        con.close()
    dbt_vars = {"as_of_month": RUN_MONTH.isoformat(), "stage_win_rate_min_closed": 1}
    run_dbt(
        data_dir,
        warehouse,
        ["run", "--select", "+int_open_pipeline_weighted", "+fct_region_bookings_monthly"],
        dbt_vars,
    )
    return warehouse


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_dbt_region_bookings_on_the_tiny_landing(tiny_warehouse: Path) -> None:
    rows = _query(
        tiny_warehouse,
        "select region, month, bookings_amount, won_count "
        "from marts.fct_region_bookings_monthly order by month",
    )
    assert [(r, m, float(a), n) for r, m, a, n in rows] == [
        ("EMEA", date(2025, 4, 1), 600.0, 1),
        ("EMEA", date(2025, 5, 1), 250.0, 1),
        ("EMEA", date(2025, 6, 1), 1800.0, 2),
    ]


def test_dbt_open_pipeline_weighted_on_the_tiny_landing(tiny_warehouse: Path) -> None:
    rows = _query(
        tiny_warehouse,
        "select month, opportunity_id, region, account_region, product_id, quantity, stage, "
        "forecast_category, amount, expected_close_month, weighted_amount, stage_win_rate, "
        "win_rate_weighted_amount from intermediate.int_open_pipeline_weighted "
        "order by month, opportunity_id",
    )
    actual = [tuple(float(v) if isinstance(v, (int, float)) else v for v in r) for r in rows]
    mar, apr, may, jun, jul = (date(2025, m, 1) for m in (3, 4, 5, 6, 7))
    assert actual == [
        # O1 is closed now: March's Prospecting maps to Pipeline. No deal had closed by
        # March, so the win rate is the stage probability.
        (mar, "O1", "EMEA", "EMEA", "P1", 6.0, "Prospecting", "Pipeline", 500.0, apr,
         50.0, 0.1, 50.0),
        (apr, "O7", "EMEA", "EMEA", "P1", 2.5, "Negotiation", "Commit", 250.0, may,
         187.5, 0.75, 187.5),
        # By May O1 (Prospecting) is won: Prospecting 1 of 1.
        (may, "O2", "EMEA", "EMEA", "P1", 15.0, "Prospecting", "Pipeline", 1500.0, jun,
         150.0, 1.0, 1500.0),
        # No Qualification deal has closed by May: O3's June loss is not seen yet.
        (may, "O3", "EMEA", "EMEA", "P2", 9.0, "Qualification", "Pipeline", 900.0, jun,
         180.0, 0.2, 180.0),
        (jun, "O4", "EMEA", "EMEA", "P1", 50.0, "Prospecting", "Pipeline", 5000.0, jul,
         500.0, 1.0, 5000.0),
        # O6 is open in Proposal like its record, whose category (Pipeline) holds; its
        # close date June 25 is overdue at June 30, so July. The account is in APAC.
        (jun, "O6", "EMEA", "APAC", "P2", 7.0, "Proposal", "Pipeline", 700.0, jul,
         350.0, 0.5, 350.0),
    ]  # fmt: skip


def test_dbt_stage_win_rates_have_no_look_ahead(tiny_warehouse: Path) -> None:
    rows = _query(
        tiny_warehouse,
        "select month, stage, closed_count, won_count, stage_win_rate, win_rate_source "
        "from intermediate.int_stage_win_rates_monthly "
        "where stage in ('Prospecting', 'Qualification') order by stage, month",
    )
    mar, apr, may, jun = (date(2025, m, 1) for m in (3, 4, 5, 6))
    assert rows == [
        (mar, "Prospecting", 0, 0, 0.1, "stage_probability"),
        (apr, "Prospecting", 1, 1, 1.0, "history"),  # O1 won in April
        (may, "Prospecting", 1, 1, 1.0, "history"),
        (jun, "Prospecting", 2, 2, 1.0, "history"),  # O2 won in June
        (mar, "Qualification", 0, 0, 0.2, "stage_probability"),
        (apr, "Qualification", 0, 0, 0.2, "stage_probability"),
        (may, "Qualification", 0, 0, 0.2, "stage_probability"),
        (jun, "Qualification", 1, 0, 0.0, "history"),  # O3 lost in June
    ]


def test_the_asset_writes_each_run_month_and_passes_its_checks(tiny_warehouse: Path) -> None:
    settings = make_settings(tiny_warehouse.parent)
    asset = build_sales_forecast_defs(settings).assets[0]
    sop = SopResource.from_settings(settings)
    for month in ("2025-05-01", "2025-06-01"):
        result = dg.materialize([asset], partition_key=month, resources={"sop": sop})
        assert result.success

    rows = _query(
        tiny_warehouse,
        f"select run_month, count(*) from {SALES_FORECAST_TABLE} group by 1 order by 1",
    )
    assert rows == [(date(2025, 5, 1), 18), (RUN_MONTH, 18)]

    # June, EMEA. Bookings 600, 250, 1,800: too short to backtest, so the default
    # forecaster takes the historic mean, 883.33, with statsforecast's interval: sigma
    # of the residuals (n - 1 degrees of freedom) x sqrt(1 + 1/n), the same every month.
    # Lag 1: O4 5,000 x 0.1 + O6
    # 700 x 0.5 = 850 by stage probability, 5,000 x 1.0 + 700 x 0.5 = 5,350 by win rate,
    # all Pipeline; blended 50/50 by default. Lags 2-3 have no pipeline: statistical only.
    june = pd.DataFrame(
        _query(
            tiny_warehouse,
            f"select * from {SALES_FORECAST_TABLE} where run_month = date '2025-06-01' "
            "order by target_month",
        ),
        columns=SALES_FORECAST_COLUMNS,
    )
    mean = 2650.0 / 3
    residuals = np.array([600.0, 250.0, 1800.0]) - mean
    sigma = np.sqrt((residuals**2).sum() / 2) * np.sqrt(1 + 1 / 3)
    first = june.iloc[0]
    assert first["target_month"] == date(2025, 7, 1)
    assert (first["pipeline_weighted_amount"], first["stage_to_win_amount"]) == (850.0, 5350.0)
    assert (first["commit_amount"], first["best_case_amount"], first["pipeline_amount"]) == (
        0.0,
        0.0,
        5700.0,
    )
    assert first["statistical_amount"] == pytest.approx(mean)
    assert first["statistical_lower_80"] == 0.0  # 883.33 - z x sigma < 0, floored
    assert first["statistical_upper_80"] == pytest.approx(mean + Z80 * sigma)
    assert first["statistical_model"] == "mean"
    assert first["forecast_amount"] == pytest.approx(0.5 * 850.0 + 0.5 * mean)
    assert june["weight_source"].tolist()[:4] == [
        "default",
        "no_pipeline",
        "no_pipeline",
        "default",
    ]
    np.testing.assert_allclose(june["forecast_amount"].iloc[1:], mean)

    materialization = result.asset_materializations_for_node(asset.op.name)[0]
    assert "backtest_wape_by_lag" in materialization.metadata
    assert materialization.metadata["blend_weights_by_lag"].value["1"] == (
        "0.5 stage_probability (default)"
    )

    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    try:
        outcomes = {
            suite.name: validate_suite(con, suite, RUN_MONTH, 18)
            for suite in list_suites()
            if suite.table == SALES_FORECAST_TABLE
        }
    finally:
        con.close()
    assert set(outcomes) == {
        "forecasting_fct_sales_forecast",
        "forecasting_fct_sales_forecast_coverage",
    }
    assert all(o.passed for o in outcomes.values()), {n: o.observed for n, o in outcomes.items()}
