"""AutoSelectForecaster: sktime's contract, the kinds of series, the choice, and pinned values.

The forecaster is checked against sktime's conformance suite, hand-computed
backtests on series whose best model is obvious, native statsforecast (it must
give the same numbers for the chosen model), and a pinned forecast of the
airline data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sktime.datasets import load_airline
from sktime.utils.estimator_checks import check_estimator
from statsforecast import StatsForecast
from statsforecast.models import ARIMA, AutoETS, AutoTheta, DynamicOptimizedTheta, SeasonalNaive

from models.forecasting.auto_select import (
    AutoSelectForecaster,
    PanelStatsForecast,
    choose_models,
    classify,
)

MONTHS = pd.period_range("2021-01", periods=36, freq="M")


def _frame(**series: list[float]) -> pd.DataFrame:
    """Wide monthly frame ending with MONTHS; shorter series start later (NaN before)."""
    n = len(MONTHS)
    return pd.DataFrame(
        {name: [np.nan] * (n - len(v)) + list(v) for name, v in series.items()}, index=MONTHS
    )


_TEST_PARAMS = AutoSelectForecaster.get_test_params()
# The per-series choice among single models and their mean, as before the median became the
# default: the machinery intermittent series still use, tested here on regular series.
_BACKTEST_CHOICE = {
    "regular_choice": "backtest",
    "combine": ("ets", "theta", "arima"),
    "combine_with": "mean",
}


@pytest.mark.filterwarnings("ignore:Forecasters' predict_proba requires skpro")
def test_passes_sktime_conformance_suite_on_the_regular_path() -> None:
    # Every test of TestAllForecasters (about 40 s) on the parameter set whose
    # series take the regular path: backtest, the combination, native intervals.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(
            AutoSelectForecaster(**_TEST_PARAMS[1]), raise_exceptions=True, verbose=False
        )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Forecasters' predict_proba requires skpro")
@pytest.mark.parametrize(
    "params", [_TEST_PARAMS[0], _TEST_PARAMS[2]], ids=["short", "intermittent"]
)
def test_passes_sktime_conformance_suite_on_the_other_paths(params) -> None:
    # The short-series and intermittent paths, 40 s each: with the benchmarks
    # (`pytest -m slow`), CI runs the regular path above; their logic has its own tests below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(AutoSelectForecaster(**params), raise_exceptions=True, verbose=False)


def test_kinds_of_series() -> None:
    values = np.array(
        [
            # zero, short (5 obs), intermittent (ADI 2), regular
            [0.0, np.nan, 1.0, 5.0],
            [0.0, np.nan, 0.0, 6.0],
            [0.0, 1.0, 1.0, 5.0],
            [0.0, 2.0, 0.0, 7.0],
            [0.0, 3.0, 1.0, 5.0],
            [0.0, 4.0, 0.0, 6.0],
            [0.0, 5.0, 0.0, 0.0],
        ]
    )
    kind, n_obs = classify(values, min_history=6, intermittent_adi=1.32)

    assert kind.tolist() == ["zero", "short", "intermittent", "regular"]
    assert n_obs.tolist() == [7, 5, 7, 7]


def test_exact_season_repeat_chooses_seasonal_naive_with_zero_error() -> None:
    season = [10.0, 12, 15, 20, 24, 30, 32, 30, 24, 18, 14, 12]
    forecaster = AutoSelectForecaster(**_BACKTEST_CHOICE).fit(_frame(repeat=season * 3))

    assert forecaster.kind_["repeat"] == "regular"
    # ties go to the simpler candidate: seasonal naive is exact, listed first
    assert forecaster.model_["repeat"] == "seasonal_naive"
    assert forecaster.backtest_mae_["repeat"] == 0.0
    np.testing.assert_array_equal(forecaster.predict(fh=[1, 2, 3])["repeat"], [10.0, 12, 15])
    # by default the median of ETS, DOTM, airline ARIMA and seasonal naive repeats it too
    default = AutoSelectForecaster().fit(_frame(repeat=season * 3))
    assert default.model_["repeat"] == "combination"
    assert np.isnan(default.backtest_mae_["repeat"])  # a regular series is not backtested
    np.testing.assert_allclose(default.predict(fh=[1, 2, 3])["repeat"], [10.0, 12, 15], atol=0.05)


def test_short_linear_trend_hand_computed_backtest_error() -> None:
    # 14 months 1..14: 4 origins forecasting 3 months; naive's error at step h is h,
    # so its MAE is (1 + 2 + 3) / 3 = 2 and its RMSE sqrt(14 / 3); the mean lags further
    trend = _frame(trend=list(np.arange(1.0, 15.0)))
    forecaster = AutoSelectForecaster(short=("naive", "mean"), short_choice="backtest").fit(trend)

    assert forecaster.kind_["trend"] == "short"
    assert forecaster.model_["trend"] == "naive"
    assert forecaster.backtest_mae_["trend"] == pytest.approx(2.0)
    assert forecaster.backtest_rmse_["trend"] == pytest.approx(np.sqrt(14 / 3))
    assert forecaster.scores_.loc["trend", "mean"] > 2.0
    np.testing.assert_allclose(forecaster.predict(fh=[1, 2])["trend"], [14.0, 14.0])

    # by default a short series takes the mean of trended ETS and Theta, which follow the line
    default = AutoSelectForecaster().fit(trend)
    assert default.model_["trend"] == "combination"
    assert default.members_["trend"] == ("ets_nonseasonal", "theta_nonseasonal")
    assert default.backtest_mae_["trend"] < 0.5
    np.testing.assert_allclose(default.predict(fh=[1, 2])["trend"], [15.0, 16.0], atol=0.5)


def test_short_series_take_the_mean_of_native_ets_and_theta_whatever_the_backtest() -> None:
    # 20 months of a noisy trend: short (under 30), so no choice between the candidates
    rng = np.random.default_rng(7)
    y = 50.0 + 3.0 * np.arange(20) + rng.normal(0.0, 6.0, 20)
    forecaster = AutoSelectForecaster().fit(_frame(new=list(y)))

    assert forecaster.kind_["new"] == "short"
    assert forecaster.model_["new"] == "combination"
    scores = forecaster.scores_.loc["new"].dropna()
    # every candidate is still backtested and reported; the combination is kept
    # even where a member scored better, and its error is the one reported
    assert set(scores.index) == {"ets_nonseasonal", "theta_nonseasonal", "combination"}
    assert forecaster.backtest_mae_["new"] == scores["combination"]

    native = StatsForecast(
        models=[AutoETS(season_length=1), AutoTheta(season_length=1)], freq=1
    ).forecast(h=3, df=pd.DataFrame({"unique_id": 0, "ds": np.arange(20), "y": y}), level=[80])
    point = forecaster.predict(fh=[1, 2, 3])["new"].to_numpy()
    np.testing.assert_allclose(point, native[["AutoETS", "AutoTheta"]].mean(axis=1), rtol=1e-12)
    # one series cannot calibrate its interval (under 30 held-out points): normal, with
    # the members' mean standard error read off their 80% intervals (Theta's are skewed,
    # so this is not the mean of their bounds)
    z = norm.ppf(0.9)
    sigma = np.mean(
        [(native[f"{m}-hi-80"] - native[f"{m}-lo-80"]) / (2 * z) for m in ("AutoETS", "AutoTheta")],
        axis=0,
    )
    interval = forecaster.predict_interval(fh=[1, 2, 3], coverage=0.8)
    np.testing.assert_allclose(interval.iloc[:, 0], point - z * sigma, rtol=1e-9)
    np.testing.assert_allclose(interval.iloc[:, 1], point + z * sigma, rtol=1e-9)


def test_series_under_three_seasons_are_backtested_with_a_refit_at_every_origin() -> None:
    # The first 30 months of shampoo sales: long enough to be regular, shorter than
    # 3 x 12. AutoETS picks ETS(A,N,N) from the 24 months of the first origin but
    # ETS(A,A,N) from 25 on, so rolling the first fit forward scores the wrong model.
    from sktime.datasets import load_shampoo_sales

    y = load_shampoo_sales().to_numpy(dtype=float)[:30]
    frame = _frame(shampoo=list(y))
    native = {
        refit: StatsForecast(models=[AutoETS(season_length=12)], freq=1).cross_validation(
            h=3,
            df=pd.DataFrame({"unique_id": 0, "ds": np.arange(30), "y": y}),
            n_windows=4,
            step_size=1,
            refit=refit,
        )
        for refit in (True, False)
    }
    mae = {refit: float((cv["AutoETS"] - cv["y"]).abs().mean()) for refit, cv in native.items()}
    assert abs(mae[True] - mae[False]) > 1.0  # the two policies really differ here

    options = {"regular": ("ets",), "combine": (), "regular_choice": "backtest"}
    refitted = AutoSelectForecaster(**options).fit(frame)
    rolled = AutoSelectForecaster(**options, refit_below=30).fit(frame)

    assert refitted.kind_["shampoo"] == "regular"
    assert refitted.scores_.loc["shampoo", "ets"] == pytest.approx(mae[True], rel=1e-10)
    assert rolled.scores_.loc["shampoo", "ets"] == pytest.approx(mae[False], rel=1e-10)


def test_too_short_to_backtest_takes_the_mean_never_an_error() -> None:
    # 5 months < 3 + 4 - 1 backtest points + 7 training months
    forecaster = AutoSelectForecaster().fit(_frame(new=[4.0, 6.0, 5.0, 9.0, 6.0]))

    assert forecaster.model_["new"] == "mean"
    assert np.isnan(forecaster.backtest_mae_["new"])
    np.testing.assert_allclose(forecaster.predict(fh=[1, 18])["new"], [6.0, 6.0])
    interval = forecaster.predict_interval(fh=[1], coverage=0.8)
    assert interval.iloc[0, 0] < 6.0 < interval.iloc[0, 1]


def test_intermittent_series_gets_an_intermittent_model_and_a_backtest_interval() -> None:
    rng = np.random.default_rng(3)
    demand = np.where(rng.random(36) < 0.35, rng.integers(1, 6, 36), 0).astype(float)
    forecaster = AutoSelectForecaster().fit(_frame(spares=list(demand)))

    assert forecaster.kind_["spares"] == "intermittent"
    model = forecaster.model_["spares"]
    assert model in {"croston", "tsb", "adida", "mean"}
    point = forecaster.predict(fh=[1, 2, 3, 4])["spares"].to_numpy()
    assert (point >= 0).all()
    bounds = forecaster.predict_interval(fh=[1, 2, 3, 4], coverage=0.8)
    if model != "mean":  # Croston, TSB and ADIDA: normal with the backtest RMSE
        rmse = forecaster.backtest_rmse_["spares"]
        steps = np.arange(1, 5)
        half = norm.ppf(0.9) * rmse * np.sqrt(steps / 2)  # mean backtest step is 2
        np.testing.assert_allclose(bounds.iloc[:, 1], point + half)
        np.testing.assert_allclose(bounds.iloc[:, 0], np.maximum(point - half, 0))


def test_all_zero_series_forecasts_zero() -> None:
    forecaster = AutoSelectForecaster().fit(_frame(dead=[0.0] * 36))

    assert forecaster.model_["dead"] == "zero"
    assert forecaster.predict(fh=[1, 2])["dead"].tolist() == [0.0, 0.0]
    assert (forecaster.predict_interval(fh=[1], coverage=0.95).to_numpy() == 0).all()


def test_panel_fit_equals_fitting_each_series_alone() -> None:
    rng = np.random.default_rng(0)
    season = np.tile(np.sin(np.arange(12) / 12 * 2 * np.pi), 3)
    a = list(50 + 10 * season + rng.normal(0, 2, 36))
    b = list(np.arange(20.0) + rng.normal(0, 1, 20))
    together = AutoSelectForecaster().fit(_frame(a=a, b=b))
    fh = [1, 2, 3]

    for name, values in (("a", a), ("b", b)):
        alone = AutoSelectForecaster().fit(_frame(**{name: values}))
        assert alone.model_[name] == together.model_[name]
        np.testing.assert_allclose(
            alone.predict(fh=fh)[name], together.predict(fh=fh)[name], rtol=1e-10
        )


def test_series_that_ended_early_are_forecast_from_their_own_end() -> None:
    index = pd.MultiIndex.from_tuples(
        [("a", m) for m in MONTHS[:14]] + [("b", m) for m in MONTHS[:16]],
        names=["series", "month"],
    )
    y = pd.DataFrame({"qty": list(np.arange(1.0, 15.0)) + [5.0] * 16}, index=index)
    forecaster = AutoSelectForecaster(short=("naive",)).fit(y)
    prediction = forecaster.predict(fh=[1])

    # the cutoff is b's last month; a (naive, last value 14) is two steps past its end
    assert prediction.loc[("a", MONTHS[16]), "qty"] == pytest.approx(14.0)
    assert prediction.loc[("b", MONTHS[16]), "qty"] == pytest.approx(5.0)


def test_gaps_inside_a_series_are_refused() -> None:
    values = [1.0, 2.0, np.nan, 4.0, 5.0, 6.0]
    with pytest.raises(ValueError, match="fill months without demand with 0"):
        AutoSelectForecaster().fit(_frame(holey=values))


def test_unknown_candidate_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown candidate models"):
        AutoSelectForecaster(regular=("ets", "prophet")).fit(_frame(x=[1.0] * 12))


def test_airline_default_is_the_median_of_native_statsforecast_members() -> None:
    y = load_airline()
    forecaster = AutoSelectForecaster().fit(y)

    assert forecaster.model_.iloc[0] == "combination"
    assert forecaster.members_.iloc[0] == ("ets", "dotm", "arima", "seasonal_naive")
    native = StatsForecast(
        models=[
            AutoETS(season_length=12),
            DynamicOptimizedTheta(season_length=12),
            ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=12),
            SeasonalNaive(season_length=12),
        ],
        freq=1,
    ).forecast(
        h=3,
        df=pd.DataFrame({"unique_id": 0, "ds": np.arange(len(y)), "y": y.to_numpy()}),
        level=[80],
    )
    members = ["AutoETS", "DynamicOptimizedTheta", "ARIMA", "SeasonalNaive"]
    point = np.asarray(forecaster.predict(fh=[1, 2, 3])).ravel()
    np.testing.assert_allclose(point, np.median(native[members].to_numpy(), axis=1), rtol=1e-12)
    # one series has too few held-out points to calibrate (30 at the first step): the
    # interval is normal with the members' mean standard error
    sigma = np.mean(
        [(native[f"{m}-hi-80"] - native[f"{m}-lo-80"]) / (2 * norm.ppf(0.9)) for m in members],
        axis=0,
    )
    interval = forecaster.predict_interval(fh=[1, 2, 3], coverage=0.8).to_numpy()
    np.testing.assert_allclose(interval[:, 0], point - norm.ppf(0.9) * sigma, rtol=1e-9)
    np.testing.assert_allclose(interval[:, 1], point + norm.ppf(0.9) * sigma, rtol=1e-9)


def test_airline_backtest_choice_is_pinned_and_equals_native_statsforecast() -> None:
    y = load_airline()
    forecaster = AutoSelectForecaster(**_BACKTEST_CHOICE).fit(y)

    # the combination of ETS, Theta and ARIMA wins the backtest on the airline data
    assert forecaster.model_.iloc[0] == "combination"
    scores = forecaster.scores_.iloc[0]
    assert scores.idxmin() == "combination"
    assert scores["combination"] == pytest.approx(11.0779347586, rel=1e-8)
    assert forecaster.members_.iloc[0] == ("ets", "theta", "arima")
    point = np.asarray(forecaster.predict(fh=[1, 2, 3])).ravel()
    np.testing.assert_allclose(point, [444.12515731, 427.47946102, 480.68099935], rtol=1e-8)

    native = StatsForecast(
        models=[
            AutoETS(season_length=12),
            AutoTheta(season_length=12),
            ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=12),
        ],
        freq=1,
    ).forecast(
        h=3,
        df=pd.DataFrame({"unique_id": 0, "ds": np.arange(len(y)), "y": y.to_numpy()}),
        level=[80],
    )
    members = ["AutoETS", "AutoTheta", "ARIMA"]
    np.testing.assert_allclose(point, native[members].mean(axis=1), rtol=1e-12)
    # a combination's interval is derived, not the mean of its members' bounds: one series
    # is too few to calibrate, so normal with the members' mean standard error
    z = norm.ppf(0.9)
    sigma = np.mean([(native[f"{m}-hi-80"] - native[f"{m}-lo-80"]) / (2 * z) for m in members], 0)
    interval = forecaster.predict_interval(fh=[1, 2, 3], coverage=0.8).to_numpy()
    np.testing.assert_allclose(interval[:, 0], point - z * sigma, rtol=1e-9)
    np.testing.assert_allclose(interval[:, 1], point + z * sigma, rtol=1e-9)


def test_choose_models_scores_every_candidate_of_the_kind() -> None:
    values = np.column_stack([np.tile(np.arange(12.0), 3), np.r_[[np.nan] * 26, np.ones(10)]])
    choice = choose_models(
        values,
        sp=12,
        backtest_horizon=3,
        backtest_windows=4,
        min_history=30,
        min_train=3,
        intermittent_adi=1.32,
        candidates={
            "short": ("naive", "mean"),
            "intermittent": ("croston",),
            "regular": ("seasonal_naive", "ets"),
        },
        combine=(),
        fallback="mean",
    )

    assert choice.kind.tolist() == ["regular", "short"]
    assert choice.scores.columns.tolist() == ["naive", "mean", "seasonal_naive", "ets"]
    assert np.isnan(choice.scores.loc[0, "naive"]) and np.isnan(choice.scores.loc[1, "ets"])
    assert choice.model.tolist() == ["seasonal_naive", "naive"]  # exact; ties to the first
    assert choice.backtest_mae.tolist() == [0.0, 0.0]


def test_points_need_no_calibration_and_intervals_reuse_their_fits(monkeypatch) -> None:
    """predict fits the members once and calibrates nothing; predict_interval then only
    calibrates, and its intervals are those of a forecaster asked for intervals first."""
    season = np.tile([10.0, 12, 15, 20, 24, 30, 32, 30, 24, 18, 14, 12], 3)
    y = _frame(a=season, b=season * 2 + np.arange(36), c=season[::-1] * 3)
    fitted_on: list[int] = []
    original = PanelStatsForecast.forecast

    def counting(self, *args, **kwargs):
        fitted_on.append(kwargs["df"]["unique_id"].nunique())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PanelStatsForecast, "forecast", counting)
    fh = list(range(1, 7))
    forecaster = AutoSelectForecaster().fit(y)
    point = forecaster.predict(fh=fh)
    assert fitted_on == [3]  # the four members in one call on the three series, no calibration
    interval = forecaster.predict_interval(fh=fh, coverage=0.8)
    assert fitted_on == [3, 3]  # the calibration sample: the same three series cut earlier
    forecaster.predict_interval(fh=fh, coverage=0.8)
    forecaster.predict(fh=fh)
    assert fitted_on == [3, 3]

    fresh = AutoSelectForecaster().fit(y)
    pd.testing.assert_frame_equal(fresh.predict_interval(fh=fh, coverage=0.8), interval)
    pd.testing.assert_frame_equal(fresh.predict(fh=fh), point)
