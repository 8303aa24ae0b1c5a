"""Forecast-competition error measures: sMAPE, MASE and interval coverage.

These are the measures the M and Tourism competitions published, used to
compare the platform's forecast with standard methods on public data
(``bench/forecast_accuracy``). They are not the planning metrics of the
published tables (WAPE, bias and FVA are in :mod:`models.forecasting.accuracy`):
a planner sums errors over products, a competition averages them over series,
so that a small series counts as much as a large one.

Every function takes arrays of shape (series, horizon) and averages over the
horizon first, then over series, as the competitions did.
"""

from __future__ import annotations

import numpy as np


def smape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Symmetric MAPE in percent: mean of 200 |y - f| / (|y| + |f|) (M3, M4).

    A point where both are 0 counts as 0 (no error), not as NaN.

    >>> round(smape(np.array([[110.0, 90.0]]), np.array([[100.0, 100.0]])), 4)
    10.0251
    """
    forecast, actual = np.atleast_2d(forecast), np.atleast_2d(actual)
    denominator = np.abs(actual) + np.abs(forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(denominator > 0, np.abs(actual - forecast) / denominator, 0.0)
    return float(np.mean(np.mean(200.0 * ratio, axis=1)))


def seasonal_scale(history: np.ndarray, sp: int = 12) -> float:
    """MASE's denominator: in-sample mean absolute seasonal difference of one series.

    Falls back to the first difference (``sp`` 1) when the history is not
    longer than a season, as the M4 guide does for short series.
    """
    history = np.asarray(history, dtype=float)
    history = history[~np.isnan(history)]
    lag = sp if len(history) > sp else 1
    return float(np.mean(np.abs(history[lag:] - history[:-lag])))


def mase(forecast: np.ndarray, actual: np.ndarray, scale: np.ndarray) -> float:
    """Mean absolute scaled error: per series mean |y - f| / its ``scale``, then the mean.

    ``scale`` is :func:`seasonal_scale` of each series' training history
    (Hyndman & Koehler 2006, as in the Tourism competition and M4).

    >>> mase(np.array([[12.0, 8.0]]), np.array([[10.0, 10.0]]), np.array([4.0]))
    0.5
    """
    forecast, actual = np.atleast_2d(forecast), np.atleast_2d(actual)
    per_series = np.mean(np.abs(actual - forecast), axis=1) / np.asarray(scale, dtype=float)
    return float(np.mean(per_series))


def coverage(lower: np.ndarray, upper: np.ndarray, actual: np.ndarray) -> float:
    """Share of actual values inside their interval, bounds included.

    >>> coverage(np.array([[0.0, 5.0]]), np.array([[10.0, 6.0]]), np.array([[10.0, 7.0]]))
    0.5
    """
    inside = (np.asarray(actual) >= np.asarray(lower)) & (np.asarray(actual) <= np.asarray(upper))
    return float(np.mean(inside))
