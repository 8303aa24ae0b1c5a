"""The bookings forecast of one run: rows of ``fct_sales_forecast`` per region and month.

Three views of each target month's bookings (SPEC §3 ``fct_sales_forecast``),
for target months ``run_month + 1 .. run_month + horizon``:

* **pipeline views**: the open opportunities at the run month's end, by their
  expected close month, weighted in two ways: by stage probability (the dbt var
  ``stage_probabilities``: ``pipeline_weighted_amount``) and by the historical
  stage-to-win rate of their stage as of that month end (``stage_to_win_amount``);
* **statistical**: an sktime forecaster fitted on the monthly bookings history
  of every region (``statistical_amount`` with its 80% interval);
* **blend**: ``forecast_amount = w * pipeline view + (1 - w) * statistical``.

The blend weight ``w`` and the pipeline view are chosen per lag by a
rolling-origin backtest (see :class:`BlendConfig`): at each past month end
``o`` (the origin), the pipeline open at ``o`` and a statistical forecast fitted
on the bookings up to ``o`` are compared with the bookings of month ``o + lag``.
Pipeline informs the next months far more than later ones, so each lag gets its
own weight. With too little history for a lag, the documented default applies.

The forecast-category roll-up follows Salesforce's cumulative forecast
categories over the open opportunities by expected close month (unweighted
amounts; Omitted is left out, and nothing in a target month is closed yet):

* ``commit_amount`` = Commit;
* ``best_case_amount`` = Commit + Best Case (best case *includes* commit);
* ``pipeline_amount`` = Commit + Best Case + Pipeline (the open pipeline).

Every region of the bookings history (up to the run month) and every region
with open pipeline at the run month's end gets a row for each target month:
a region without pipeline gets 0 pipeline amounts, one without history a 0
statistical forecast. No amount is negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster

from models.forecasting.auto_select import AutoSelectForecaster

STAGE_PROBABILITY = "stage_probability"
STAGE_TO_WIN = "stage_to_win"
#: Pipeline view -> the column of the pipeline input that holds it, in tie-break order.
PIPELINE_VIEWS = {STAGE_PROBABILITY: "weighted_amount", STAGE_TO_WIN: "win_rate_weighted_amount"}
BACKTEST = "backtest"
DEFAULT = "default"
NO_PIPELINE = "no_pipeline"

#: Forecast categories in each cumulative roll-up column.
ROLL_UP = {
    "commit_amount": ("Commit",),
    "best_case_amount": ("Commit", "Best Case"),
    "pipeline_amount": ("Commit", "Best Case", "Pipeline"),
}

SALES_FORECAST_COLUMNS = [
    "run_month",
    "region",
    "target_month",
    "lag",
    "pipeline_weighted_amount",
    "stage_to_win_amount",
    "statistical_amount",
    "statistical_lower_80",
    "statistical_upper_80",
    "forecast_amount",
    "blend_weight",
    "pipeline_view",
    "weight_source",
    "commit_amount",
    "best_case_amount",
    "pipeline_amount",
    "statistical_model",
]

BACKTEST_COLUMNS = [
    "lag",
    "origins",
    "first_origin",
    "last_origin",
    "actual_amount",
    "pipeline_share",
    "wape_statistical",
    "wape_stage_probability",
    "wape_stage_to_win",
    "wape_blend",
    "pipeline_view",
    "blend_weight",
    "weight_source",
]


@dataclass(frozen=True)
class BlendConfig:
    """How the blend weight of each lag is chosen.

    Attributes
    ----------
    weight_grid : tuple of float
        Candidate weights of the pipeline view, 0 (statistical only) to 1
        (pipeline only) in steps of 0.1. For each lag every (view, weight) pair
        is scored and the one with the lowest WAPE wins; ties go to the first
        view of :data:`PIPELINE_VIEWS` (stage probability) and the lower weight.
    window : int
        Origins per lag: the ``window`` most recent month ends ``o`` whose
        target month ``o + lag`` is on or before the run month (12: a year of
        origins, every season once).
    min_origins : int
        Fewest origins a lag needs for the backtest to choose its weight; with
        fewer (or when the actual bookings of its origins sum to 0, where WAPE
        is undefined) the lag gets the default.
    min_history_months : int
        An origin needs this many months of bookings history up to and
        including it (counted from the first month of the history, any region),
        so the statistical forecast it is scored on has seen a full season; it
        must also be on or after the first month end with pipeline data.
    default_weight : float
        The fallback weight of the pipeline view for lags up to
        ``default_pipeline_lags``: an equal-weight combination, the usual robust
        choice when there is nothing to estimate weights from. A lag with no
        pipeline at all at the run month (the default view sums to 0 over the
        regions) gets 0 instead (source ``no_pipeline``): there is nothing to
        blend, and blending 0 in would halve the forecast.
    default_pipeline_lags : int
        Lags beyond this fall back to weight 0 (statistical only): open pipeline
        rarely reaches more than a quarter ahead, so blending it into far months
        would only pull the forecast towards 0.
    default_view : str
        The fallback pipeline view (stage probability: the configured weights a
        sales team already reviews).
    min_pipeline_share : float
        A lag whose pipeline views (the larger of the two) sum to less than this
        share of the actual bookings over its backtest points gets weight 0
        (statistical only, source ``no_pipeline``). Blending in a nearly empty
        pipeline does not use the pipeline, it only scales the statistical
        forecast down, which WAPE rewards on lumpy bookings at the price of a
        biased forecast.
    """

    weight_grid: tuple[float, ...] = tuple(i / 10 for i in range(11))
    window: int = 12
    min_origins: int = 6
    min_history_months: int = 12
    default_weight: float = 0.5
    default_pipeline_lags: int = 3
    default_view: str = STAGE_PROBABILITY
    min_pipeline_share: float = 0.1

    def fallback_weight(self, lag: int) -> float:
        """The default weight of the pipeline view at ``lag``."""
        return self.default_weight if lag <= self.default_pipeline_lags else 0.0


@dataclass(frozen=True)
class SalesForecast:
    """The rows of ``fct_sales_forecast`` and the backtest that chose the blend."""

    forecast: pd.DataFrame
    backtest: pd.DataFrame = field(repr=False)


def forecast_sales(
    bookings: pd.DataFrame,
    pipeline: pd.DataFrame,
    run_month: pd.Period | str,
    horizon: int = 18,
    forecaster: BaseForecaster | None = None,
    config: BlendConfig | None = None,
) -> SalesForecast:
    """Pipeline, statistical and blended bookings forecast per region and target month.

    Parameters
    ----------
    bookings : DataFrame
        Monthly bookings per region (``fct_region_bookings_monthly``): region,
        month (first day of month), bookings_amount. Rows after ``run_month``
        are ignored; a month missing between a region's first row and the run
        month counts as 0.
    pipeline : DataFrame
        Open pipeline at month ends (``int_open_pipeline_weighted``, per
        opportunity or summed): month (the month whose last day is the as-of
        date of the snapshot), region, expected_close_month, forecast_category,
        amount, weighted_amount (stage probability) and
        win_rate_weighted_amount (stage-to-win rate). Month ends after
        ``run_month`` are ignored.
    run_month : Period or str
        The month the run is as of; the forecast starts the month after.
    horizon : int, default=18
        Number of target months.
    forecaster : sktime forecaster, optional
        Any sktime forecaster that takes a pd-multiindex frame (region, month
        ``PeriodIndex``) and has ``predict_interval``; it is cloned before each
        fit. Default ``AutoSelectForecaster(sp=12)``: a model per region chosen by
        backtest, as for demand.
    config : BlendConfig, optional
        Backtest grid, windows and fallbacks; default :class:`BlendConfig()`.

    Returns
    -------
    SalesForecast
        ``forecast``: one row per region and target month, columns
        :data:`SALES_FORECAST_COLUMNS`; ``backtest``: one row per lag, columns
        :data:`BACKTEST_COLUMNS` (WAPE of each view, of the statistical forecast
        and of the chosen blend over the lag's origins; the blend's WAPE is
        in-sample for the weight choice, so it flatters the blend a little).

    Examples
    --------
    Two years of bookings growing by 10 a month, which seasonal naive (last
    year's month) misses by 120, and a pipeline that each month end holds
    exactly the next month's bookings: the backtest puts all weight on the
    pipeline at lag 1; at lag 2 there is no pipeline, so statistical only.

    >>> months = pd.date_range("2023-07-01", "2025-06-01", freq="MS")
    >>> amounts = 100.0 + 10 * np.arange(len(months))
    >>> bookings = pd.DataFrame({"region": "EMEA", "month": months, "bookings_amount": amounts})
    >>> pipeline = pd.DataFrame({"month": months, "region": "EMEA",
    ...     "expected_close_month": months + pd.DateOffset(months=1),
    ...     "forecast_category": "Commit", "amount": amounts + 10,
    ...     "weighted_amount": amounts + 10, "win_rate_weighted_amount": 0.0})
    >>> from models.forecasting import VectorizedSeasonalNaive
    >>> result = forecast_sales(bookings, pipeline, "2025-06", horizon=2,
    ...                         forecaster=VectorizedSeasonalNaive(sp=12))
    >>> result.forecast["pipeline_weighted_amount"].tolist()
    [340.0, 0.0]
    >>> result.forecast[["target_month", "statistical_amount", "forecast_amount",
    ...                  "blend_weight", "weight_source"]]
      target_month  statistical_amount  forecast_amount  blend_weight weight_source
    0   2025-07-01               220.0            340.0           1.0      backtest
    1   2025-08-01               230.0            230.0           0.0   no_pipeline
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 month, got {horizon}")
    run = _as_period(run_month)
    config = config or BlendConfig()
    forecaster = forecaster if forecaster is not None else AutoSelectForecaster(sp=12)

    history = _monthly_bookings(bookings, run)
    views = _pipeline_by_close_month(pipeline, run)
    regions = sorted(set(history["region"]) | set(views.loc[views["as_of_month"] == run, "region"]))
    backtest = backtest_blend(history, views, regions, run, horizon, forecaster, config)
    if not regions:
        return SalesForecast(_empty_forecast(), backtest)

    grid = _region_lag_grid(regions, horizon)
    statistical = _statistical_forecast(forecaster, history, run, horizon)
    frame = grid.merge(statistical, on=["region", "lag"], how="left")
    frame = frame.merge(
        views[views["as_of_month"] == run].drop(columns="as_of_month"),
        on=["region", "lag"],
        how="left",
    )
    amounts = [
        "statistical_amount",
        "statistical_lower_80",
        "statistical_upper_80",
        *PIPELINE_VIEWS,
        *ROLL_UP,
    ]
    frame[amounts] = frame[amounts].fillna(0.0).clip(lower=0.0)

    choice = backtest.set_index("lag")[["pipeline_view", "blend_weight", "weight_source"]]
    frame = frame.join(choice, on="lag")
    chosen_view = np.where(
        frame["pipeline_view"] == STAGE_PROBABILITY,
        frame[STAGE_PROBABILITY],
        frame[STAGE_TO_WIN],
    )
    weight = frame["blend_weight"].to_numpy()
    frame["forecast_amount"] = weight * chosen_view + (1 - weight) * frame["statistical_amount"]
    frame = frame.rename(
        columns={
            STAGE_PROBABILITY: "pipeline_weighted_amount",
            STAGE_TO_WIN: "stage_to_win_amount",
        }
    )
    frame["run_month"] = run.to_timestamp()
    frame["target_month"] = pd.PeriodIndex.from_ordinals(
        run.ordinal + frame["lag"].to_numpy(), freq="M"
    ).to_timestamp()
    frame["statistical_model"] = frame["statistical_model"].fillna("none")
    return SalesForecast(frame[SALES_FORECAST_COLUMNS], backtest)


def backtest_blend(
    history: pd.DataFrame,
    views: pd.DataFrame,
    regions: list[str],
    run: pd.Period,
    horizon: int,
    forecaster: BaseForecaster,
    config: BlendConfig,
) -> pd.DataFrame:
    """Choose the pipeline view and blend weight of every lag by rolling-origin backtest.

    ``history`` is :func:`_monthly_bookings`'s output and ``views``
    :func:`_pipeline_by_close_month`'s. Returns one row per lag 1..horizon,
    columns :data:`BACKTEST_COLUMNS`.
    """
    points = _backtest_points(history, views, regions, run, horizon, forecaster, config)
    pipeline_now = views[views["as_of_month"] == run].groupby("lag")[config.default_view].sum()
    rows = []
    for lag in range(1, horizon + 1):
        at_lag = points[points["lag"] == lag] if len(points) else points
        rows.append(_choose_blend(at_lag, lag, float(pipeline_now.get(lag, 0.0)), config))
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """sum |forecast - actual| / sum actual (SPEC §2); NaN when the actuals sum to 0."""
    total = float(np.sum(actual))
    if total <= 0:
        return float("nan")
    return float(np.sum(np.abs(np.asarray(forecast) - np.asarray(actual))) / total)


# --------------------------------------------------------------------------- #
# inputs
# --------------------------------------------------------------------------- #


def _as_period(run_month: pd.Period | str) -> pd.Period:
    """The run month as a monthly Period, whatever date-like form it came in."""
    if isinstance(run_month, pd.Period):
        return run_month.asfreq("M")
    return pd.Period(pd.Timestamp(run_month), freq="M")


def _to_months(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M")


def _monthly_bookings(bookings: pd.DataFrame, run: pd.Period) -> pd.DataFrame:
    """Bookings per region and month up to the run month, zero-filled from each region's start.

    Long frame: region, month (Period), bookings_amount, sorted by region and month.
    """
    frame = pd.DataFrame(
        {
            "region": bookings["region"].astype(str),
            "month": _to_months(bookings["month"]),
            "bookings_amount": pd.to_numeric(bookings["bookings_amount"]).astype(float),
        }
    )
    frame = frame[frame["month"] <= run]
    frame = frame.groupby(["region", "month"], as_index=False)["bookings_amount"].sum()
    if frame.empty:
        return frame
    starts = frame.groupby("region")["month"].min()
    index = pd.MultiIndex.from_tuples(
        [
            (region, month)
            for region, start in starts.items()
            for month in pd.period_range(start, run, freq="M")
        ],
        names=["region", "month"],
    )
    filled = frame.set_index(["region", "month"])["bookings_amount"].reindex(index, fill_value=0.0)
    return filled.reset_index()


def _pipeline_by_close_month(pipeline: pd.DataFrame, run: pd.Period) -> pd.DataFrame:
    """Pipeline views and roll-ups per as-of month, region and lag (close month - as-of month).

    Columns: as_of_month (Period), region, lag, stage_probability, stage_to_win,
    commit_amount, best_case_amount, pipeline_amount. Only lags >= 1 are kept
    (the dbt model already moves an overdue close date to the next month).
    """
    as_of = _to_months(pipeline["month"])
    lag = _month_difference(_to_months(pipeline["expected_close_month"]), as_of)
    frame = pd.DataFrame(
        {
            "as_of_month": as_of,
            "region": pipeline["region"].astype(str),
            "lag": lag,
            STAGE_PROBABILITY: pd.to_numeric(pipeline[PIPELINE_VIEWS[STAGE_PROBABILITY]]),
            STAGE_TO_WIN: pd.to_numeric(pipeline[PIPELINE_VIEWS[STAGE_TO_WIN]]),
        }
    )
    category = pipeline["forecast_category"].astype(str)
    amount = pd.to_numeric(pipeline["amount"]).astype(float)
    for column, categories in ROLL_UP.items():
        frame[column] = np.where(category.isin(categories), amount, 0.0)
    frame = frame[(frame["as_of_month"] <= run) & (frame["lag"] >= 1)]
    return frame.groupby(["as_of_month", "region", "lag"], as_index=False).sum()


def _month_difference(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Whole months from ``earlier`` to ``later`` (monthly Periods)."""
    return later.array.asi8 - earlier.array.asi8


def _region_lag_grid(regions: list[str], horizon: int) -> pd.DataFrame:
    """Every region at every lag 1..horizon."""
    return pd.DataFrame(
        {
            "region": np.repeat(regions, horizon),
            "lag": np.tile(np.arange(1, horizon + 1), len(regions)),
        }
    )


# --------------------------------------------------------------------------- #
# statistical forecast
# --------------------------------------------------------------------------- #


def _statistical_forecast(
    forecaster: BaseForecaster,
    history: pd.DataFrame,
    origin: pd.Period,
    horizon: int,
    *,
    intervals: bool = True,
) -> pd.DataFrame:
    """Fit a clone of ``forecaster`` on the bookings up to ``origin``; forecast 1..horizon ahead.

    Columns: region, lag, statistical_amount, statistical_lower_80,
    statistical_upper_80 (NaN without ``intervals``: the backtest scores points
    only, and a combination's interval costs a calibration fit of its own).
    Regions without history up to the origin are absent.
    """
    known = history[history["month"] <= origin]
    if known.empty:
        return pd.DataFrame(
            columns=[
                "region",
                "lag",
                "statistical_amount",
                "statistical_lower_80",
                "statistical_upper_80",
                "statistical_model",
            ]
        )
    y = known.set_index(["region", "month"])[["bookings_amount"]].sort_index()
    fitted = forecaster.clone().fit(y)
    fh = list(range(1, horizon + 1))
    point = fitted.predict(fh=fh).iloc[:, 0]
    if intervals:
        interval = fitted.predict_interval(fh=fh, coverage=0.8)
        lower = interval.xs("lower", axis=1, level=-1).iloc[:, 0]
        upper = interval.xs("upper", axis=1, level=-1).iloc[:, 0]
    else:
        lower = upper = pd.Series(np.nan, index=point.index)
    months = pd.PeriodIndex(point.index.get_level_values(-1), freq="M")
    return pd.DataFrame(
        {
            "region": point.index.get_level_values(0).astype(str),
            "lag": months.asi8 - origin.ordinal,
            "statistical_amount": point.to_numpy(dtype=float),
            "statistical_lower_80": lower.reindex(point.index).to_numpy(dtype=float),
            "statistical_upper_80": upper.reindex(point.index).to_numpy(dtype=float),
            "statistical_model": _model_per_region(fitted, point.index.get_level_values(0)),
        }
    )


def _model_per_region(fitted: BaseForecaster, regions: pd.Index) -> np.ndarray:
    """The model each region's forecast came from (``model_`` per series), else the class."""
    chosen = getattr(fitted, "model_", None)
    if isinstance(chosen, pd.Series):
        by_region = pd.Series(chosen.to_numpy(), index=chosen.index.get_level_values(-1))
        return by_region.reindex(regions).fillna(type(fitted).__name__).to_numpy(dtype=object)
    return np.full(len(regions), type(fitted).__name__, dtype=object)


# --------------------------------------------------------------------------- #
# backtest
# --------------------------------------------------------------------------- #


def _origins_by_lag(
    history: pd.DataFrame, views: pd.DataFrame, run: pd.Period, horizon: int, config: BlendConfig
) -> dict[int, list[pd.Period]]:
    """The origins each lag is scored on: the ``window`` latest eligible month ends."""
    if history.empty or views.empty:
        return {lag: [] for lag in range(1, horizon + 1)}
    first = max(
        history["month"].min() + (config.min_history_months - 1), views["as_of_month"].min()
    )
    origins = {}
    for lag in range(1, horizon + 1):
        last = run - lag
        count = max(0, min(config.window, (last - first).n + 1)) if last >= first else 0
        origins[lag] = [last - k for k in range(count)][::-1]
    return origins


def _backtest_points(
    history: pd.DataFrame,
    views: pd.DataFrame,
    regions: list[str],
    run: pd.Period,
    horizon: int,
    forecaster: BaseForecaster,
    config: BlendConfig,
) -> pd.DataFrame:
    """One row per origin, lag and region: actual bookings and each view's forecast."""
    origins_by_lag = _origins_by_lag(history, views, run, horizon, config)
    lags_by_origin: dict[pd.Period, list[int]] = {}
    for lag, origins in origins_by_lag.items():
        for origin in origins:
            lags_by_origin.setdefault(origin, []).append(lag)
    actual = history.set_index(["region", "month"])["bookings_amount"]
    frames = []
    for origin, lags in sorted(lags_by_origin.items()):
        grid = _region_lag_grid(regions, max(lags))
        grid = grid[grid["lag"].isin(lags)]
        statistical = _statistical_forecast(forecaster, history, origin, max(lags), intervals=False)
        at_origin = views[views["as_of_month"] == origin].drop(columns="as_of_month")
        points = grid.merge(statistical, on=["region", "lag"], how="left").merge(
            at_origin, on=["region", "lag"], how="left"
        )
        points["origin"] = origin
        target = [
            (region, origin + int(lag))
            for region, lag in zip(points["region"], points["lag"], strict=True)
        ]
        points["actual"] = actual.reindex(pd.MultiIndex.from_tuples(target)).to_numpy()
        frames.append(points)
    columns = ["origin", "region", "lag", "actual", "statistical_amount", *PIPELINE_VIEWS]
    if not frames:
        return pd.DataFrame(columns=columns)
    points = pd.concat(frames, ignore_index=True)[columns]
    value_columns = columns[3:]
    points[value_columns] = points[value_columns].astype(float).fillna(0.0).clip(lower=0.0)
    return points


def _choose_blend(
    points: pd.DataFrame, lag: int, pipeline_now: float, config: BlendConfig
) -> dict[str, object]:
    """The (view, weight) with the lowest WAPE at one lag, or the fallback (see BlendConfig).

    ``pipeline_now`` is the default view's total at this lag at the run month.
    """
    actual = points["actual"].to_numpy(dtype=float)
    statistical = points["statistical_amount"].to_numpy(dtype=float)
    n_origins = points["origin"].nunique() if len(points) else 0
    row: dict[str, object] = {
        "lag": lag,
        "origins": n_origins,
        "first_origin": points["origin"].min().to_timestamp() if n_origins else pd.NaT,
        "last_origin": points["origin"].max().to_timestamp() if n_origins else pd.NaT,
        "actual_amount": float(actual.sum()),
        "wape_statistical": wape(statistical, actual),
        **{
            f"wape_{view}": wape(points[view].to_numpy(dtype=float), actual)
            for view in PIPELINE_VIEWS
        },
    }
    total = float(actual.sum())
    pipeline_total = max(float(points[view].sum()) for view in PIPELINE_VIEWS)
    share = pipeline_total / total if total > 0 else float("nan")
    row["pipeline_share"] = share
    if n_origins < config.min_origins or total <= 0:
        view, weight, source = config.default_view, config.fallback_weight(lag), DEFAULT
        if weight > 0 and pipeline_now <= 0:
            weight, source = 0.0, NO_PIPELINE
    elif share < config.min_pipeline_share:
        view, weight, source = config.default_view, 0.0, NO_PIPELINE
    else:
        scores = [
            (wape(w * points[view].to_numpy(dtype=float) + (1 - w) * statistical, actual), i, j)
            for i, view in enumerate(PIPELINE_VIEWS)
            for j, w in enumerate(config.weight_grid)
        ]
        # Round away float noise so that exact ties fall to the earlier view and lower weight.
        _, i, j = min((round(score, 12), i, j) for score, i, j in scores)
        view, weight, source = list(PIPELINE_VIEWS)[i], config.weight_grid[j], BACKTEST
    blend = weight * points[view].to_numpy(dtype=float) + (1 - weight) * statistical
    row.update(
        wape_blend=wape(blend, actual),
        pipeline_view=view,
        blend_weight=float(weight),
        weight_source=source,
    )
    return row


def _empty_forecast() -> pd.DataFrame:
    return pd.DataFrame(columns=SALES_FORECAST_COLUMNS)
