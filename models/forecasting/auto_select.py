"""The platform's forecaster: a robust combination per series, for thousands of series.

sktime's statsforecast adapters fit one series at a time in a Python loop
(about 14 ms of overhead a series), while statsforecast itself fits a model
over a whole panel in compiled code. So :class:`AutoSelectForecaster` is a
sktime forecaster (``fit``, ``predict``, ``predict_interval``; it passes
sktime's ``check_estimator``) that takes the whole panel as one array and
calls statsforecast once per model.

How a series is forecast
------------------------
1. **Its kind**, from its own history (from its first observation):

   * ``zero``: every value is 0. Forecast 0, interval 0..0.
   * ``short``: fewer than ``min_history`` observations (default two seasons
     plus the backtest span): too little history to estimate a season. Its
     forecast is the mean of the ``short`` models (ETS and Theta without a
     season).
   * ``intermittent``: average demand interval (observations / non-zero
     observations) above ``intermittent_adi`` (1.32, Syntetos & Boylan 2005;
     about a quarter of the months or more are zero). Candidates
     ``intermittent`` (Croston, TSB, ADIDA, historic mean), built for
     series whose zeros are not a level, chosen by backtest (2, 3).
   * ``regular``: the rest. Forecast: the **median of the ``combine``
     models**, by default automatic ETS, dynamic optimized Theta, the
     airline ARIMA and seasonal naive; with four members the median is the
     mean of the middle two, so one member that goes astray on a series
     does not move the forecast. No choice is made between them: on the M1
     and Tourism monthly series, choosing one model per series by backtest
     was less accurate than plain ETS, while this median beat every
     standard method on both sets (docs/forecasting.md has the table).
     ``regular_choice="backtest"`` brings the choice back.

2. **Rolling-origin backtest** (intermittent and short series; regular ones
   with ``regular_choice="backtest"``): ``backtest_windows`` origins one
   month apart, each forecasting ``backtest_horizon`` months. On a series
   with at least ``refit_below`` observations (three seasons), candidates
   that can be rolled forward are fitted at the first origin and rolled
   forward with the same parameters (statsforecast's
   ``cross_validation(refit=False)``); shorter series are refitted at every
   origin, because an automatic model picks its form from the data and the
   first origin's form is not the one the whole history gives.

3. **Choice** (where there is one): the incumbent (the first candidate of
   the kind) unless a challenger's backtest error is lower by the fraction
   ``margin``. Short series are not chosen (``short_choice="combine"``):
   with 4 windows from as few as 7 months the backtest cannot tell the
   candidates apart; their backtest errors are still measured and reported.
   A series with too few observations for one backtest takes ``fallback``
   (historic mean): never an error, never a missing series.

4. **Forecast**: the models are fitted on the whole history (statsforecast
   ``forecast``; a model that fails on a series falls back to naive).
   A single model's interval is its own where it has one (normal, from its
   fitted error variance); Croston, TSB, ADIDA and SES have none, so theirs
   is normal with the series' backtest RMSE, grown with the square root of
   the step. A combination's interval is calibrated on held-out months of up
   to ``calibration_series`` series of the panel
   (:mod:`models.forecasting.calibration`): on M1 and Tourism its 80%
   interval covers 80% and 82% of the held-out months, where the mean of the
   members' bounds covered 70% to 78%. With ``nonnegative`` points and
   bounds are floored at 0.

The final fit runs on the first ``predict`` call and is cached per horizon and
interval levels: statsforecast's ``forecast`` fits and predicts in one pass
without keeping fitted models, which keeps memory flat at 10,000 series.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import norm
from sktime.forecasting.base import BaseForecaster
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    ARIMA,
    TSB,
    AutoCES,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
    DynamicOptimizedTheta,
    HistoricAverage,
    Naive,
    SeasonalNaive,
    SimpleExponentialSmoothingOptimized,
)
from tqdm import tqdm

from models.forecasting.calibration import (
    held_out,
    holdout_steps,
    sample_columns,
    standardized_errors,
    step_quantiles,
    truncate,
)
from models.forecasting.panel_layout import PANDAS_MTYPES, to_array, to_frame

ZERO = "zero"
SHORT = "short"
INTERMITTENT = "intermittent"
REGULAR = "regular"
COMBINATION = "combination"
# The members a regular series' forecast combines (see the module docstring, 3).
DEFAULT_COMBINATION = ("ets", "dotm", "arima", "seasonal_naive")


@dataclass(frozen=True)
class Candidate:
    """A statsforecast model the backtest can choose, named as it appears in tables."""

    make: Callable[[int, str], Any]  # (season length, alias) -> statsforecast model
    native_intervals: bool
    rolls_forward: bool  # has statsforecast's ``forward``: backtest without refits


def _arima(sp: int, alias: str) -> ARIMA:
    """The airline model ARIMA(0,1,1)(0,1,1)_sp; ARIMA(0,1,1) when there is no season.

    A fixed order, not AutoARIMA: AutoARIMA's order search costs about 360 ms
    per series and fit here (12x ETS), too slow for thousands of series a
    month, and the airline model is the classic monthly ARIMA. Its slot in
    the candidate list can be changed by passing another name to ``regular``.
    """
    if sp > 1:
        return ARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=sp, alias=alias)
    return ARIMA(order=(0, 1, 1), alias=alias)


CANDIDATES: dict[str, Candidate] = {
    "seasonal_naive": Candidate(lambda sp, a: SeasonalNaive(season_length=sp, alias=a), True, True),
    "ets": Candidate(lambda sp, a: AutoETS(season_length=sp, alias=a), True, True),
    "theta": Candidate(lambda sp, a: AutoTheta(season_length=sp, alias=a), True, True),
    # dynamic optimized Theta (Fiorucci et al. 2016): about a tenth of AutoETS's cost
    "dotm": Candidate(lambda sp, a: DynamicOptimizedTheta(season_length=sp, alias=a), True, True),
    "ces": Candidate(lambda sp, a: AutoCES(season_length=sp, alias=a), True, True),
    "arima": Candidate(_arima, True, True),
    "naive": Candidate(lambda sp, a: Naive(alias=a), True, True),
    # without a season: level, trend and damped trend for series too short for one
    "ets_nonseasonal": Candidate(lambda sp, a: AutoETS(season_length=1, alias=a), True, True),
    "theta_nonseasonal": Candidate(lambda sp, a: AutoTheta(season_length=1, alias=a), True, True),
    "ses": Candidate(lambda sp, a: SimpleExponentialSmoothingOptimized(alias=a), False, False),
    "mean": Candidate(lambda sp, a: HistoricAverage(alias=a), True, False),
    "croston": Candidate(lambda sp, a: CrostonOptimized(alias=a), False, False),
    "tsb": Candidate(lambda sp, a: TSB(alpha_d=0.2, alpha_p=0.2, alias=a), False, False),
    "adida": Candidate(lambda sp, a: ADIDA(alias=a), False, False),
}


class PanelStatsForecast(StatsForecast):
    """statsforecast whose cross-validation workers come from a fresh forkserver, not a fork.

    statsforecast's ``n_jobs`` forks the calling process. Inside Dagster that
    process has threads (DuckDB, the event log), and a fork copies their locks
    in whatever state they are: a worker then waits forever on a lock no
    thread will release (seen at demo scale 10 in cross-validation, the run
    hung). Workers forked from a forkserver start from a single-threaded
    process; it preloads statsforecast, so a pool costs no import.

    ``forecast`` does not use ``_get_pool``: statsforecast 2.1 runs it in a
    ``ProcessPoolExecutor`` of its own, forked. Moving it to this pool was
    measured slower (demo scale 1: 66-80 s instead of 54-70 s), and no hang
    has been seen there, so it stays; docs/forecasting.md "Speed".
    """

    def _get_pool(self):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["statsforecast.core", "statsforecast.models"])
        return partial(_ClosingPool, context=context), {"initializer": _quiet_worker}


class _ClosingPool(multiprocessing.pool.Pool):
    """A pool whose ``with`` block ends by letting the workers finish and exit.

    ``multiprocessing.Pool.__exit__`` terminates (kills) its workers, so their
    exit handlers never run: every named semaphore a worker had created stayed
    registered with the resource tracker, which printed "leaked semaphore
    objects" (and "No such file or directory" for each) after the run's
    summary. Closing and joining lets each worker exit normally; an error in
    the block still terminates at once.
    """

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.terminate()
        self.join()


def _quiet_worker() -> None:
    """Silence statsforecast's numerics, here and in workers (they do not inherit filters),
    and give tqdm a thread lock in workers.

    ETS on a series barely longer than its parameters divides by zero when it
    estimates its variance; the candidate then loses the backtest or falls
    back, which is handled, but each worker printed the warning to the run's
    terminal. statsforecast wraps its per-series loop in tqdm (disabled), and
    tqdm's default lock is a multiprocessing lock: a named semaphore per
    worker. A worker is one thread, so a thread lock is all tqdm needs.
    """
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="statsforecast")
    tqdm.set_lock(threading.RLock())


# --------------------------------------------------------------------------- #
# the choice: kinds, backtest, scores
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Choice:
    """Per series (columns of the panel array): kind, chosen model and backtest errors."""

    kind: np.ndarray  # str: zero, short, intermittent, regular
    n_obs: np.ndarray  # observations per series
    model: np.ndarray  # str: a candidate name, "combination" or "zero"
    members: np.ndarray  # tuple of candidate names averaged by a combination, else ()
    backtest_mae: np.ndarray  # NaN where there was no backtest
    backtest_rmse: np.ndarray
    scores: pd.DataFrame  # series x candidate: backtest MAE (NaN: not a candidate)


def classify(
    values: np.ndarray, min_history: int, intermittent_adi: float
) -> tuple[np.ndarray, np.ndarray]:
    """Kind and number of observations of each column of a (time, series) array."""
    observed = ~np.isnan(values)
    n_obs = observed.sum(axis=0)
    nonzero = (np.nan_to_num(values) != 0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(nonzero > 0, n_obs / np.maximum(nonzero, 1), np.inf)
    kind = np.full(values.shape[1], REGULAR, dtype=object)
    kind[adi > intermittent_adi] = INTERMITTENT
    kind[n_obs < min_history] = SHORT
    kind[nonzero == 0] = ZERO
    return kind, n_obs


def long_frame(values: np.ndarray, columns: np.ndarray) -> pd.DataFrame:
    """statsforecast's long input (unique_id, ds, y) for some columns of the array.

    ``unique_id`` is the column number and ``ds`` the row number (``freq=1``),
    so no dates are parsed and the output maps straight back onto the array.
    """
    block = values[:, columns]
    row, col = np.nonzero(~np.isnan(block).T)  # series-major, time ascending
    return pd.DataFrame(
        {
            "unique_id": columns[row],
            "ds": col.astype(np.int64),
            "y": block[col, row],
        }
    )


def _backtest_predictions(
    frame: pd.DataFrame,
    names: Sequence[str],
    sp: int,
    horizon: int,
    windows: int,
    n_jobs: int,
    refit_below: int = 0,
) -> pd.DataFrame:
    """Backtest predictions (unique_id, ds, cutoff, y, one column per candidate).

    Series with fewer than ``refit_below`` observations are refitted at every
    origin; the others roll forward the candidates that can (module docstring, 2).
    """
    observations = frame.groupby("unique_id")["y"].transform("size")
    refitted = (observations < refit_below).to_numpy()
    parts = [
        _cross_validate(frame[rows], names, sp, horizon, windows, n_jobs, refit_all=refit_all)
        for rows, refit_all in ((refitted, True), (~refitted, False))
        if rows.any()
    ]
    return pd.concat(parts, ignore_index=True)


def refit_groups(names: Sequence[str], *, refit_all: bool) -> list[tuple[list[str], bool]]:
    """Candidates per cross-validation call, with the call's ``refit`` flag.

    Refitting all: one call. Otherwise the candidates that roll forward in one
    call (``refit=False``) and the others in another; no empty group.
    """
    if refit_all:
        return [(list(names), True)] if names else []
    groups = [
        ([n for n in names if CANDIDATES[n].rolls_forward == rolls], not rolls)
        for rolls in (True, False)
    ]
    return [(group, refit) for group, refit in groups if group]


def _cross_validate(
    frame: pd.DataFrame,
    names: Sequence[str],
    sp: int,
    horizon: int,
    windows: int,
    n_jobs: int,
    *,
    refit_all: bool,
) -> pd.DataFrame:
    """statsforecast's cross-validation of the candidates, one call per refit policy."""
    parts = []
    for group, refit in refit_groups(names, refit_all=refit_all):
        models = [CANDIDATES[n].make(sp, n) for n in group]
        forecaster = PanelStatsForecast(
            models=models, freq=1, n_jobs=n_jobs, fallback_model=_fallback()
        )
        with warnings.catch_warnings():
            _quiet_worker()
            cv = forecaster.cross_validation(
                h=horizon, df=frame, n_windows=windows, step_size=1, refit=refit
            )
        parts.append(cv.set_index(["unique_id", "ds", "cutoff"]))
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part.drop(columns="y"))
    return joined.reset_index()


