"""Pipeline-informed demand: open opportunities as a leading signal for the next months.

An open opportunity for a product with an expected close in month T says
something about that product's demand in T that the statistical forecast,
built on past orders alone, cannot know. Whether it says anything *useful*
depends on the business (do won deals turn into orders in their close month?),
so the signal is applied only where the backtest shows it helps.

The model, per lag L (1 to ``max_lag`` months after the run month)::

    adjusted = statistical forecast + beta_L x pipeline_qty

``pipeline_qty`` is the open quantity of the product expected to close in the
target month as of the run month's end, weighted by the stage-to-win rates of
that month (``int_open_pipeline_weighted``). ``beta_L`` is the share of that
weighted quantity that the statistical forecast misses: the least-squares
slope, without intercept, of the forecast error (actual - forecast) on
``pipeline_qty`` over past snapshots, kept between 0 and 1 (a deal cannot
remove demand, nor count for more than its units).

Value, by rolling origin: for every past run month R with enough earlier
snapshots, beta is fitted on the (product, target month) pairs whose actuals
were known by R only, and the adjusted forecast of R is scored against what
followed. ``value`` = WAPE of the statistical forecast - WAPE of the adjusted
one over all those points (the FVA of the signal); the signal is **kept** for
a lag only when the value is positive over at least ``min_origins`` origins.
Otherwise the adjustment is 0 and the statistical forecast stands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SIGNAL_COLUMNS = [
    "run_month",
    "product_id",
    "target_month",
    "lag",
    "forecast_qty",
    "pipeline_qty",
    "beta",
    "adjustment_qty",
    "adjusted_qty",
    "kept",
]

VALUE_COLUMNS = [
    "run_month",
    "lag",
    "origins",
    "points",
    "beta",
    "wape_statistical",
    "wape_with_pipeline",
    "value",
    "kept",
    "reason",
]


@dataclass(frozen=True)
class PipelineSignal:
    """The run's adjustments (one row per product and target month) and their backtest value."""

    signal: pd.DataFrame
    value: pd.DataFrame


