"""Statistical demand forecast: the vectorized seasonal naive forecaster and the run.

The forecaster is checked four ways: sktime's conformance suite, a hand-computed
example, sktime's own ``NaiveForecaster`` as a reference implementation (which
it must reproduce exactly wherever both define the forecast), and the platform
rules of ``forecast_demand`` on a tiny hand-built history.
"""

from __future__ import annotations

import doctest
import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sktime.datasets import load_airline
from sktime.forecasting.naive import NaiveForecaster
from sktime.utils.estimator_checks import check_estimator

from models.forecasting import VectorizedSeasonalNaive, forecast_demand
from models.forecasting import auto_select as auto_select_module
from models.forecasting import demand as demand_module
from models.forecasting import reconcile as reconcile_module
from models.forecasting import scoring as scoring_module
from models.forecasting import seasonal_naive as seasonal_naive_module

Z80 = 1.2815515655446004  # standard normal quantile at 0.9: the 80% interval half-width
Z95 = 1.959963984540054  # at 0.975: the 95% half-width
MONTHLY = "M"


def months(start: str, n: int) -> pd.PeriodIndex:
    return pd.period_range(start, periods=n, freq=MONTHLY)


def reference_naive(y: pd.Series | pd.DataFrame, sp: int) -> NaiveForecaster:
    """sktime's own seasonal naive, without its construction-time FutureWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        forecaster = NaiveForecaster(strategy="last", sp=sp)
    forecaster.set_config(remember_data=True)
    return forecaster.fit(y)


# --------------------------------------------------------------------------- #
# VectorizedSeasonalNaive
# --------------------------------------------------------------------------- #


@pytest.mark.filterwarnings("ignore:Forecasters' predict_proba requires skpro")
def test_passes_sktime_conformance_suite() -> None:
    # about 16 s here: every test of TestAllForecasters on the three test instances
    check_estimator(VectorizedSeasonalNaive, raise_exceptions=True, verbose=False)


def test_hand_computed_14_month_series() -> None:
    y = pd.Series(
        [12.0, 15, 14, 18, 20, 25, 30, 28, 22, 18, 14, 16, 13, 17], index=months("2024-01", 14)
    )
    forecaster = VectorizedSeasonalNaive(sp=12).fit(y)
    fh = list(range(1, 15))

    # h = 1 is March 2025: one season back is March 2024 (14), and so on;
    # h = 11, 12 reach January and February 2025; h = 13, 14 repeat March, April
    expected = [14.0, 18, 20, 25, 30, 28, 22, 18, 14, 16, 13, 17, 14, 18]
    assert forecaster.predict(fh=fh).tolist() == expected
    assert forecaster.method_.tolist() == ["seasonal_naive"]

    # seasonal differences 13 - 12 = 1 and 17 - 15 = 2: sigma^2 = (1 + 4) / 2 = 2.5;
    # h = 1..12 use sigma^2, h = 13..24 use 2 sigma^2
    interval = forecaster.predict_interval(fh=fh, coverage=0.8)
    lower, upper = interval.iloc[:, 0], interval.iloc[:, 1]
    assert lower.iloc[0] == pytest.approx(11.973689056962249, abs=1e-12)
    assert upper.iloc[0] == pytest.approx(16.02631094303775, abs=1e-12)
    assert lower.iloc[12] == pytest.approx(11.134363582770996, abs=1e-12)
    assert upper.iloc[12] == pytest.approx(16.865636417229005, abs=1e-12)
    assert forecaster.predict_var(fh=[1, 12, 13, 14]).iloc[:, 0].tolist() == pytest.approx(
        [2.5, 2.5, 5.0, 5.0]
    )


def test_short_history_falls_back_to_naive() -> None:
    y = pd.Series([4.0, 6, 0, 5, 7], index=months("2025-02", 5))
    forecaster = VectorizedSeasonalNaive(sp=12, nonnegative=False).fit(y)

    assert forecaster.method_.tolist() == ["naive"]
    assert forecaster.predict(fh=[1, 2, 13]).tolist() == [7.0, 7.0, 7.0]
    # first differences 2, -6, 5, 2: sigma^2 = 69 / 4, variance sigma^2 * h
    assert forecaster.sigma_.iloc[0] == pytest.approx(np.sqrt(69 / 4))
    assert forecaster.predict_var(fh=[1, 3]).iloc[:, 0].tolist() == pytest.approx(
        [69 / 4, 3 * 69 / 4]
    )

    # that is exactly sktime's naive forecaster (sp=1); NaiveForecaster(sp=12)
    # itself gives NaN for the seasons it never saw
    fh = list(range(1, 19))
    reference = reference_naive(y, sp=1)
    pd.testing.assert_series_equal(forecaster.predict(fh=fh), reference.predict(fh=fh))
    pd.testing.assert_frame_equal(
        forecaster.predict_interval(fh=fh, coverage=0.8),
        reference.predict_interval(fh=fh, coverage=0.8),
    )
    assert reference_naive(y, sp=12).predict(fh=[1]).isna().all()


def test_wide_frame_with_series_starting_at_different_months() -> None:
    rng = np.random.default_rng(7)
    n = 40
    season = 50 + 20 * np.sin(2 * np.pi * np.arange(n) / 12)
    wide = pd.DataFrame(
        {
            "full": season + rng.normal(0, 3, n),
            "late": season + rng.normal(0, 3, n),
            "new": season + rng.normal(0, 3, n),
        },
        index=months("2022-01", n),
    )
    wide.iloc[:9, 1] = np.nan  # starts in October 2022: 31 observations
    wide.iloc[:35, 2] = np.nan  # starts in December 2024: 5 observations

    forecaster = VectorizedSeasonalNaive(sp=12, nonnegative=False).fit(wide)
    assert not forecaster._is_vectorized  # one pass, no per-column sktime loop
    assert forecaster.method_.to_dict() == {
        "full": "seasonal_naive",
        "late": "seasonal_naive",
        "new": "naive",
    }
    assert forecaster.n_obs_.tolist() == [40, 31, 5]

    fh = list(range(1, 25))
    point = forecaster.predict(fh=fh)
    interval = forecaster.predict_interval(fh=fh, coverage=[0.8, 0.95])
    for column, sp in [("full", 12), ("late", 12), ("new", 1)]:
        reference = reference_naive(wide[column].dropna(), sp=sp)
        np.testing.assert_allclose(point[column], reference.predict(fh=fh), rtol=1e-12)
        np.testing.assert_allclose(
            interval[column].to_numpy(),
            reference.predict_interval(fh=fh, coverage=[0.8, 0.95]).to_numpy(),
            rtol=1e-12,
        )


def test_matches_sktime_naive_forecaster_on_the_airline_data() -> None:
    y = load_airline()
    mine = VectorizedSeasonalNaive(sp=12).fit(y)
    reference = reference_naive(y, sp=12)

    fh = list(range(1, 37))
    pd.testing.assert_series_equal(mine.predict(fh=fh), reference.predict(fh=fh))
    mine_interval = mine.predict_interval(fh=fh, coverage=[0.8, 0.95])
    reference_interval = reference.predict_interval(fh=fh, coverage=[0.8, 0.95])
    # same variance formula (uncentred RMS of seasonal differences, times
    # floor((h - 1) / 12) + 1), and no bound is near 0, so the floor is inactive
    assert (reference_interval.to_numpy() > 0).all()
    pd.testing.assert_frame_equal(mine_interval, reference_interval, rtol=1e-12)

    in_sample = list(range(-100, 1))
    pd.testing.assert_series_equal(mine.predict(fh=in_sample), reference.predict(fh=in_sample))


def test_hierarchical_frame_is_handled_natively_and_matches_the_per_series_loop() -> None:
    rng = np.random.default_rng(3)
    index = pd.MultiIndex.from_product(
        [["P1", "P2"], ["APAC", "EMEA", "ALL"], months("2023-01", 30)],
        names=["product_id", "region", "month"],
    )
    y = pd.DataFrame({"quantity": rng.poisson(30, len(index)).astype(float)}, index=index)

    mine = VectorizedSeasonalNaive(sp=12, nonnegative=False).fit(y)
    reference = reference_naive(y, sp=12)  # sktime loops over the six series
    assert not mine._is_vectorized
    assert reference._is_vectorized

    fh = list(range(1, 19))
    pd.testing.assert_frame_equal(mine.predict(fh=fh), reference.predict(fh=fh))
    pd.testing.assert_frame_equal(
        mine.predict_interval(fh=fh, coverage=0.8),
        reference.predict_interval(fh=fh, coverage=0.8),
        rtol=1e-12,
    )
    assert mine.method_.index.names == [None, "product_id", "region"]


def test_lower_bounds_are_floored_at_zero_for_quantities() -> None:
    y = pd.Series([1.0, 9, 0, 12, 2, 8, 0, 10, 1, 11, 0, 9, 3, 10], index=months("2024-01", 14))
    floored = VectorizedSeasonalNaive().fit(y).predict_interval(fh=list(range(1, 13)))
    raw = VectorizedSeasonalNaive(nonnegative=False).fit(y).predict_interval(fh=list(range(1, 13)))

    assert (raw.iloc[:, 0] < 0).any()
    assert (floored.iloc[:, 0] >= 0).all()
    np.testing.assert_array_equal(floored.iloc[:, 0], np.maximum(raw.iloc[:, 0], 0))
    np.testing.assert_array_equal(floored.iloc[:, 1], raw.iloc[:, 1])


def test_series_without_residuals_borrow_the_panel_relative_sigma() -> None:
    # "a": seasonal differences all 10 on a mean level of 50 -> relative sigma 0.2
    # "b": same relative sigma 0.2 at 10x the volume; "c": one observation of 30
    a = 45 + np.arange(24.0) % 12 + 10 * (np.arange(24) >= 12) - 5
    wide = pd.DataFrame(
        {"a": a, "b": 10 * a, "c": [np.nan] * 23 + [30.0]}, index=months("2023-01", 24)
    )
    forecaster = VectorizedSeasonalNaive().fit(wide)

    assert forecaster.sigma_["a"] == pytest.approx(10.0)
    assert forecaster.sigma_["b"] == pytest.approx(100.0)
    assert forecaster.pooled_relative_sigma_ == pytest.approx(10.0 / a.mean())
    assert forecaster.sigma_["c"] == pytest.approx(30.0 * 10.0 / a.mean())
    assert forecaster.method_["c"] == "naive"
    assert forecaster.predict(fh=[1])["c"].iloc[0] == 30.0


def test_update_with_new_months_equals_a_refit() -> None:
    y = load_airline()
    updated = VectorizedSeasonalNaive().fit(y.iloc[:120]).update(y.iloc[120:])
    refit = VectorizedSeasonalNaive().fit(y)
    fh = list(range(1, 25))

    pd.testing.assert_series_equal(updated.predict(fh=fh), refit.predict(fh=fh))
    pd.testing.assert_frame_equal(updated.predict_interval(fh=fh), refit.predict_interval(fh=fh))


@pytest.mark.parametrize(
    "module",
    [seasonal_naive_module, demand_module, auto_select_module, reconcile_module, scoring_module],
)
def test_docstring_examples_run(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------- #
# forecast_demand
# --------------------------------------------------------------------------- #


def _rows(product_id: str, region: str, start: str, quantities: list[float]) -> list[dict]:
    return [
        {
            "product_id": product_id,
            "region": region,
            "month": m.to_timestamp().date(),
            "quantity": q,
        }
        for m, q in zip(months(start, len(quantities)), quantities, strict=True)
    ]


@pytest.fixture
def tiny_history() -> pd.DataFrame:
    """2 products x 2 regions sold, plus rows that must not count.

    P1 EMEA: Jan 2024 - Jun 2025, 2025 is 2024 + 10 (June 2025 arrives as two order lines)
    P1 APAC: Mar - Jun 2025 with no order in May (so 4, 6, 0, 5): short history
    P2 EMEA: Jun 2024 - Jun 2025; P2 APAC: May - Jun 2025
    P3: a pre-launch order; P1 APAC July 2025: after the run month
    """
    rows = (
        _rows("P1", "EMEA", "2024-01", [10.0 + i for i in range(12)] + [20, 21, 22, 23, 24, 20])
        + _rows("P1", "EMEA", "2025-06", [5.0])
        + _rows("P1", "APAC", "2025-03", [4.0, 6.0])
        + _rows("P1", "APAC", "2025-06", [5.0, 100.0])
        + _rows("P2", "EMEA", "2024-06", [5.0, 7.0] + [5.0] * 10 + [6.0])
        + _rows("P2", "APAC", "2025-05", [3.0, 3.0])
        + _rows("P3", "EMEA", "2025-06", [9.0])
    )
    return pd.DataFrame(rows)


@pytest.fixture
def tiny_products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["P1", "P2", "P3", "P4"],
            "launch_date": [date(2023, 1, 1), date(2022, 6, 1), date(2025, 8, 1), date(2024, 1, 1)],
            "end_date": [None, date(2025, 7, 20), None, None],
        }
    )


def _naive_bottom_up(history, products, run_month="2025-06", **kwargs):
    """forecast_demand with seasonal naive base forecasts, reconciled bottom-up: hand-checkable."""
    return forecast_demand(
        history,
        products,
        run_month,
        forecaster=VectorizedSeasonalNaive(sp=12, nonnegative=False),
        reconciliation="bu",
        **kwargs,
    )


def test_forecast_demand_tiny_history_exact_rows(tiny_history, tiny_products) -> None:
    forecast = _naive_bottom_up(tiny_history, tiny_products, horizon=3).products

    jul, aug, sep = (pd.Timestamp(f"2025-{m:02d}-01") for m in (7, 8, 9))
    p1_total_sd = np.sqrt(977 / 6)  # total's seasonal differences 10, 10, 14, 16, 10, 15
    p1_apac_var = 65 / 3  # APAC's first differences 2, -6, 5

    def row(product, region, month, point, sd, model, naive, floor=True):
        """Expected row: normal 80% and 95% bounds around the point, floored at 0."""
        bounds = []
        for z in (Z80, Z95):
            low = point - z * sd
            bounds += [max(low, 0.0) if floor else low, point + z * sd]
        return (product, region, month, point, *bounds, model, naive)

    eol = ("end_of_life",)
    expected = pd.DataFrame(
        [
            # P1 total: bottom-up sum, interval of the total series' own seasonal naive;
            # its benchmark is the total of a year before (EMEA only then)
            row("P1", "ALL", jul, 21.0, p1_total_sd, "seasonal_naive", 16.0),
            row("P1", "ALL", aug, 22.0, p1_total_sd, "seasonal_naive", 17.0),
            row("P1", "ALL", sep, 23.0, p1_total_sd, "seasonal_naive", 18.0),
            row("P1", "APAC", jul, 5.0, np.sqrt(p1_apac_var), "naive", 5.0),
            row("P1", "APAC", aug, 5.0, np.sqrt(2 * p1_apac_var), "naive", 5.0),
            row("P1", "APAC", sep, 5.0, np.sqrt(3 * p1_apac_var), "naive", 5.0),
            # P1 EMEA: July-September 2024; every seasonal difference is 10
            row("P1", "EMEA", jul, 16.0, 10.0, "seasonal_naive", 16.0),
            row("P1", "EMEA", aug, 17.0, 10.0, "seasonal_naive", 17.0),
            row("P1", "EMEA", sep, 18.0, 10.0, "seasonal_naive", 18.0),
            # P2 ends on 20 July 2025: July is still forecast, August on is 0
            row("P2", "ALL", jul, 10.0, 4.0, "seasonal_naive", 7.0),
            ("P2", "ALL", aug, 0.0, 0.0, 0.0, 0.0, 0.0, *eol, 0.0),
            ("P2", "ALL", sep, 0.0, 0.0, 0.0, 0.0, 0.0, *eol, 0.0),
            row("P2", "APAC", jul, 3.0, 0.0, "naive", 3.0),  # no change: sigma 0
            ("P2", "APAC", aug, 0.0, 0.0, 0.0, 0.0, 0.0, *eol, 0.0),
            ("P2", "APAC", sep, 0.0, 0.0, 0.0, 0.0, 0.0, *eol, 0.0),
            row("P2", "EMEA", jul, 7.0, 1.0, "seasonal_naive", 7.0),  # one difference: 1
            ("P2", "EMEA", aug, 0.0, 0.0, 0.0, 0.0, 0.0, *eol, 0.0),
            ("P2", "EMEA", sep, 0.0, 0.0, 0.0, 0.0, 0.0, *eol, 0.0),
        ],
        columns=demand_module.forecast_columns()[1:],
    )
    expected.insert(0, "run_month", pd.Timestamp("2025-06-01"))
    expected = expected.astype({"run_month": "datetime64[ns]", "target_month": "datetime64[ns]"})

    pd.testing.assert_frame_equal(forecast, expected, rtol=1e-12)


def test_forecast_demand_family_rows_add_up(tiny_history, tiny_products) -> None:
    result = _naive_bottom_up(tiny_history, tiny_products.assign(family=["F1", "F2", "F1", "F1"]))
    families = result.families.set_index(["family", "target_month"])
    totals = result.products[result.products["region"] == "ALL"]
    by_family = totals.assign(family=totals["product_id"].map({"P1": "F1", "P2": "F2"}))
    expected = by_family.groupby(["family", "target_month"])["forecast_qty"].sum()

    assert list(result.families.columns) == demand_module.family_forecast_columns()
    assert set(result.families["family"]) == {"ALL", "F1", "F2"}
    np.testing.assert_allclose(
        families.loc[["F1", "F2"], "forecast_qty"], expected.loc[["F1", "F2"]], rtol=1e-12
    )
    portfolio = families.loc["ALL", "forecast_qty"]
    np.testing.assert_allclose(portfolio, expected.groupby("target_month").sum(), rtol=1e-12)
    # July 2025: P1 21 + P2 10; from August P2 has ended, so F2 is 0 and F1 is P1 alone
    assert portfolio.iloc[:3].tolist() == pytest.approx([31.0, 22.0, 23.0])
    assert families.loc[("F2", pd.Timestamp("2025-08-01")), "forecast_qty"] == 0.0
    ordered = result.families
    assert (ordered["lower_95"] <= ordered["lower_80"]).all()
    assert (ordered["lower_80"] <= ordered["forecast_qty"]).all()
    assert (ordered["forecast_qty"] <= ordered["upper_80"]).all()
    assert (ordered["upper_80"] <= ordered["upper_95"]).all()


def test_forecast_demand_without_families_puts_products_in_unassigned(
    tiny_history, tiny_products
) -> None:
    families = _naive_bottom_up(tiny_history, tiny_products).families

    assert set(families["family"]) == {"ALL", "unassigned"}


def test_forecast_demand_default_forecaster_reconciles_every_level(
    tiny_history, tiny_products
) -> None:
    result = forecast_demand(
        tiny_history, tiny_products.assign(family=["F1", "F1", "F2", "F2"]), "2025-06"
    )
    products = result.products
    regions = products[products["region"] != "ALL"]
    totals = products[products["region"] == "ALL"].set_index(["product_id", "target_month"])
    summed = regions.groupby(["product_id", "target_month"])["forecast_qty"].sum()
    np.testing.assert_allclose(totals["forecast_qty"], summed.reindex(totals.index), atol=1e-9)
    families = result.families.set_index(["family", "target_month"])["forecast_qty"]
    np.testing.assert_allclose(
        families.loc["F1"], totals["forecast_qty"].groupby("target_month").sum(), atol=1e-9
    )
    np.testing.assert_allclose(families.loc["ALL"], families.loc["F1"], atol=1e-9)
    # P2 ended in July 2025: zero from August, labelled end_of_life
    p2 = products[(products["product_id"] == "P2") & (products["target_month"] >= "2025-08-01")]
    assert (p2[["forecast_qty", "lower_95", "upper_95", "naive_qty"]] == 0).all().all()
    assert set(p2["model"]) == {"end_of_life"}
    assert (products["lower_95"] <= products["lower_80"]).all()
    assert (products["lower_80"] <= products["forecast_qty"]).all()
    assert (products["forecast_qty"] <= products["upper_80"]).all()
    assert (products["upper_80"] <= products["upper_95"]).all()
    assert result.reconciliation == "wls_var"
    # every node is short here (under 30 months): the mean of the short candidates,
    # or the fallback where the history is too short for a backtest
    assert set(result.nodes["kind"]) <= {"short", "zero"}
    assert set(result.nodes["model"]) <= {"combination", "mean", "zero"}


def test_forecast_demand_horizon_and_keys(tiny_history, tiny_products) -> None:
    forecast = _naive_bottom_up(tiny_history, tiny_products, run_month=pd.Period("2025-06", "M"))
    forecast = forecast.products

    assert list(forecast.columns) == [
        "run_month",
        "product_id",
        "region",
        "target_month",
        "forecast_qty",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
        "model",
        "naive_qty",
    ]
    assert not forecast.duplicated(["run_month", "product_id", "region", "target_month"]).any()
    assert set(forecast["product_id"]) == {"P1", "P2"}  # P3 not launched, P4 never ordered
    per_series = forecast.groupby(["product_id", "region"])["target_month"]
    assert (per_series.size() == 18).all()
    assert (per_series.min() == pd.Timestamp("2025-07-01")).all()
    assert (per_series.max() == pd.Timestamp("2026-12-01")).all()
    assert set(forecast["target_month"].dt.day) == {1}
    assert (forecast["run_month"] == pd.Timestamp("2025-06-01")).all()


def test_forecast_demand_ignores_rows_after_the_run_month(tiny_history, tiny_products) -> None:
    later = pd.DataFrame(_rows("P1", "EMEA", "2025-07", [1000.0, 2000.0]))
    with_future = pd.concat([tiny_history, later], ignore_index=True)

    pd.testing.assert_frame_equal(
        _naive_bottom_up(with_future, tiny_products).products,
        _naive_bottom_up(tiny_history, tiny_products).products,
    )


def test_forecast_demand_accepts_any_form_of_the_run_month(tiny_history, tiny_products) -> None:
    reference = _naive_bottom_up(tiny_history, tiny_products, horizon=4).products
    for run_month in [pd.Period("2025-06", "M"), "2025-06-30", pd.Timestamp("2025-06-15")]:
        pd.testing.assert_frame_equal(
            _naive_bottom_up(tiny_history, tiny_products, run_month, horizon=4).products,
            reference,
        )


def test_forecast_demand_rejects_a_history_region_named_all(tiny_products) -> None:
    history = pd.DataFrame(_rows("P1", "ALL", "2025-01", [1.0, 2.0]))
    with pytest.raises(ValueError, match="reserved"):
        forecast_demand(history, tiny_products, "2025-06")


def test_forecast_demand_with_no_history_returns_the_empty_tables(tiny_products) -> None:
    history = pd.DataFrame(columns=["product_id", "region", "month", "quantity"])
    result = forecast_demand(history, tiny_products, "2025-06")

    assert result.products.empty and result.families.empty
    assert list(result.products.columns) == demand_module.forecast_columns()
    assert list(result.families.columns) == demand_module.family_forecast_columns()


def _scale_history(
    n_products: int, n_months: int, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n_products x 4 regions of Poisson demand, products starting at random months."""
    rng = np.random.default_rng(seed)
    regions = ["AMER", "APAC", "EMEA", "LATAM"]
    n_series = n_products * len(regions)
    month = np.tile(pd.date_range("2022-07-01", periods=n_months, freq="MS"), n_series)
    product = np.repeat([f"P{i:05d}" for i in range(n_products)], len(regions) * n_months)
    seasonality = 1 + 0.3 * np.sin(2 * np.pi * np.arange(n_months) / 12)
    history = pd.DataFrame(
        {
            "product_id": product,
            "region": np.tile(np.repeat(regions, n_months), n_products),
            "month": month,
            "quantity": rng.poisson(20 * np.tile(seasonality, n_series)).astype(float),
        }
    )
    start = np.repeat(rng.integers(0, n_months - 1, n_products), len(regions) * n_months)
    history = history[np.tile(np.arange(n_months), n_series) >= start]
    products = pd.DataFrame(
        {
            "product_id": [f"P{i:05d}" for i in range(n_products)],
            "launch_date": pd.Timestamp("2020-01-01"),
            "end_date": pd.NaT,
        }
    )
    return history.reset_index(drop=True), products