def _fallback() -> Naive:
    return Naive()


def choose_models(
    values: np.ndarray,
    *,
    sp: int,
    backtest_horizon: int,
    backtest_windows: int,
    min_history: int,
    min_train: int,
    intermittent_adi: float,
    candidates: dict[str, Sequence[str]],
    combine: Sequence[str],
    fallback: str,
    margin: float = 0.0,
    combine_best: int = 0,
    combine_short: bool = False,
    combine_regular: bool = False,
    refit_below: int = 0,
    n_jobs: int = 1,
) -> Choice:
    """Kind, backtest and chosen model of every column of a (time, series) array.

    ``candidates`` maps each kind (short, intermittent, regular) to its
    candidate names, the incumbent first; a challenger replaces it only when
    its backtest error is lower by the fraction ``margin``. ``combine`` names
    the regular candidates that may be averaged into ``combination`` (empty:
    no combination): all of them, or per series the ``combine_best`` with the
    lowest backtest error. With ``combine_short`` a short series takes the
    mean of all its candidates (``combination``), backtested but not chosen.
    With ``combine_regular`` a regular series takes the combination of
    ``combine`` and is not backtested at all. Series with fewer than
    ``refit_below`` observations are backtested with a refit at every origin.
    """
    n_series = values.shape[1]
    kind, n_obs = classify(values, min_history, intermittent_adi)
    model = np.full(n_series, ZERO, dtype=object)
    members = np.empty(n_series, dtype=object)
    members[:] = [()] * n_series
    mae = np.full(n_series, np.nan)
    rmse = np.full(n_series, np.nan)
    score_frames = []
    span = backtest_horizon + backtest_windows - 1
    can_backtest = n_obs >= span + min_train
    model[(kind != ZERO) & ~can_backtest] = fallback
    if combine_regular and combine:
        regular = kind == REGULAR
        model[regular] = COMBINATION
        for column in np.flatnonzero(regular):
            members[column] = tuple(combine)

    for series_kind in (SHORT, INTERMITTENT, *(() if combine_regular else (REGULAR,))):
        columns = np.flatnonzero((kind == series_kind) & can_backtest)
        names = list(candidates[series_kind])
        if len(columns) == 0 or not names:
            model[kind == series_kind] = fallback
            continue
        cv = _backtest_predictions(
            long_frame(values, columns),
            names,
            sp,
            backtest_horizon,
            backtest_windows,
            n_jobs,
            refit_below,
        )
        combined_only = series_kind == SHORT and combine_short and len(names) > 1
        if series_kind == REGULAR:
            pool = [m for m in combine if m in names]
        else:
            pool = list(names) if combined_only else []
        chosen_members = _combination_members(
            cv, pool, columns, 0 if combined_only else combine_best
        )
        if pool:
            cv[COMBINATION] = _combination_backtest(cv, pool, columns, chosen_members)
            names.append(COMBINATION)
        errors = cv[names].sub(cv["y"], axis=0)
        scores = errors.abs().groupby(cv["unique_id"]).mean().reindex(columns)
        squared = (errors**2).groupby(cv["unique_id"]).mean().reindex(columns)
        # the first candidate is the incumbent: a challenger must beat it by `margin`
        handicap = np.r_[1.0, np.full(len(names) - 1, 1.0 / (1.0 - margin))]
        best = np.argmin(scores.fillna(np.inf).to_numpy() * handicap, axis=1)
        if combined_only:
            best[:] = names.index(COMBINATION)
        model[columns] = np.asarray(names, dtype=object)[best]
        is_combination = model[columns] == COMBINATION
        members[columns[is_combination]] = [
            chosen_members[i] for i in np.flatnonzero(is_combination)
        ]
        mae[columns] = scores.to_numpy()[np.arange(len(columns)), best]
        rmse[columns] = np.sqrt(squared.to_numpy()[np.arange(len(columns)), best])
        score_frames.append(scores)

    scores = pd.concat(score_frames) if score_frames else pd.DataFrame()
    scores = scores.reindex(np.arange(n_series))
    return Choice(
        kind=kind,
        n_obs=n_obs,
        model=model,
        members=members,
        backtest_mae=mae,
        backtest_rmse=rmse,
        scores=scores,
    )


