"""The forecast's own held-out backtest by lag: accuracy a first run can already show.

``fct_forecast_accuracy`` scores kept forecast snapshots, so it stays empty
until a run's target months have actuals: a new user's first run would show no
accuracy at all. The forecast already measures itself, though: to calibrate
the intervals of a combination, :class:`~models.forecasting.auto_select.AutoSelectForecaster`
cuts a sample of series at an earlier origin, fits the members there and
forecasts the held-out months (:mod:`models.forecasting.calibration`). Those
forecasts against the actuals are a backtest of the published method at lags
1 to the horizon, measured with no extra fit. This module adds the seasonal
naive forecast from the same origins (the FVA benchmark, as ``naive_qty`` of
the published forecast) and sums the errors by level and lag into
``fct_forecast_backtest``, with the SPEC's definitions (section 2, "Forecast
error"): WAPE = sum |forecast - actual| / sum actual, bias = sum (forecast -
actual) / sum actual, accuracy = max(0, 1 - WAPE), FVA = WAPE of seasonal
naive - WAPE of the method.

It differs from ``fct_forecast_accuracy`` in what is scored: base forecasts
before reconciliation, of the calibration sample only (regular and short
series, which are combinations; intermittent series are chosen by their own
rolling-origin backtest and are not in it), each from one origin per series
(up to the horizon before the run month).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.forecasting.accuracy import error_ratios
from models.forecasting.seasonal_naive import fit_seasonal_naive, predict_seasonal_naive

BACKTEST_COLUMNS = [
    "run_month",
    "level",
    "lag",
    "series",
    "first_origin_month",
    "last_origin_month",
    "actual_qty",
    "forecast_qty",
    "abs_error",
    "naive_abs_error",
    "wape",
    "bias",
    "accuracy",
    "naive_wape",
    "fva",
]


def seasonal_naive_from_origins(
    values: np.ndarray, origins: np.ndarray, horizon: int, sp: int
) -> np.ndarray:
    """(horizon, series) seasonal naive forecasts of each column from its own origin row.

    ``origins[j]`` is the last row column ``j`` may use; rows after it are the
    held-out months. The forecast is :func:`predict_seasonal_naive` on that
    history (naive for less than a season), floored at 0 as the published
    benchmark is.

    >>> values = np.array([[1.0, 5.0], [2.0, 6.0], [3.0, 7.0], [4.0, 8.0]])
    >>> seasonal_naive_from_origins(values, np.array([1, 2]), horizon=2, sp=2)
    array([[1., 6.],
           [2., 7.]])
    """
    values = np.asarray(values, dtype=float)
    origins = np.asarray(origins, dtype=int)
    out = np.full((horizon, values.shape[1]), np.nan)
    steps = np.arange(1, horizon + 1)
    for origin in np.unique(origins):
        columns = np.flatnonzero(origins == origin)
        history = values[: origin + 1, columns]
        point, _ = predict_seasonal_naive(history, fit_seasonal_naive(history, sp), sp, steps)
        out[:, columns] = point
    return np.maximum(out, 0.0)


def backtest_by_lag(points: pd.DataFrame, run_month: pd.Timestamp | str) -> pd.DataFrame:
    """Rows of ``fct_forecast_backtest``: errors summed by level and lag, then the ratios.

    Parameters
    ----------
    points : DataFrame
        One row per node and held-out month: level, lag, origin_month,
        forecast_qty, naive_qty, actual_qty.
    run_month : date-like
        The run whose forecast made the backtest.

    Examples
    --------
    >>> points = pd.DataFrame({"level": "product", "lag": [1, 1, 2],
    ...     "origin_month": pd.Timestamp("2025-01-01"), "forecast_qty": [12.0, 8.0, 9.0],
    ...     "naive_qty": [10.0, 5.0, 10.0], "actual_qty": [10.0, 10.0, 10.0]})
    >>> rows = backtest_by_lag(points, "2025-06-01")
    >>> rows[["lag", "series", "wape", "bias", "accuracy", "naive_wape", "fva"]]
       lag  series  wape  bias  accuracy  naive_wape  fva
    0    1       2   0.2  0.0       0.8        0.25 0.05
    1    2       1   0.1 -0.1       0.9        0.00 -0.10
    """
    frame = points.assign(
        abs_error=(points["forecast_qty"] - points["actual_qty"]).abs(),
        naive_abs_error=(points["naive_qty"] - points["actual_qty"]).abs(),
    )
    summed = frame.groupby(["level", "lag"], as_index=False).agg(
        series=("actual_qty", "size"),
        first_origin_month=("origin_month", "min"),
        last_origin_month=("origin_month", "max"),
        actual_qty=("actual_qty", "sum"),
        forecast_qty=("forecast_qty", "sum"),
        abs_error=("abs_error", "sum"),
        naive_abs_error=("naive_abs_error", "sum"),
    )
    summed.insert(0, "run_month", pd.Timestamp(run_month).to_period("M").to_timestamp())
    rows = error_ratios(summed)[BACKTEST_COLUMNS]
    return rows.sort_values(["level", "lag"], ignore_index=True)


def empty_backtest() -> pd.DataFrame:
    """``fct_forecast_backtest`` without rows, with its columns and types."""
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in BACKTEST_COLUMNS})
    frame["level"] = frame["level"].astype(object)
    frame["lag"] = frame["lag"].astype(int)
    frame["series"] = frame["series"].astype(int)
    for c in ("run_month", "first_origin_month", "last_origin_month"):
        frame[c] = frame[c].astype("datetime64[ns]")
    return frame