def _months(column: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(column)
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy()


def _beta(error: np.ndarray, signal: np.ndarray) -> float:
    """Least-squares slope through the origin, clipped to [0, 1]; 0 without signal."""
    denominator = float(np.dot(signal, signal))
    if denominator == 0:
        return 0.0
    return float(np.clip(np.dot(signal, error) / denominator, 0.0, 1.0))


def _wape(error: np.ndarray, actual: np.ndarray) -> float:
    total = float(actual.sum())
    return float(np.abs(error).sum() / total) if total > 0 else float("nan")


def pipeline_signal(
    snapshots: pd.DataFrame,
    actuals: pd.DataFrame,
    pipeline: pd.DataFrame,
    run_month: pd.Timestamp | str,
    max_lag: int = 3,
    min_origins: int = 3,
) -> PipelineSignal:
    """Adjustments of the run's product forecasts by open pipeline, where the backtest says so.

    Parameters
    ----------
    snapshots : DataFrame
        Kept product-total forecasts (``fct_demand_forecast`` region 'ALL'):
        run_month, product_id, target_month, forecast_qty; any run months up
        to ``run_month`` (later ones are ignored).
    actuals : DataFrame
        ``fct_demand_history``: product_id, month, quantity (summed over regions).
    pipeline : DataFrame
        Open pipeline as of month ends: month (the as-of month), product_id,
        expected_close_month, weighted_qty. Rows without a product_id (a deal
        sold without line items) say nothing about any product's demand and
        are left out.
    run_month : date-like
        The run; actuals after it are unknown.
    max_lag : int, default=3
        Lags adjusted (pipeline beyond a quarter is thin in most CRMs).
    min_origins : int, default=3
        Past run months the value must be measured on before the signal is kept.

    Examples
    --------
    Demand is the forecast plus half of the weighted pipeline, exactly:

    >>> months = pd.date_range("2025-01-01", periods=8, freq="MS")
    >>> snaps = pd.DataFrame({"run_month": months[:-1], "product_id": "P1",
    ...     "target_month": months[1:], "forecast_qty": 10.0})
    >>> pipe = pd.DataFrame({"month": months, "product_id": "P1",
    ...     "expected_close_month": months + pd.DateOffset(months=1),
    ...     "weighted_qty": [4.0, 8, 2, 6, 10, 4, 2, 8]})
    >>> acts = pd.DataFrame({"product_id": "P1", "month": months[1:],
    ...     "quantity": 10 + 0.5 * pipe["weighted_qty"].to_numpy()[:-1]})
    >>> result = pipeline_signal(snaps, acts, pipe, months[-1], max_lag=1)

    The first run month has no earlier actuals to fit beta on; the other six are
    scored. Their statistical errors are 0.5 x pipeline = 16 units over 76, and
    the adjusted forecasts are exact, so the value is 16 / 76:

    >>> result.value[["lag", "origins", "beta", "value", "kept"]]
       lag  origins  beta     value  kept
    0    1        6   0.5  0.210526  True
    """
    run = pd.Timestamp(run_month).to_period("M").to_timestamp()
    run_index = run.year * 12 + run.month - 1
    snaps = snapshots[pd.to_datetime(snapshots["run_month"]) <= run]
    points = _scored_points(snaps, actuals, pipeline, run_index, max_lag)

    value_rows, betas = [], {}
    for lag in range(1, max_lag + 1):
        lag_points = points[points["lag"] == lag] if len(points) else points
        row = _value_of_lag(lag_points, lag, min_origins)
        betas[lag] = (row["beta"], row["kept"])
        value_rows.append({"run_month": run, **row})
    value = pd.DataFrame(value_rows, columns=VALUE_COLUMNS)

    current = snaps[pd.to_datetime(snaps["run_month"]) == run]
    signal = _current_signal(current, pipeline, run, run_index, betas, max_lag)
    return PipelineSignal(signal=signal, value=value)


def _scored_points(
    snaps: pd.DataFrame,
    actuals: pd.DataFrame,
    pipeline: pd.DataFrame,
    run_index: int,
    max_lag: int,
) -> pd.DataFrame:
    """Past (snapshot, product, target) points with forecast, pipeline and actual."""
    frame = pd.DataFrame(
        {
            "origin": _months(snaps["run_month"]),
            "product_id": snaps["product_id"].astype(str).to_numpy(),
            "target": _months(snaps["target_month"]),
            "forecast": snaps["forecast_qty"].astype(float).to_numpy(),
        }
    )
    frame["lag"] = frame["target"] - frame["origin"]
    frame = frame[(frame["lag"] >= 1) & (frame["lag"] <= max_lag)]
    frame = frame[frame["target"] <= run_index]  # actuals known by the run
    actual = (
        pd.DataFrame(
            {
                "product_id": actuals["product_id"].astype(str).to_numpy(),
                "target": _months(actuals["month"]),
                "actual": actuals["quantity"].astype(float).to_numpy(),
            }
        )
        .groupby(["product_id", "target"], as_index=False)["actual"]
        .sum()
    )
    frame = frame.merge(actual, on=["product_id", "target"], how="left")
    frame["actual"] = frame["actual"].fillna(0.0)
    return frame.merge(
        _pipeline_by_close(pipeline), on=["origin", "product_id", "target"], how="left"
    ).fillna({"pipeline": 0.0})


def _pipeline_by_close(pipeline: pd.DataFrame) -> pd.DataFrame:
    """Weighted open quantity per as-of month, product and expected close month.

    A deal without a product (SPEC section 1 allows an empty product_id) is
    dropped here rather than grouped under a made-up key such as 'nan'.
    """
    pipeline = pipeline[pipeline["product_id"].notna()]
    frame = pd.DataFrame(
        {
            "origin": _months(pipeline["month"]),
            "product_id": pipeline["product_id"].astype(str).to_numpy(),
            "target": _months(pipeline["expected_close_month"]),
            "pipeline": pipeline["weighted_qty"].astype(float).fillna(0.0).to_numpy(),
        }
    )
    return frame.groupby(["origin", "product_id", "target"], as_index=False)["pipeline"].sum()


def _value_of_lag(points: pd.DataFrame, lag: int, min_origins: int) -> dict:
    """Rolling-origin value of the signal at one lag, and the beta to apply now."""
    base = {"lag": lag, "origins": 0, "points": 0, "beta": 0.0}
    empty = {"wape_statistical": np.nan, "wape_with_pipeline": np.nan, "value": np.nan}
    if points.empty:
        return {**base, **empty, "kept": False, "reason": "no past forecast with actuals yet"}
    scored = []
    for origin in sorted(points["origin"].unique()):
        # only pairs whose actuals were known at this origin fit its beta
        known = points[points["target"] <= origin]
        if known["origin"].nunique() < 1:
            continue
        beta = _beta((known["actual"] - known["forecast"]).to_numpy(), known["pipeline"].to_numpy())
        test = points[points["origin"] == origin]
        scored.append(test.assign(adjusted=test["forecast"] + beta * test["pipeline"]))
    beta_now = _beta(
        (points["actual"] - points["forecast"]).to_numpy(), points["pipeline"].to_numpy()
    )
    if not scored:
        reason = "too few past forecasts to measure the value"
        return {**base, "beta": beta_now, **empty, "kept": False, "reason": reason}
    scored_frame = pd.concat(scored)
    actual = scored_frame["actual"].to_numpy()
    wape_stat = _wape(scored_frame["forecast"].to_numpy() - actual, actual)
    wape_adj = _wape(scored_frame["adjusted"].to_numpy() - actual, actual)
    value = wape_stat - wape_adj
    origins = int(scored_frame["origin"].nunique())
    if origins < min_origins:
        kept, reason = False, f"value measured on {origins} past run months, {min_origins} needed"
    elif not value > 0:
        kept, reason = False, "the pipeline does not improve the forecast in the backtest"
    else:
        kept, reason = True, "the pipeline improves the forecast in the backtest"
    return {
        **base,
        "origins": origins,
        "points": len(scored_frame),
        "beta": beta_now,
        "wape_statistical": wape_stat,
        "wape_with_pipeline": wape_adj,
        "value": value,
        "kept": kept,
        "reason": reason,
    }


def _current_signal(
    current: pd.DataFrame,
    pipeline: pd.DataFrame,
    run: pd.Timestamp,
    run_index: int,
    betas: dict[int, tuple[float, bool]],
    max_lag: int,
) -> pd.DataFrame:
    """The run's rows: forecast, pipeline, and the adjustment where the signal is kept."""
    frame = pd.DataFrame(
        {
            "product_id": current["product_id"].astype(str).to_numpy(),
            "target_month": pd.to_datetime(current["target_month"]).to_numpy(),
            "forecast_qty": current["forecast_qty"].astype(float).to_numpy(),
        }
    )
    frame["lag"] = _months(frame["target_month"]) - run_index
    frame = frame[(frame["lag"] >= 1) & (frame["lag"] <= max_lag)]
    now = _pipeline_by_close(pipeline)
    now = now[now["origin"] == run_index].drop(columns="origin")
    frame = frame.assign(target=_months(frame["target_month"])).merge(
        now, on=["product_id", "target"], how="left"
    )
    frame["pipeline_qty"] = frame["pipeline"].fillna(0.0)
    frame["beta"] = frame["lag"].map(lambda lag: betas[lag][0])
    frame["kept"] = frame["lag"].map(lambda lag: betas[lag][1]).astype(bool)
    frame["adjustment_qty"] = np.where(frame["kept"], frame["beta"] * frame["pipeline_qty"], 0.0)
    frame["adjusted_qty"] = frame["forecast_qty"] + frame["adjustment_qty"]
    frame["run_month"] = run
    frame = frame.sort_values(["product_id", "target_month"], kind="stable")
    return frame[SIGNAL_COLUMNS].reset_index(drop=True)