def _combination_members(
    cv: pd.DataFrame, pool: list[str], columns: np.ndarray, best: int
) -> list[tuple[str, ...]]:
    """Per series (in ``columns`` order) the pool members its combination averages."""
    if not pool:
        return [()] * len(columns)
    if best < 1 or best >= len(pool):
        return [tuple(pool)] * len(columns)
    errors = cv[pool].sub(cv["y"], axis=0).abs().groupby(cv["unique_id"]).mean()
    ranks = np.argsort(errors.reindex(columns).fillna(np.inf).to_numpy(), axis=1, kind="stable")
    pool_array = np.asarray(pool, dtype=object)
    return [tuple(sorted(pool_array[r[:best]], key=pool.index)) for r in ranks]


def _combination_backtest(
    cv: pd.DataFrame, pool: list[str], columns: np.ndarray, chosen: list[tuple[str, ...]]
) -> pd.Series:
    """Backtest predictions of each series' combination: the mean of its members."""
    mask = np.array([[m in members for m in pool] for members in chosen], dtype=float)
    row_mask = mask[pd.Index(columns).get_indexer(cv["unique_id"])]
    return (cv[pool].to_numpy() * row_mask).sum(axis=1) / row_mask.sum(axis=1)


# --------------------------------------------------------------------------- #
# the final forecast of the chosen models
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class HeldOut:
    """A calibration sample's held-out months: a backtest of the combination, by step.

    The calibration (module docstring, 4) already fits the members at an
    earlier origin of each sampled series and scores their combination on the
    months held out, so these are the forecast errors of the published method
    at steps 1..``steps`` from that origin, at no extra cost.
    """

    columns: np.ndarray  # panel columns of the sampled series
    steps: np.ndarray  # months each series held out: its origin is that many before its end
    point: np.ndarray  # (horizon, series) combination forecast from the origin
    actual: np.ndarray  # (horizon, series) held-out actuals, NaN past each series' steps


