"""Seasonal naive forecasts for thousands of series in one numpy pass.

sktime's own ``NaiveForecaster`` handles one univariate series at a time: given
a panel, sktime loops over the series in Python and clones an estimator per
series (about 45 ms a series for fit, predict and interval here: 8 minutes for
10,000 series). Seasonal naive needs no per-series optimisation,
so :class:`VectorizedSeasonalNaive` takes the whole panel as one ``(time, series)``
array and computes every forecast and variance with array operations.

The method (Hyndman & Athanasopoulos, *Forecasting: principles and practice*,
3rd ed., §5.2 and §5.5):

* forecast for step ``h`` after the last observation ``T`` (1-based):
  ``y[T - sp + ((h - 1) mod sp) + 1]``, the value of the same season one
  season back;
* residuals are the in-sample seasonal differences ``y[t] - y[t - sp]``;
  ``sigma`` is their root mean square, uncentred because the model has no
  drift, over the available differences with no degrees-of-freedom
  correction: exactly what sktime's ``NaiveForecaster`` computes, which the
  tests reproduce to the last digit;
* forecast variance ``sigma**2 * (floor((h - 1) / sp) + 1)``, normal intervals.

A series with fewer than ``sp`` observations cannot be seasonal yet, so it falls
back to the naive method (last observed value, first differences as residuals,
variance ``sigma**2 * h``), which is seasonal naive with period 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.stats import norm
from sktime.forecasting.base import BaseForecaster

from models.forecasting.panel_layout import PANDAS_MTYPES, row_index, to_array, to_frame, to_rows

SEASONAL = "seasonal_naive"
NAIVE = "naive"
NO_DATA = "none"


# --------------------------------------------------------------------------- #
# numpy kernel: arrays of shape (time, series), NaN where a series has no value
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class SeasonalNaiveFit:
    """Per-series parameters of a seasonal naive fit.

    Attributes
    ----------
    seasonal : ndarray of bool, shape (n_series,)
        True where the series has at least ``sp`` observations and is forecast
        seasonally; False where it falls back to the naive method.
    sigma : ndarray of float, shape (n_series,)
        Standard deviation of the one-season-ahead (or, for the naive fallback,
        one-step-ahead) forecast error.
    n_obs : ndarray of int, shape (n_series,)
        Number of observed (non-NaN) values.
    pooled_relative_sigma : float
        Median over the series with residuals of ``sigma / mean(|y|)``; the
        sigma of a series without residuals is this times its mean level.
    """

    seasonal: np.ndarray
    sigma: np.ndarray
    n_obs: np.ndarray
    pooled_relative_sigma: float

    @property
    def method(self) -> np.ndarray:
        """Method name per series: seasonal_naive, naive, or none (no data)."""
        names = np.where(self.seasonal, SEASONAL, NAIVE).astype(object)
        names[self.n_obs == 0] = NO_DATA
        return names


def ffill_by_season(values: np.ndarray, sp: int) -> np.ndarray:
    """Carry each value forward to later rows of the same season.

    Row ``t`` of the result is the last observed value among rows ``t``,
    ``t - sp``, ``t - 2 sp``, ... (NaN if none), so ``sp=1`` is a plain forward
    fill. One reshape to ``(years, sp, series)`` and a cumulative maximum of row
    numbers replace a loop over series.
    """
    n_time, n_series = values.shape
    pad = (-n_time) % sp
    padded = np.vstack([np.full((pad, n_series), np.nan), values])
    cube = padded.reshape(-1, sp, n_series)
    rows = np.arange(cube.shape[0]).reshape(-1, 1, 1)
    last = np.maximum.accumulate(np.where(np.isnan(cube), -1, rows), axis=0)
    filled = np.take_along_axis(cube, np.maximum(last, 0), axis=0)
    filled[last < 0] = np.nan
    return filled.reshape(-1, n_series)[pad:]


def rms_difference(values: np.ndarray, lag: int) -> np.ndarray:
    """Root mean square of ``y[t] - y[t - lag]`` per column, NaN if no pair exists."""
    n_time, n_series = values.shape
    if n_time <= lag:
        return np.full(n_series, np.nan)
    diff = values[lag:] - values[:-lag]
    observed = ~np.isnan(diff)
    count = observed.sum(axis=0)
    total = np.where(observed, diff * diff, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.sqrt(total / np.maximum(count, 1)), np.nan)


def fit_seasonal_naive(values: np.ndarray, sp: int) -> SeasonalNaiveFit:
    """Estimate method and residual sigma for every column of ``values``.

    A series with no residual of its own (a single observation, or exactly
    ``sp`` of them) borrows the panel's typical relative error: the median of
    ``sigma / mean(|y|)`` over series that have residuals, times its own mean
    level. This keeps a new product's interval proportionate to its volume
    rather than zero-width; when no series in the fit has residuals (for
    example a single one-point series) the interval has zero width.
    """
    values = np.asarray(values, dtype=float)
    observed = ~np.isnan(values)
    n_obs = observed.sum(axis=0)
    seasonal = n_obs >= sp
    sigma = np.where(seasonal, rms_difference(values, sp), rms_difference(values, 1))

    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.nansum(np.abs(values), axis=0) / n_obs
        ratio = sigma / level
    usable = np.isfinite(ratio)
    pooled = float(np.median(ratio[usable])) if usable.any() else 0.0
    borrowed = ~np.isfinite(sigma) & (n_obs > 0)
    sigma = np.where(borrowed, pooled * level, sigma)
    return SeasonalNaiveFit(
        seasonal=seasonal, sigma=sigma, n_obs=n_obs, pooled_relative_sigma=pooled
    )


def predict_seasonal_naive(
    values: np.ndarray, fit: SeasonalNaiveFit, sp: int, steps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts and forecast variances at ``steps`` after the last row.

    Parameters
    ----------
    values : ndarray, shape (n_time, n_series)
        The data the fit was made on, last row = forecast origin.
    fit : SeasonalNaiveFit
    sp : int
        Seasonal period.
    steps : ndarray of int, shape (n_steps,)
        Steps relative to the last row: 1 is the next period; 0 and negative
        steps are in-sample, answered with the fitted (one-season-ahead)
        value and the one-step variance, as sktime's ``NaiveForecaster`` does.

    Returns
    -------
    point, variance : ndarray, shape (n_steps, n_series)
        A season never observed falls back to the last observed value.
    """
    values = np.asarray(values, dtype=float)
    n_time = values.shape[0]
    steps = np.asarray(steps, dtype=int)
    position = n_time - 1 + steps
    out_of_sample = steps > 0
    seasons_back = np.where(out_of_sample, -(-steps // sp), 1)
    seasonal_row = position - sp * seasons_back
    naive_row = np.minimum(position - 1, n_time - 1)

    def take(filled: np.ndarray, rows: np.ndarray) -> np.ndarray:
        picked = filled[np.clip(rows, 0, max(n_time - 1, 0))]
        picked[rows < 0] = np.nan
        return picked

    seasonal_value = take(ffill_by_season(values, sp), seasonal_row)
    naive_value = take(ffill_by_season(values, 1), naive_row)
    use_seasonal = fit.seasonal[np.newaxis, :] & ~np.isnan(seasonal_value)
    point = np.where(use_seasonal, seasonal_value, naive_value)

    horizon = np.where(out_of_sample, steps, 1)[:, np.newaxis]
    multiplier = np.where(fit.seasonal[np.newaxis, :], (horizon - 1) // sp + 1, horizon)
    variance = fit.sigma[np.newaxis, :] ** 2 * multiplier
    return point, variance


def normal_quantiles(
    point: np.ndarray, variance: np.ndarray, alpha: float, nonnegative: bool
) -> np.ndarray:
    """Quantile ``alpha`` of a normal forecast, floored at 0 for quantities.

    Demand cannot be negative, so a floor at zero only removes impossible
    values from the lower tail; the point forecast itself is never changed.
    """
    quantile = point + norm.ppf(alpha) * np.sqrt(variance)
    return np.maximum(quantile, 0.0) if nonnegative else quantile


# --------------------------------------------------------------------------- #
# sktime estimator
# --------------------------------------------------------------------------- #


class VectorizedSeasonalNaive(BaseForecaster):
    """Seasonal naive forecaster that fits a whole panel in one vectorized pass.

    Equivalent, series by series, to ``NaiveForecaster(strategy="last", sp=sp)``
    for point forecasts and normal intervals, but a wide ``DataFrame`` (one
    column per series) or a panel / hierarchical ``MultiIndex`` frame is handled
    natively, without sktime's per-series Python loop and estimator clones.

    Series may start at different times (NaN before their first observation).
    A series with fewer than ``sp`` observations is forecast with the naive
    method (its last value, variance ``sigma**2 * h``); a series with no
    residual at all gets ``sigma`` from the panel's median relative residual
    (see :func:`fit_seasonal_naive`). Intervals are normal, centred on the point
    forecast, and floored at 0 when ``nonnegative`` is set; ``predict_proba``
    returns the underlying normal distribution without the floor.

    For thousands of series pass the long form (a ``MultiIndex`` sorted by
    instance and time): sktime's own input checks loop over the columns of a
    wide frame (seconds at 10,000 columns) and over the instances of an
    unsorted ``MultiIndex``, while a sorted one is checked in one step.

    Parameters
    ----------
    sp : int, default=12
        Seasonal period (12 for monthly data).
    nonnegative : bool, default=True
        Floor quantiles and interval bounds at 0, for quantities that cannot be
        negative. Point forecasts are not changed.

    Attributes
    ----------
    method_ : pd.Series
        Per series: "seasonal_naive", "naive" (short-history fallback) or
        "none" (no observation). Indexed by column name, or by
        (column, *instance) for panel and hierarchical data.
    sigma_ : pd.Series
        Per series standard deviation of the one-season-ahead error (one-step
        for the naive fallback).
    n_obs_ : pd.Series
        Per series number of observed values.
    pooled_relative_sigma_ : float
        Median ``sigma / mean(|y|)`` of the series that have residuals.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from models.forecasting import VectorizedSeasonalNaive
    >>> months = pd.period_range("2024-01", periods=14, freq="M")
    >>> y = pd.DataFrame({"a": np.arange(14.0), "b": [np.nan] * 10 + [5.0, 6, 7, 8]},
    ...                  index=months)
    >>> forecaster = VectorizedSeasonalNaive(sp=12).fit(y)
    >>> forecaster.method_.to_dict()
    {'a': 'seasonal_naive', 'b': 'naive'}
    >>> forecaster.predict(fh=[1, 2, 3])
               a    b
    2025-03  2.0  8.0
    2025-04  3.0  8.0
    2025-05  4.0  8.0
    >>> pi = forecaster.predict_interval(fh=[1], coverage=0.8)
    >>> pi.columns.tolist()
    [('a', 0.8, 'lower'), ('a', 0.8, 'upper'), ('b', 0.8, 'lower'), ('b', 0.8, 'upper')]
    >>> pi.round(2).to_numpy().tolist()  # a's lower bound is floored at 0
    [[0.0, 17.38, 6.72, 9.28]]
    """

    _tags: ClassVar[dict] = {
        "authors": ["sop-platform"],
        "maintainers": ["sop-platform"],
        "python_dependencies": None,
        # panels and hierarchies are handled natively: no per-series vectorization
        "y_inner_mtype": PANDAS_MTYPES,
        "X_inner_mtype": PANDAS_MTYPES,
        "capability:multivariate": True,  # alias of scitype:y = "both"
        "capability:exogenous": False,
        "capability:missing_values": True,
        "capability:unequal_length": True,
        "capability:insample": True,
        "capability:pred_int": True,
        "capability:pred_int:insample": True,
        "capability:update": True,
        "requires-fh-in-fit": False,
        "fit_is_empty": False,
    }
    # the estimator keeps its own history for update, so sktime's deprecated
    # data pool (and the FutureWarning it raises on construction) is not needed
    _config: ClassVar[dict] = {"remember_data": False}

    def __init__(self, sp: int = 12, nonnegative: bool = True):
        self.sp = sp
        self.nonnegative = nonnegative
        super().__init__()
        # sktime's data pool is off by default here (see _config) but stays
        # available to users who switch ``remember_data`` back on
        self._y = None
        self._X = None

    # -- fitting ---------------------------------------------------------- #

    def _fit(self, y, X, fh):
        """Store the history as a (time, series) array and estimate sigma per series."""
        if not isinstance(self.sp, (int, np.integer)) or self.sp < 1:
            raise ValueError(f"sp must be a positive integer, got {self.sp!r}")
        self._history = y
        self._refit()
        return self

    def _update(self, y, X=None, update_params=True):
        """Append new observations; re-estimate sigma only if ``update_params``.

        The last observed values are data, not parameters, so forecasts always
        use the new observations; ``update_params=False`` keeps ``sigma_`` and
        ``method_`` from the last fit when the set of series is unchanged.
        """
        history = pd.concat([self._history, y])
        history = history[~history.index.duplicated(keep="last")].sort_index()
        self._history = history
        values, layout = to_array(history)
        same_series = layout.series_labels.equals(self._layout.series_labels)
        if update_params or not same_series:
            self._refit()
        else:
            self._values, self._layout = values, layout
        return self

    def _refit(self) -> None:
        self._values, self._layout = to_array(self._history)
        self._fit_result = fit_seasonal_naive(self._values, self.sp)
        labels = self._layout.series_labels
        self.method_ = pd.Series(self._fit_result.method, index=labels, name="method")
        self.sigma_ = pd.Series(self._fit_result.sigma, index=labels, name="sigma")
        self.n_obs_ = pd.Series(self._fit_result.n_obs, index=labels, name="n_obs")
        self.pooled_relative_sigma_ = self._fit_result.pooled_relative_sigma

    # -- prediction ------------------------------------------------------- #

    def _point_and_variance(self, fh) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        steps = np.asarray(fh.to_relative(self.cutoff), dtype=int)
        point, variance = predict_seasonal_naive(self._values, self._fit_result, self.sp, steps)
        return point, variance, fh.to_absolute_index(self.cutoff)

    def _predict(self, fh, X):
        """Seasonal naive point forecasts for every series at once."""
        point, _, index = self._point_and_variance(fh)
        return to_frame(point, self._layout, index)

    def _predict_var(self, fh, X=None, cov=False):
        """Marginal forecast variance ``sigma**2 * (floor((h - 1) / sp) + 1)``.

        Covariances across horizons are not provided: the errors at steps
        ``h`` and ``h + sp`` share the same seasonal innovations, so a diagonal
        matrix (what ``NaiveForecaster`` returns) would misstate them.
        """
        if cov:
            raise NotImplementedError(
                "VectorizedSeasonalNaive returns marginal variances only (cov=False)."
            )
        _, variance, index = self._point_and_variance(fh)
        return to_frame(variance, self._layout, index)

    def _predict_quantiles(self, fh, X, alpha):
        """Normal quantiles around the point forecast, floored at 0 if ``nonnegative``."""
        point, variance, index = self._point_and_variance(fh)
        rows = [
            to_rows(normal_quantiles(point, variance, a, self.nonnegative), self._layout)
            for a in alpha
        ]
        # columns ordered (variable, alpha), as sktime's quantile format expects
        values = np.stack(rows, axis=2).reshape(rows[0].shape[0], -1)
        columns = self._get_columns(method="predict_quantiles", alpha=alpha)
        return pd.DataFrame(values, index=row_index(self._layout, index), columns=columns)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Parameter sets for sktime's conformance tests.

        Returns
        -------
        list of dict
            Monthly default, a short period that exercises several seasons on
            short test series, and the unfloored variant.
        """
        return [{}, {"sp": 3}, {"sp": 1, "nonnegative": False}]