def test_forecast_demand_reconciles_a_random_panel() -> None:
    history, products = _scale_history(n_products=15, n_months=36, seed=1)
    result = forecast_demand(history, products, "2025-06")
    forecast = result.products

    regions = forecast[forecast["region"] != "ALL"]
    totals = forecast[forecast["region"] == "ALL"].set_index(["product_id", "target_month"])
    summed = regions.groupby(["product_id", "target_month"])["forecast_qty"].sum()
    np.testing.assert_allclose(totals["forecast_qty"], summed.reindex(totals.index), atol=1e-9)
    portfolio = result.families.set_index(["family", "target_month"]).loc["ALL", "forecast_qty"]
    np.testing.assert_allclose(
        portfolio, totals["forecast_qty"].groupby("target_month").sum(), rtol=1e-12
    )
    assert len(forecast) == 15 * 5 * 18
    # Poisson demand around a seasonal mean: the full-history series are regular
    nodes = result.nodes
    full = nodes[nodes["level"] == "portfolio"]
    assert full["kind"].tolist() == ["regular"]
    known = {"seasonal_naive", "ets", "theta", "arima", "combination", "naive", "mean"}
    known |= {"ets_nonseasonal", "theta_nonseasonal"}
    assert set(forecast["model"]) <= known | {"croston", "tsb", "adida"}