@dataclass
class Forecast:
    """Point and bounds of every series, arrays of shape (steps, series)."""

    point: np.ndarray
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]  # coverage -> (lower, upper)
    held_out: list[HeldOut] = field(default_factory=list)


@dataclass
class FitMemo:
    """What one fitted panel has already computed, for the next forecast of it to reuse.

    sktime asks for points (``predict``) and intervals (``predict_interval``)
    in separate calls; without this each call fitted every model again.
    """

    # (model, horizon) -> (levels the frame holds, statsforecast's forecast frame)
    fits: dict[tuple[str, int], tuple[set, pd.DataFrame]] = field(default_factory=dict)
    # (kind, members, horizon) -> (standardized errors, held-out sample)
    calibrations: dict[tuple, tuple[np.ndarray, HeldOut | None]] = field(default_factory=dict)


def _level(coverage: float) -> float | int:
    """statsforecast's level (percent) for a coverage; an int where exact, for column names."""
    level = round(coverage * 100, 10)
    return int(level) if float(level).is_integer() else level


def forecast_chosen(
    values: np.ndarray,
    choice: Choice,
    horizon: int,
    coverages: Sequence[float],
    *,
    sp: int,
    backtest_horizon: int,
    nonnegative: bool,
    combine_with: str = "mean",
    calibration_series: int = 0,
    min_train: int = 1,
    n_jobs: int = 1,
    memo: FitMemo | None = None,
) -> Forecast:
    """Forecasts ``horizon`` steps past each series' last observation, with intervals.

    A single model's interval is its own (native, or normal with the backtest
    RMSE); a combination's is calibrated on held-out months of up to
    ``calibration_series`` series of its kind (:mod:`models.forecasting.calibration`),
    only when an interval is asked for (points alone need no calibration).
    Fits and calibrations already in ``memo`` are reused, new ones added.
    """
    n_series = values.shape[1]
    point = np.zeros((horizon, n_series))
    lower = {c: np.zeros((horizon, n_series)) for c in coverages}
    upper = {c: np.zeros((horizon, n_series)) for c in coverages}
    levels = sorted({_level(c) for c in coverages if c > 0})
    intervals = bool(levels)

    memo = memo if memo is not None else FitMemo()
    needed: dict[str, set[int]] = {}
    for column, name in enumerate(choice.model):
        if name == ZERO:
            continue
        for member in choice.members[column] if name == COMBINATION else [name]:
            needed.setdefault(member, set()).add(column)
    fit_levels = sorted({*levels, SIGMA_LEVEL})
    predictions = {
        name: memo.fits[(name, horizon)][1]
        for name in needed
        if (name, horizon) in memo.fits and set(fit_levels) <= memo.fits[(name, horizon)][0]
    }
    calls = _fit_calls({n: c for n, c in needed.items() if n not in predictions})
    # On a terminal, a bar over the fits (each one statsforecast call on all the
    # series that need those models); tqdm switches itself off elsewhere.
    with tqdm(total=len(calls), desc="forecast", unit="fit", disable=None, leave=False) as bar:
        for names, columns in calls:
            bar.set_postfix_str(f"{', '.join(names)} on {len(columns):,} series")
            frame = _fit_forecast(values, columns, names, horizon, fit_levels, sp, n_jobs)
            for name in names:
                predictions[name] = frame
                memo.fits[(name, horizon)] = (set(fit_levels), frame)
            bar.update()

    held: list[HeldOut] = []
    step_z = np.sqrt(np.arange(1, horizon + 1) / ((backtest_horizon + 1) / 2))[:, np.newaxis]
    for (kind, name, combined), column_set in _chosen_columns(choice).items():
        columns = np.array(sorted(column_set))
        if name == COMBINATION:
            point[:, columns], sigma = _combine(
                {m: predictions[m] for m in combined}, columns, horizon, combine_with
            )
            if not intervals:
                continue  # points only: no calibration needed
            key = (kind, combined, horizon)
            if key not in memo.calibrations:
                memo.calibrations[key] = _calibration_errors(
                    values,
                    columns,
                    combined,
                    choice.n_obs,
                    horizon,
                    sp=sp,
                    min_train=2 * sp if kind == REGULAR else min_train,
                    combine_with=combine_with,
                    limit=calibration_series,
                    n_jobs=n_jobs,
                )
            z, sample = memo.calibrations[key]
            quantiles = step_quantiles(z, coverages, horizon)
            if sample is not None:
                held.append(sample)
            for coverage in coverages:
                q_low, q_high = quantiles[coverage]
                lower[coverage][:, columns] = point[:, columns] + q_low[:, np.newaxis] * sigma
                upper[coverage][:, columns] = point[:, columns] + q_high[:, np.newaxis] * sigma
            continue
        point[:, columns] = _block(predictions[name], name, columns, horizon)
        for coverage in coverages:
            if coverage == 0:
                continue
            level = _level(coverage)
            if CANDIDATES[name].native_intervals:
                lo = _block(predictions[name], f"{name}-lo-{level}", columns, horizon)
                hi = _block(predictions[name], f"{name}-hi-{level}", columns, horizon)
            else:
                sigma = _empirical_sigma(values, columns, choice.backtest_rmse[columns])
                half = norm.ppf(0.5 + coverage / 2) * sigma[np.newaxis, :] * step_z
                lo, hi = point[:, columns] - half, point[:, columns] + half
            lower[coverage][:, columns] = lo
            upper[coverage][:, columns] = hi

    for coverage in coverages:
        # a skewed calibration can put a bound past the point: the point stays inside
        np.minimum(lower[coverage], point, out=lower[coverage])
        np.maximum(upper[coverage], point, out=upper[coverage])
    if nonnegative:
        np.maximum(point, 0.0, out=point)
        for coverage in coverages:
            np.maximum(lower[coverage], 0.0, out=lower[coverage])
            np.maximum(upper[coverage], point, out=upper[coverage])
    return Forecast(point=point, bounds={c: (lower[c], upper[c]) for c in coverages}, held_out=held)


