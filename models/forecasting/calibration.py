"""Prediction intervals of a combined forecast, calibrated on held-out months of the panel.

A combination (the mean or median of several models) has no likelihood of its
own, so it has no interval of its own either. Averaging the members' bounds is
not one: on the M1 monthly series the mean of ETS's, Theta's and CES's 80%
bounds covered 70% of the held-out months, because every member is too sure of
itself 18 months out. The interval is derived instead in three steps:

1. **Scale**: each series' own uncertainty at each step ``s`` ahead is the
   members' mean standard error ``sigma[s]`` (from their native intervals),
   which already grows with the step and with the series' noise.
2. **Calibration**: a sample of the panel's series is cut at an earlier origin
   (up to ``horizon`` months held out, leaving enough history to fit), the
   combination is fitted there, and its errors on the held-out months are
   divided by that fit's ``sigma[s]``. Pooled over series, the empirical
   quantiles of these standardized errors at each step say how many
   ``sigma`` the truth really falls from the point, on each side (the errors
   are often skewed: a combination of trend models overshoots more often
   than it undershoots).
3. **Interval**: ``point + q_low[s] * sigma[s]`` to ``point + q_high[s] * sigma[s]``.

Quantiles at a step are pooled with the steps beside it (one on each side) to
steady them; a step with too few held-out points takes the quantiles of the
step before (standardized errors change little once ``sigma`` has grown with
the horizon). A panel with too few held-out points at the first step takes
normal quantiles: the members' own mean interval. This is split conformal
prediction with the members' standard error as the score's scale (Lei et al.
2018; the "scaled residual" variant), chosen over per-series empirical errors
because a monthly series has too few of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import norm

MIN_POINTS = 30
NEIGHBOURS = 1


def holdout_steps(n_obs: np.ndarray, horizon: int, min_train: int) -> np.ndarray:
    """Months each series holds out at its calibration origin (0: it cannot take part).

    >>> holdout_steps(np.array([40, 30, 20]), horizon=12, min_train=24).tolist()
    [12, 6, 0]
    """
    return np.clip(np.asarray(n_obs) - min_train, 0, horizon).astype(int)


def sample_columns(columns: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of ``columns``, evenly spread (deterministic, order kept).

    >>> sample_columns(np.arange(10), 4).tolist()
    [0, 3, 6, 9]
    """
    columns = np.asarray(columns)
    if limit <= 0 or len(columns) <= limit:
        return columns
    return columns[np.unique(np.linspace(0, len(columns) - 1, limit).round().astype(int))]


def truncate(values: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """A copy of the (time, series) array without each series' last ``steps`` observations.

    >>> truncate(np.array([[1.0, np.nan], [2.0, 5.0], [3.0, 6.0]]), np.array([1, 2]))
    array([[ 1., nan],
           [ 2., nan],
           [nan, nan]])
    """
    out = values.copy()
    observed = ~np.isnan(values)
    # rank of each observation counted from the series' end: 1 for the last one
    from_end = np.cumsum(observed[::-1], axis=0)[::-1]
    out[observed & (from_end <= steps[np.newaxis, :])] = np.nan
    return out


def step_quantiles(
    z: np.ndarray, coverages: Sequence[float], horizon: int
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Per coverage, the (low, high) quantiles of standardized errors at steps 1..horizon.

    ``z`` is (series, steps) with NaN where a series held nothing out. See the
    module docstring for the pooling of neighbouring steps and the fallbacks.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 2 or z.shape[1] == 0:
        z = np.full((0, 1), np.nan)
    result = {}
    for coverage in coverages:
        probs = (0.5 - coverage / 2, 0.5 + coverage / 2)
        normal = norm.ppf(probs)
        low, high = np.empty(horizon), np.empty(horizon)
        previous = normal
        for step in range(horizon):
            lo, hi = max(0, step - NEIGHBOURS), min(z.shape[1], step + NEIGHBOURS + 1)
            pool = z[:, lo:hi].ravel() if lo < hi else np.array([])
            pool = pool[np.isfinite(pool)]
            if len(pool) >= MIN_POINTS:
                previous = np.quantile(pool, probs)
            low[step], high[step] = previous
        result[coverage] = (low, high)
    return result


def standardized_errors(
    actual: np.ndarray, point: np.ndarray, sigma: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """(series, horizon) errors ``(actual - point) / sigma``, NaN past each series' ``steps``.

    Arrays are (horizon, series) as the forecasts are; ``actual`` holds the
    held-out months from the first step (NaN beyond a series' own).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (actual - point) / sigma
    held = np.arange(len(point))[:, np.newaxis] < steps[np.newaxis, :]
    z = np.where(held & (sigma > 0), z, np.nan)
    return z.T


def held_out(values: np.ndarray, steps: np.ndarray, horizon: int) -> np.ndarray:
    """(horizon, series) the last ``steps`` observations of each series, NaN-padded.

    >>> held_out(np.array([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]), np.array([2, 1]), 2)
    array([[ 2.,  6.],
           [ 3., nan]])
    """
    out = np.full((horizon, values.shape[1]), np.nan)
    for column in range(values.shape[1]):
        observed = values[~np.isnan(values[:, column]), column]
        k = int(steps[column])
        if k:
            out[: min(k, horizon), column] = observed[len(observed) - k :][:horizon]
    return out