SIGMA_LEVEL = 80  # the native interval a combination member's standard error is read from


def _fit_calls(needed: dict[str, set[int]]) -> list[tuple[list[str], np.ndarray]]:
    """The statsforecast calls that fit ``needed`` (model -> columns): one per column set.

    Models fitted on the same series go in one call, as a statsforecast user
    would write it: each worker then fits all of them on a series it holds,
    and the panel is sent to the workers once. Models without native
    intervals go in calls of their own (statsforecast refuses ``level`` for them).
    """
    groups: dict[tuple, list[str]] = {}
    for name, columns in needed.items():
        key = (CANDIDATES[name].native_intervals, tuple(sorted(columns)))
        groups.setdefault(key, []).append(name)
    return [(names, np.array(key[1], dtype=int)) for key, names in groups.items()]


def _fit_forecast(
    values: np.ndarray,
    columns: np.ndarray,
    names: Sequence[str],
    horizon: int,
    levels: list,
    sp: int,
    n_jobs: int,
) -> pd.DataFrame:
    """statsforecast's forecast of some candidates on some columns, indexed by column.

    One column per candidate (its name), plus ``<name>-lo-<level>`` and
    ``<name>-hi-<level>`` for those with native intervals.
    """
    models = [CANDIDATES[name].make(sp, name) for name in names]
    forecaster = PanelStatsForecast(
        models=models, freq=1, n_jobs=n_jobs, fallback_model=_fallback()
    )
    native = all(CANDIDATES[name].native_intervals for name in names)
    level = levels if native and levels else None
    with warnings.catch_warnings():
        _quiet_worker()
        result = forecaster.forecast(h=horizon, df=long_frame(values, columns), level=level)
    return result.set_index("unique_id")


def _combine(
    predictions: dict[str, pd.DataFrame], columns: np.ndarray, horizon: int, how: str
) -> tuple[np.ndarray, np.ndarray]:
    """The members' combined point (mean or median) and their mean standard error.

    The standard error of each member is read off its native 80% interval
    (normal: half-width / z); it scales the calibrated interval.
    """
    points = np.array([_block(p, m, columns, horizon) for m, p in predictions.items()])
    z = norm.ppf(0.5 + SIGMA_LEVEL / 200)
    sigma = np.mean(
        [
            (
                _block(p, f"{m}-hi-{SIGMA_LEVEL}", columns, horizon)
                - _block(p, f"{m}-lo-{SIGMA_LEVEL}", columns, horizon)
            )
            / (2 * z)
            for m, p in predictions.items()
        ],
        axis=0,
    )
    combined = np.median(points, axis=0) if how == "median" else np.mean(points, axis=0)
    return combined, sigma


def _calibration_errors(
    values: np.ndarray,
    columns: np.ndarray,
    members: Sequence[str],
    n_obs: np.ndarray,
    horizon: int,
    *,
    sp: int,
    min_train: int,
    combine_with: str,
    limit: int,
    n_jobs: int,
) -> tuple[np.ndarray, HeldOut | None]:
    """The combination's standardized errors on held-out months, (series, horizon).

    Up to ``limit`` of ``columns`` are cut at an origin that holds out up to
    ``horizon`` months and leaves ``min_train``; the members are fitted
    there and their combination is scored on what was held out. The held-out
    forecasts and actuals come back too (None when no series could hold out).
    :func:`models.forecasting.calibration.step_quantiles` turns the errors
    into the interval's quantiles for any coverage.
    """
    sample = sample_columns(columns, limit)
    steps = holdout_steps(n_obs[sample], horizon, min_train)
    sample, steps = sample[steps > 0], steps[steps > 0]
    if len(sample) == 0:
        return np.empty((0, 0)), None
    block = values[:, sample]
    cut = truncate(block, steps)
    local = np.arange(len(sample))
    with tqdm(total=1, desc="calibrate", unit="fit", disable=None, leave=False) as bar:
        bar.set_postfix_str(f"{', '.join(members)} on {len(sample):,} series")
        fitted = _fit_forecast(cut, local, list(members), horizon, [SIGMA_LEVEL], sp, n_jobs)
        bar.update()
    point, sigma = _combine({m: fitted for m in members}, local, horizon, combine_with)
    actual = held_out(block, steps, horizon)
    z = standardized_errors(actual, point, sigma, steps)
    return z, HeldOut(sample, steps, point, actual)


def _chosen_columns(choice: Choice) -> dict[tuple, set[int]]:
    """Columns per (kind, model, combination members): the groups forecast alike."""
    chosen: dict[tuple, set[int]] = {}
    for column, (kind, name, members) in enumerate(
        zip(choice.kind, choice.model, choice.members, strict=True)
    ):
        if name != ZERO:
            chosen.setdefault((kind, name, members), set()).add(column)
    return chosen


def _block(prediction: pd.DataFrame, column: str, series: np.ndarray, horizon: int) -> np.ndarray:
    """(steps, len(series)) values of one output column, in the order of ``series``."""
    values = prediction.loc[series, column].to_numpy(dtype=float)
    return values.reshape(len(series), horizon).T


def _empirical_sigma(values: np.ndarray, columns: np.ndarray, rmse: np.ndarray) -> np.ndarray:
    """Backtest RMSE per series; the history's standard deviation where there was none."""
    history_sd = np.nanstd(values[:, columns], axis=0)
    return np.where(np.isnan(rmse), np.nan_to_num(history_sd), rmse)


# --------------------------------------------------------------------------- #
# sktime estimator
# --------------------------------------------------------------------------- #


class AutoSelectForecaster(BaseForecaster):
    """Forecasts a panel at once: a combination per regular series, a model per other kind.

    See the module docstring for the kinds of series, the candidates, the
    backtest, the choice and the intervals. A wide ``DataFrame`` (one column
    per series) or a panel / hierarchical ``MultiIndex`` frame is handled
    natively, without sktime's per-series loop. Series may start and end at
    different times (a series that ended before the cutoff is forecast from
    its own last observation) but must not have gaps: months without demand
    are 0, not missing.

    Parameters
    ----------
    sp : int, default=12
        Seasonal period (12 for monthly data).
    backtest_horizon : int, default=3
        Months forecast from each backtest origin (lags 1 to 3 are the ones
        S&OP decisions rest on).
    backtest_windows : int, default=4
        Number of backtest origins, one month apart.
    min_history : int or None, default=None
        Observations a series needs to be ``regular`` or ``intermittent``;
        None means ``2 * sp + backtest_horizon + backtest_windows - 1``: two
        full seasons at the first backtest origin.
    min_train : int, default=7
        Observations at the first backtest origin below which a series is not
        backtested and takes the ``fallback``: 7 is the least statsforecast's
        ETS fits (it refuses ``n <= parameters + 4``), so a backtest score is
        never a silent fallback's.
    intermittent_adi : float, default=1.32
        Average demand interval above which a series is intermittent.
    regular, intermittent, short : tuple of str
        Candidate names (keys of ``CANDIDATES``) per kind, the incumbent
        first (``regular`` is used with ``regular_choice="backtest"`` only).
    combine : tuple of str, default=("ets", "dotm", "arima", "seasonal_naive")
        Models a regular series' forecast combines; with
        ``regular_choice="backtest"``, the regular candidates averaged into
        the ``combination`` candidate (empty for none).
    regular_choice : {"combine", "backtest"}, default="combine"
        How a regular series is forecast: the combination of ``combine``
        without a backtest, or the candidate its backtest chooses.
    combine_with : {"median", "mean"}, default="median"
        How the members of a combination are combined (the median of the
        two members of a short series is their mean).
    calibration_series : int, default=250
        Most series per kind whose held-out months calibrate a combination's
        intervals (evenly spread over the panel; 0 for all of them). 250
        series give at least 750 standardized errors per step once pooled
        with the steps beside it; on M1 and Tourism the 80% and 95% intervals
        cover the same share of held-out months with 250 as with 500 (within
        0.7 points), at half the calibration's cost.
    short_choice : {"combine", "backtest"}, default="combine"
        How a short series is forecast: the mean of the ``short`` candidates,
        or the candidate its backtest chooses (as the other kinds).
    refit_below : int or None, default=None
        Series with fewer observations are refitted at every backtest origin
        instead of rolling the first origin's fit forward; None means three
        seasons (``3 * sp``).
    margin : float, default=0.1
        Fraction by which a challenger's backtest error must be lower than
        the incumbent's to replace it.
    combine_best : int, default=0
        Average only the ``combine_best`` members with the lowest backtest
        error per series; 0 averages all of ``combine``.
    fallback : str, default="mean"
        Model of series too short to backtest.
    nonnegative : bool, default=True
        Floor points and bounds at 0 (quantities).
    n_jobs : int, default=1
        Processes statsforecast uses.

    Attributes
    ----------
    model_ : pd.Series
        Chosen model per series ("combination" for the mean of ``combine``
        on a regular series or of ``short`` on a short one, "zero" for
        all-zero series).
    kind_ : pd.Series
        zero, short, intermittent or regular, per series.
    members_ : pd.Series
        The candidates a combination averages (a tuple; empty for others).
    backtest_mae_ : pd.Series
        Backtest mean absolute error of the chosen model (NaN: no backtest).
    backtest_rmse_ : pd.Series
        Backtest root mean squared error of the chosen model.
    scores_ : pd.DataFrame
        Backtest mean absolute error of every candidate, per series.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from models.forecasting.auto_select import AutoSelectForecaster
    >>> months = pd.period_range("2022-01", periods=36, freq="M")
    >>> season = np.tile([10.0, 12, 15, 20, 24, 30, 32, 30, 24, 18, 14, 12], 3)
    >>> y = pd.DataFrame({"seasonal": season, "new": [np.nan] * 32 + [4.0, 5, 6, 5]},
    ...                  index=months)
    >>> forecaster = AutoSelectForecaster().fit(y)
    >>> forecaster.kind_.to_dict()
    {'seasonal': 'regular', 'new': 'short'}
    >>> forecaster.model_.to_dict()
    {'seasonal': 'combination', 'new': 'mean'}
    >>> forecaster.predict(fh=[1, 2]).round(1)
             seasonal  new
    2025-01      10.0  5.0
    2025-02      12.0  5.0
    """

    _tags: ClassVar[dict] = {
        "authors": ["sop-platform"],
        "maintainers": ["sop-platform"],
        "python_dependencies": "statsforecast",
        "y_inner_mtype": PANDAS_MTYPES,
        "X_inner_mtype": PANDAS_MTYPES,
        "capability:multivariate": True,
        "capability:exogenous": False,
        "capability:missing_values": True,  # leading NaN: series that start late
        "capability:insample": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "requires-fh-in-fit": False,
        "fit_is_empty": False,
    }
    _config: ClassVar[dict] = {"remember_data": False}

    def __init__(
        self,
        sp: int = 12,
        backtest_horizon: int = 3,
        backtest_windows: int = 4,
        min_history: int | None = None,
        min_train: int = 7,
        intermittent_adi: float = 1.32,
        regular: tuple[str, ...] = ("ets", "seasonal_naive", "theta", "arima"),
        intermittent: tuple[str, ...] = ("croston", "tsb", "adida", "mean"),
        short: tuple[str, ...] = ("ets_nonseasonal", "theta_nonseasonal"),
        combine: tuple[str, ...] = DEFAULT_COMBINATION,
        regular_choice: str = "combine",
        combine_with: str = "median",
        calibration_series: int = 250,
        short_choice: str = "combine",
        refit_below: int | None = None,
        fallback: str = "mean",
        margin: float = 0.1,
        combine_best: int = 0,
        nonnegative: bool = True,
        n_jobs: int = 1,
    ):
        self.sp = sp
        self.backtest_horizon = backtest_horizon
        self.backtest_windows = backtest_windows
        self.min_history = min_history
        self.min_train = min_train
        self.intermittent_adi = intermittent_adi
        self.regular = regular
        self.intermittent = intermittent
        self.short = short
        self.combine = combine
        self.regular_choice = regular_choice
        self.combine_with = combine_with
        self.calibration_series = calibration_series
        self.short_choice = short_choice
        self.refit_below = refit_below
        self.fallback = fallback
        self.margin = margin
        self.combine_best = combine_best
        self.nonnegative = nonnegative
        self.n_jobs = n_jobs
        super().__init__()
        self._y = None
        self._X = None

    def _validate_parameters(self) -> None:
        if not isinstance(self.sp, (int, np.integer)) or self.sp < 1:
            raise ValueError(f"sp must be a positive integer, got {self.sp!r}")
        if self.backtest_horizon < 1 or self.backtest_windows < 1:
            raise ValueError("backtest_horizon and backtest_windows must be at least 1")
        names = [*self.regular, *self.intermittent, *self.short, *self.combine, self.fallback]
        unknown = sorted(set(names) - set(CANDIDATES))
        if unknown:
            raise ValueError(f"unknown candidate models {unknown}; known: {sorted(CANDIDATES)}")
        if self.regular_choice == "backtest" and not set(self.combine) <= set(self.regular):
            raise ValueError("combine must name regular candidates when they are backtested")
        for option in ("short_choice", "regular_choice"):
            if getattr(self, option) not in ("combine", "backtest"):
                raise ValueError(
                    f"{option} must be 'combine' or 'backtest', got {getattr(self, option)!r}"
                )
        if self.combine_with not in ("mean", "median"):
            raise ValueError(f"combine_with must be 'mean' or 'median', got {self.combine_with!r}")
        if self.regular_choice == "combine" and not self.combine:
            raise ValueError("regular_choice='combine' needs members in combine")

    @property
    def _min_history(self) -> int:
        if self.min_history is not None:
            return self.min_history
        return 2 * self.sp + self.backtest_horizon + self.backtest_windows - 1

    @property
    def _refit_below(self) -> int:
        return 3 * self.sp if self.refit_below is None else self.refit_below

    def _fit(self, y, X, fh):
        """Classify every series, backtest its candidates and choose its model."""
        self._validate_parameters()
        values, layout = to_array(y)
        _check_no_gaps(values)
        self._values, self._layout = values, layout
        # rows between each series' last observation and the cutoff (0 unless it ended early)
        observed = ~np.isnan(values)
        last = len(values) - 1 - np.argmax(observed[::-1], axis=0)
        self._behind = np.where(observed.any(axis=0), len(values) - 1 - last, 0)
        choice = choose_models(
            values,
            sp=self.sp,
            backtest_horizon=self.backtest_horizon,
            backtest_windows=self.backtest_windows,
            min_history=self._min_history,
            min_train=self.min_train,
            intermittent_adi=self.intermittent_adi,
            candidates={
                SHORT: self.short,
                INTERMITTENT: self.intermittent,
                REGULAR: self.regular,
            },
            combine=self.combine,
            fallback=self.fallback,
            margin=self.margin,
            combine_best=self.combine_best,
            combine_short=self.short_choice == "combine",
            combine_regular=self.regular_choice == "combine",
            refit_below=self._refit_below,
            n_jobs=self.n_jobs,
        )
        self._choice = choice
        self._cache: dict[tuple, Forecast] = {}
        self._memo = FitMemo()
        labels = layout.series_labels
        self.model_ = pd.Series(choice.model, index=labels, name="model")
        self.kind_ = pd.Series(choice.kind, index=labels, name="kind")
        self.members_ = pd.Series(choice.members, index=labels, name="members")
        self.backtest_mae_ = pd.Series(choice.backtest_mae, index=labels, name="backtest_mae")
        self.backtest_rmse_ = pd.Series(choice.backtest_rmse, index=labels, name="backtest_rmse")
        self.scores_ = choice.scores.set_axis(labels)
        return self

    def _forecast(self, horizon: int, coverages: Sequence[float]) -> Forecast:
        """The final forecast, cached; another horizon or more levels reuse the fits they can."""
        key = (horizon, tuple(sorted(set(coverages))))
        for (cached_horizon, cached_cov), result in self._cache.items():
            if cached_horizon >= horizon and set(key[1]) <= set(cached_cov):
                return result
        result = forecast_chosen(
            self._values,
            self._choice,
            horizon,
            key[1],
            sp=self.sp,
            backtest_horizon=self.backtest_horizon,
            nonnegative=self.nonnegative,
            combine_with=self.combine_with,
            calibration_series=self.calibration_series,
            min_train=self.min_train,
            n_jobs=self.n_jobs,
            memo=self._memo,
        )
        self._cache[key] = result
        return result

    def held_out_backtest(self) -> pd.DataFrame:
        """Forecasts and actuals of the held-out months that calibrated the intervals.

        The calibration of a combination's interval (module docstring, 4) cuts
        up to ``calibration_series`` series of each kind at an earlier origin,
        fits the members there and forecasts the months held out: a backtest
        of the published method (the combination, as published) by step, free
        once the forecast is made. Series of other models (intermittent, zero,
        fallback) are not in it. Available after ``predict`` or
        ``predict_interval``, from the longest horizon forecast so far (after
        ``predict`` alone it calibrates then: points need no calibration).

        Returns
        -------
        DataFrame
            One row per sampled series and held-out step: ``series`` (label),
            ``kind``, ``step`` (1 = the month after the origin),
            ``origin_offset`` (periods from the origin to the cutoff),
            ``forecast`` (floored at 0 with ``nonnegative``) and ``actual``.
        """
        self.check_is_fitted()
        if not self._cache:
            raise ValueError("held_out_backtest needs a forecast: call predict first")
        horizon = max(cached_horizon for cached_horizon, _ in self._cache)
        if not any(h == horizon and any(c > 0 for c in cov) for h, cov in self._cache):
            self._forecast(horizon, [SIGMA_LEVEL / 100])
        result = next(
            r for (h, cov), r in self._cache.items() if h == horizon and any(c > 0 for c in cov)
        )
        labels = self._layout.series_labels
        parts = []
        for held in result.held_out:
            step, series = np.nonzero(np.arange(len(held.point))[:, None] < held.steps[None, :])
            columns = held.columns[series]
            forecast = held.point[step, series]
            parts.append(
                pd.DataFrame(
                    {
                        "_column": columns,
                        "series": labels[columns],
                        "kind": self._choice.kind[columns],
                        "step": step + 1,
                        "origin_offset": held.steps[series] + self._behind[columns],
                        "forecast": np.maximum(forecast, 0.0) if self.nonnegative else forecast,
                        "actual": held.actual[step, series],
                    }
                )
            )
        if not parts:
            return pd.DataFrame(
                {
                    "series": pd.Series(dtype=object),
                    "kind": pd.Series(dtype=object),
                    "step": pd.Series(dtype=int),
                    "origin_offset": pd.Series(dtype=int),
                    "forecast": pd.Series(dtype=float),
                    "actual": pd.Series(dtype=float),
                }
            )
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values(["_column", "step"], kind="stable", ignore_index=True)
        return frame.drop(columns="_column")

    def _steps(self, fh) -> np.ndarray:
        steps = np.asarray(fh.to_relative(self.cutoff), dtype=int)
        if (steps < 1).any():
            raise NotImplementedError("AutoSelectForecaster forecasts future steps only")
        return steps

    def _take(self, block: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Rows of ``steps`` after the cutoff, for series that may have ended before it."""
        rows = steps[:, np.newaxis] - 1 + self._behind[np.newaxis, :]
        return np.take_along_axis(block, rows, axis=0)

    def _horizon(self, steps: np.ndarray) -> int:
        return int(steps.max() + self._behind.max(initial=0))

    def _predict(self, fh, X):
        """Point forecasts of every series' chosen model."""
        steps = self._steps(fh)
        result = self._forecast(self._horizon(steps), ())
        index = fh.to_absolute_index(self.cutoff)
        return to_frame(self._take(result.point, steps), self._layout, index)

    def _predict_interval(self, fh, X, coverage):
        """Intervals of the chosen models (see the module docstring for each kind)."""
        steps = self._steps(fh)
        result = self._forecast(self._horizon(steps), list(coverage))
        index = fh.to_absolute_index(self.cutoff)
        frames = {}
        for c in coverage:
            low, high = result.bounds[c]
            frames[(c, "lower")] = to_frame(self._take(low, steps), self._layout, index)
            frames[(c, "upper")] = to_frame(self._take(high, steps), self._layout, index)
        columns = self._get_columns(method="predict_interval", coverage=coverage)
        values = np.stack([frames[(c, side)][var].to_numpy() for var, c, side in columns], axis=1)
        return pd.DataFrame(values, index=next(iter(frames.values())).index, columns=columns)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Parameter sets for sktime's conformance tests.

        The test series are short, so the defaults take the short-series path;
        the second set uses a short season so the regular path (with the
        combination) runs too, and the third the intermittent candidates.
        """
        return [
            {},
            {"sp": 2, "backtest_windows": 2, "min_history": 8, "nonnegative": False},
            {"sp": 1, "intermittent_adi": 0.0, "min_history": 4, "combine": ()},
        ]


def _check_no_gaps(values: np.ndarray) -> None:
    """Series may start late or end early but not have holes (statsforecast needs it)."""
    observed = ~np.isnan(values)
    started = np.maximum.accumulate(observed, axis=0)
    ended = np.maximum.accumulate(observed[::-1], axis=0)[::-1]
    holes = started & ended & ~observed
    if holes.any():
        raise ValueError(
            f"{int(holes.any(axis=0).sum())} series have missing values between their first "
            "and last observation; fill months without demand with 0"
        )
