"""The statistical demand forecast of one run: rows of ``fct_demand_forecast``.

The hierarchy has four levels: product x region (the bottom), product total
(region ``'ALL'``), family, and portfolio (family ``'ALL'``). Every node gets a
base forecast of its own from one panel fit of :class:`AutoSelectForecaster`
(model chosen per node by rolling-origin backtest), and the base forecasts are
reconciled (:mod:`models.forecasting.reconcile`) so that every level adds up
exactly. Product-level rows go to ``fct_demand_forecast``, family and portfolio
rows to ``fct_demand_forecast_family``.

Rules (SPEC §2 demand history, §3 ``fct_demand_forecast``):

* demand history is zero-filled from a series' first order to the run month;
  rows after the run month are ignored, so a rerun of an old month only sees
  what was known then;
* reconciliation moves a node's point forecast; its intervals move with it
  (same width), and points and bounds are floored at 0 after reconciling;
* a product whose ``end_date`` is before a target month forecasts 0 for that
  month, interval 0..0, model ``'end_of_life'``; its base forecast is taken
  out of its family's and the portfolio's base forecasts first, so the
  aggregates do not keep selling a discontinued product;
* a product launched after the run month is skipped; a launched product with
  no order yet has no history to extrapolate and is omitted (its demand is a
  planning input, not a statistical forecast);
* a product that has history but no row in ``products`` is forecast as an
  active product in family ``'unassigned'``;
* ``model`` is the model chosen for the node's own base forecast;
  ``naive_qty`` is the seasonal naive forecast of the node (naive for less than
  a year of history), the benchmark of forecast value added;
* ``backtest`` (``fct_forecast_backtest``) is the forecaster's own held-out
  backtest by level and lag, from the months its interval calibration held
  out (:mod:`models.forecasting.backtest`): accuracy before any snapshot has
  actuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm
from sktime.forecasting.base import BaseForecaster

from models.forecasting.auto_select import AutoSelectForecaster
from models.forecasting.backtest import (
    backtest_by_lag,
    empty_backtest,
    seasonal_naive_from_origins,
)
from models.forecasting.reconcile import aggregation_matrix, reconcile
from models.forecasting.seasonal_naive import VectorizedSeasonalNaive

TOTAL = "ALL"
TOTAL_REGION = TOTAL
END_OF_LIFE = "end_of_life"
UNASSIGNED = "unassigned"
SEASONAL_PERIOD = 12
COVERAGES = (0.8, 0.95)
DEFAULT_RECONCILIATION = "wls_var"


def interval_columns(coverage: float) -> tuple[str, str]:
    """Names of the interval columns, e.g. ``lower_80``/``upper_80`` for 0.8."""
    pct = f"{coverage * 100:g}"
    return f"lower_{pct}", f"upper_{pct}"


def _value_columns(coverages: tuple[float, ...]) -> list[str]:
    bounds = [name for c in coverages for name in interval_columns(c)]
    return ["forecast_qty", *bounds, "model", "naive_qty"]


def forecast_columns(coverages: tuple[float, ...] = COVERAGES) -> list[str]:
    """Columns of ``fct_demand_forecast`` in table order."""
    return ["run_month", "product_id", "region", "target_month", *_value_columns(coverages)]


def family_forecast_columns(coverages: tuple[float, ...] = COVERAGES) -> list[str]:
    """Columns of ``fct_demand_forecast_family`` in table order."""
    return ["run_month", "family", "target_month", *_value_columns(coverages)]


@dataclass
class DemandForecast:
    """One run's forecast: product rows, family rows, and how it was made."""

    products: pd.DataFrame
    families: pd.DataFrame
    reconciliation: str
    nodes: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per node: kind, model
    # fct_forecast_backtest: held-out errors of the method by level and lag
    backtest: pd.DataFrame = field(default_factory=empty_backtest)


def default_forecaster(n_jobs: int = 1) -> AutoSelectForecaster:
    """The platform's forecaster; bounds are floored after reconciliation, not before."""
    return AutoSelectForecaster(sp=SEASONAL_PERIOD, nonnegative=False, n_jobs=n_jobs)


def forecast_demand(
    history: pd.DataFrame,
    products: pd.DataFrame,
    run_month: pd.Period | str,
    horizon: int = 18,
    coverages: tuple[float, ...] = COVERAGES,
    forecaster: BaseForecaster | None = None,
    reconciliation: str = DEFAULT_RECONCILIATION,
) -> DemandForecast:
    """Reconciled demand forecast per product and region, product, family and portfolio.

    Parameters
    ----------
    history : DataFrame
        ``fct_demand_history``: product_id, region, month (first day of month,
        Timestamp or date), quantity. Rows after ``run_month`` are ignored;
        months missing between a series' first row and ``run_month`` count as 0.
    products : DataFrame
        product_id, launch_date, end_date (NaT or empty while sold), and
        optionally family.
    run_month : Period or str
        The month the run is as of (``"2025-06"``, ``pd.Period("2025-06", "M")``
        or any date in it); the forecast starts the month after.
    horizon : int, default=18
        Number of target months.
    coverages : tuple of float, default=(0.8, 0.95)
        Interval coverages; the columns are named after them (``lower_80``...).
    forecaster : sktime forecaster, optional
        Fitted on every node at once (a ``(node, month)`` MultiIndex frame);
        defaults to :func:`default_forecaster`. Its ``model_`` (or
        ``method_``) names each node's model, its ``backtest_rmse_`` gives the
        weights of ``wls_var``.
    reconciliation : {"wls_var", "wls_str", "ols", "bu"}, default="wls_var"
        See :mod:`models.forecasting.reconcile`.

    Returns
    -------
    DemandForecast
        ``products``: run_month, product_id, region, target_month,
        forecast_qty, lower_80, upper_80, lower_95, upper_95, model, naive_qty;
        one row per (product, region, target month), the product total
        (region ``'ALL'``) first. ``families``: the same columns with family
        instead of product_id and region, the portfolio as family ``'ALL'``.
        ``backtest``: rows of ``fct_forecast_backtest`` (empty when the
        forecaster has no ``held_out_backtest``, e.g. seasonal naive).

    Examples
    --------
    Seasonal naive base forecasts reconciled bottom-up, so the numbers are easy
    to follow (the default forecaster chooses a model per series by backtest):

    >>> from models.forecasting import VectorizedSeasonalNaive
    >>> history = pd.DataFrame({"product_id": "P1", "region": ["EMEA"] * 3 + ["APAC"] * 3,
    ...     "month": list(pd.date_range("2025-04-01", periods=3, freq="MS")) * 2,
    ...     "quantity": [4.0, 6.0, 5.0, 1.0, 2.0, 3.0]})
    >>> products = pd.DataFrame({"product_id": ["P1"], "family": ["Pumps"],
    ...     "launch_date": [pd.Timestamp("2025-01-01")], "end_date": [pd.NaT]})
    >>> f = forecast_demand(history, products, "2025-06", horizon=1, reconciliation="bu",
    ...                     forecaster=VectorizedSeasonalNaive(nonnegative=False))
    >>> f.products[["region", "forecast_qty", "lower_80", "upper_80", "model"]].round(2)
      region  forecast_qty  lower_80  upper_80  model
    0    ALL           8.0      5.28     10.72  naive
    1   APAC           3.0      1.72      4.28  naive
    2   EMEA           5.0      2.97      7.03  naive
    >>> f.families[["family", "forecast_qty"]]
      family  forecast_qty
    0    ALL           8.0
    1  Pumps           8.0
    """
    fitted = fit_base_forecasts(history, products, run_month, horizon, coverages, forecaster)
    if fitted is None:
        return DemandForecast(
            _empty(forecast_columns(coverages)),
            _empty(family_forecast_columns(coverages)),
            reconciliation,
        )
    return fitted.reconciled(reconciliation)


def fit_base_forecasts(
    history: pd.DataFrame,
    products: pd.DataFrame,
    run_month: pd.Period | str,
    horizon: int = 18,
    coverages: tuple[float, ...] = COVERAGES,
    forecaster: BaseForecaster | None = None,
) -> FittedBase | None:
    """Base forecasts of every node (see :func:`forecast_demand`); None without history.

    Separate from reconciliation so that one fit can be reconciled several
    ways, which is how the reconciliation method was chosen (bench/forecast).
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 month, got {horizon}")
    if not all(0 < c < 1 for c in coverages):
        raise ValueError(f"coverages must be between 0 and 1, got {coverages}")
    run = _as_period(run_month)
    nodes = node_history(history, products, run)
    if nodes is None:
        return None
    tree, values, months = nodes

    base = _base_forecasts(values, months, horizon, coverages, forecaster)
    naive = _naive_forecasts(values, months, horizon)
    targets = pd.period_range(run + 1, periods=horizon, freq="M").to_timestamp()
    return FittedBase(run, tree, base, naive, targets, tree.ended(products, targets), coverages)


def node_history(
    history: pd.DataFrame, products: pd.DataFrame, run_month: pd.Period | str
) -> tuple[_Hierarchy, np.ndarray, pd.PeriodIndex] | None:
    """The hierarchy and the (month x node) history the base forecasts are fitted on.

    Aggregates come first (products, families, portfolio), then product x
    region; NaN before a node's first order, 0 for months without demand.
    None when nothing launched by the run month has history.
    """
    run = _as_period(run_month)
    active = _launched_products(products, run)
    monthly = _monthly_demand(history, run)
    not_launched = pd.Index(products["product_id"].astype(str)).difference(active)
    monthly = monthly[~monthly["product_id"].isin(not_launched)]
    if monthly.empty:
        return None
    bottom_keys, bottom_values, months = _wide_history(monthly, run)
    tree = _Hierarchy.build(bottom_keys, products)
    values = np.hstack([tree.aggregate_history(bottom_values), bottom_values])
    return tree, values, months


@dataclass
class FittedBase:
    """Base forecasts of every node, before reconciliation: reconcile them any way."""

    run: pd.Period
    tree: _Hierarchy
    base: _Base
    naive: np.ndarray
    targets: pd.DatetimeIndex
    ended: np.ndarray  # (horizon, n_bottom)
    coverages: tuple[float, ...]

    def reconciled(self, reconciliation: str) -> DemandForecast:
        """Coherent rows of both tables, reconciled with ``reconciliation``."""
        tree, base, ended, coverages = self.tree, self.base, self.ended, self.coverages
        point = base.point.copy()
        n_agg = tree.n_aggregates
        # a discontinued product's base forecast leaves its ancestors before reconciling
        ended_bottom = np.where(ended, point[:, n_agg:], 0.0)
        point[:, :n_agg] -= (tree.A @ ended_bottom.T).T
        point[:, n_agg:][ended] = 0.0
        agg_point, bottom_point = reconcile(
            point[:, :n_agg], point[:, n_agg:], tree.A, reconciliation, base.variance
        )
        bottom_point[ended] = 0.0
        agg_point = np.asarray((tree.A @ bottom_point.T).T)
        reconciled = np.hstack([agg_point, bottom_point])

        shift = reconciled - base.point
        columns: dict[str, np.ndarray] = {"forecast_qty": reconciled}
        ended_nodes = tree.ended_nodes(ended)
        for coverage in coverages:
            lower, upper = base.bounds[coverage]
            low_name, high_name = interval_columns(coverage)
            columns[low_name] = np.where(ended_nodes, 0.0, np.maximum(lower + shift, 0.0))
            columns[high_name] = np.where(ended_nodes, 0.0, np.maximum(upper + shift, reconciled))
            columns[low_name] = np.minimum(columns[low_name], reconciled)
        model = np.where(ended_nodes, END_OF_LIFE, base.model[np.newaxis, :])
        columns["model"] = model
        columns["naive_qty"] = np.where(ended_nodes, 0.0, np.maximum(self.naive, 0.0))

        frame = _long_rows(columns, tree, self.targets, self.run)
        nodes = tree.nodes.assign(kind=base.kind, model=base.model)
        points = self.backtest_points()
        return DemandForecast(
            products=_product_rows(frame, coverages),
            families=_family_rows(frame, coverages),
            reconciliation=reconciliation,
            nodes=nodes,
            backtest=backtest_by_lag(points, self.run.to_timestamp())
            if len(points)
            else empty_backtest(),
        )

    def backtest_points(self) -> pd.DataFrame:
        """Held-out months of the base forecasts, one row per node and month.

        Columns: level, product_id, region, family, lag, origin_month,
        target_month, forecast_qty, naive_qty, actual_qty. A series that is
        several nodes (a product sold in one region is its own total) counts
        at each of their levels, as its forecast does.
        """
        held = self.base.held_out
        keys = self.tree.nodes[["level", "product_id", "region", "family"]]
        return (
            keys.iloc[held["node"].to_numpy()]
            .reset_index(drop=True)
            .join(held.drop(columns=["node"]).reset_index(drop=True))
        )


def _as_period(run_month: pd.Period | str) -> pd.Period:
    """The run month as a monthly Period, whatever date-like form it came in."""
    if isinstance(run_month, pd.Period):
        return run_month.asfreq("M")
    return pd.Period(pd.Timestamp(run_month), freq="M")


def _launched_products(products: pd.DataFrame, run: pd.Period) -> pd.Index:
    """Ids of products launched on or before the end of the run month."""
    launch = pd.to_datetime(products["launch_date"])
    launched = launch.isna() | (launch.dt.to_period("M") <= run)
    return pd.Index(products.loc[launched, "product_id"].astype(str))


def _end_dates(products: pd.DataFrame, product_ids: pd.Series) -> pd.Series:
    """End date per series (NaT while sold or unknown), aligned with ``product_ids``."""
    end = pd.Series(
        pd.to_datetime(products["end_date"]).to_numpy(),
        index=products["product_id"].astype(str),
    )
    end = end[~end.index.duplicated(keep="last")]
    return end.reindex(product_ids.to_numpy())


def _monthly_demand(history: pd.DataFrame, run: pd.Period) -> pd.DataFrame:
    """Quantity per product, region and month up to the run month (duplicates summed)."""
    frame = pd.DataFrame(
        {
            "product_id": history["product_id"].astype(str),
            "region": history["region"].astype(str),
            "month": pd.to_datetime(history["month"]).dt.to_period("M"),
            "quantity": pd.to_numeric(history["quantity"]).astype(float),
        }
    )
    if (frame["region"] == TOTAL_REGION).any():
        raise ValueError(
            f"demand history has region {TOTAL_REGION!r}, which is reserved for product totals"
        )
    frame = frame[frame["month"] <= run]
    return frame.groupby(["product_id", "region", "month"], as_index=False, sort=False)[
        "quantity"
    ].sum()


def _wide_history(
    monthly: pd.DataFrame, run: pd.Period
) -> tuple[pd.DataFrame, np.ndarray, pd.PeriodIndex]:
    """(month x series) array, NaN before a series' first month and 0 for silent months.

    Series are sorted by product then region, so a product's regions are
    adjacent columns and totals can be summed with one ``reduceat``.
    """
    keys = monthly[["product_id", "region"]].drop_duplicates()
    keys = keys.sort_values(["product_id", "region"]).reset_index(drop=True)
    keys["product_code"] = pd.factorize(keys["product_id"])[0]
    months = pd.period_range(monthly["month"].min(), run, freq="M")

    column = pd.MultiIndex.from_frame(keys[["product_id", "region"]]).get_indexer(
        pd.MultiIndex.from_frame(monthly[["product_id", "region"]])
    )
    row = monthly["month"].array.asi8 - months[0].ordinal
    values = np.full((len(months), len(keys)), np.nan)
    values[row, column] = monthly["quantity"].to_numpy()
    started = np.maximum.accumulate(~np.isnan(values), axis=0)
    values[started & np.isnan(values)] = 0.0
    return keys, values, months


@dataclass
class _Base:
    """Base forecasts of every node, arrays of shape (horizon, n_nodes)."""

    point: np.ndarray
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]
    variance: np.ndarray | None
    model: np.ndarray
    kind: np.ndarray
    held_out: pd.DataFrame  # per node: lag, origin and target month, forecast, naive, actual


@dataclass
class _Hierarchy:
    """Nodes (aggregates first: products, families, portfolio; then the bottom) and ``A``."""

    nodes: pd.DataFrame
    A: sp.csr_matrix
    bottom_keys: pd.DataFrame
    n_products: int

    @property
    def n_aggregates(self) -> int:
        return self.A.shape[0]

    @classmethod
    def build(cls, bottom_keys: pd.DataFrame, products: pd.DataFrame) -> _Hierarchy:
        product_code = bottom_keys["product_code"].to_numpy()
        product_ids = bottom_keys["product_id"].drop_duplicates().to_numpy()
        family_of = pd.Series(dtype=object)
        if "family" in products.columns:
            latest = products.drop_duplicates("product_id", keep="last")
            family_of = pd.Series(
                latest["family"].to_numpy(), index=latest["product_id"].astype(str).to_numpy()
            )
            family_of = family_of.where(family_of.notna() & (family_of != ""), UNASSIGNED)
        product_family = family_of.reindex(product_ids).fillna(UNASSIGNED).astype(str).to_numpy()
        families, family_code = np.unique(product_family, return_inverse=True)
        n_p, n_f, n_b = len(product_ids), len(families), len(bottom_keys)
        parents = [product_code, n_p + family_code[product_code], np.full(n_b, n_p + n_f)]
        A = aggregation_matrix(parents, n_p + n_f + 1)
        nodes = pd.concat(
            [
                pd.DataFrame(
                    {
                        "level": "product",
                        "product_id": product_ids,
                        "region": TOTAL,
                        "family": product_family,
                    }
                ),
                pd.DataFrame(
                    {"level": "family", "product_id": None, "region": None, "family": families}
                ),
                pd.DataFrame(
                    {
                        "level": "portfolio",
                        "product_id": [None],
                        "region": [None],
                        "family": [TOTAL],
                    }
                ),
                pd.DataFrame(
                    {
                        "level": "product_region",
                        "product_id": bottom_keys["product_id"].to_numpy(),
                        "region": bottom_keys["region"].to_numpy(),
                        "family": product_family[product_code],
                    }
                ),
            ],
            ignore_index=True,
        )
        return cls(nodes=nodes, A=A, bottom_keys=bottom_keys, n_products=n_p)

    def aggregate_history(self, bottom_values: np.ndarray) -> np.ndarray:
        """Sums of the bottom series; NaN before the first child's first order."""
        summed = (self.A @ np.nan_to_num(bottom_values).T).T
        started = (self.A @ (~np.isnan(bottom_values)).astype(float).T).T > 0
        return np.where(started, summed, np.nan)

    def ended(self, products: pd.DataFrame, targets: pd.DatetimeIndex) -> np.ndarray:
        """(horizon, n_bottom): the product's end date is before the target month."""
        end = _end_dates(products, self.bottom_keys["product_id"]).to_numpy()
        return end[np.newaxis, :] < targets.to_numpy()[:, np.newaxis]

    def ended_nodes(self, ended: np.ndarray) -> np.ndarray:
        """(horizon, n_nodes): ended bottom nodes and ended product totals."""
        first_of_product = np.flatnonzero(
            np.r_[True, np.diff(self.bottom_keys["product_code"].to_numpy()) != 0]
        )
        aggregates = np.zeros((ended.shape[0], self.n_aggregates), dtype=bool)
        aggregates[:, : self.n_products] = ended[:, first_of_product]
        return np.hstack([aggregates, ended])


def _panel(values: np.ndarray, months: pd.PeriodIndex) -> pd.DataFrame:
    """sktime's long panel (node, month), sorted, observed values only."""
    node, row = np.nonzero(~np.isnan(values).T)  # node-major, months ascending
    index = pd.MultiIndex(
        levels=[np.arange(values.shape[1]), months],
        codes=[node, row],
        names=["node", "month"],
    )
    return pd.DataFrame({"quantity": values[row, node]}, index=index)


def _blocks(frame: pd.DataFrame, n_nodes: int, horizon: int) -> dict:
    """(horizon, n_nodes) arrays of each column of a (node, month) prediction frame."""
    return {
        column: frame[column].to_numpy(dtype=float).reshape(n_nodes, horizon).T
        for column in frame.columns
    }


def _per_node(forecaster: BaseForecaster, names: tuple[str, ...], n_nodes: int, default):
    """A per-series fitted attribute of the forecaster, in node order."""
    for name in names:
        attribute = getattr(forecaster, name, None)
        if isinstance(attribute, pd.Series) and len(attribute) == n_nodes:
            return attribute.to_numpy()
    return np.full(n_nodes, default, dtype=object)


def _base_forecasts(
    values: np.ndarray,
    months: pd.PeriodIndex,
    horizon: int,
    coverages: tuple[float, ...],
    forecaster: BaseForecaster | None,
) -> _Base:
    """One panel fit over every node: point, intervals, model and error variance."""
    forecaster = default_forecaster() if forecaster is None else forecaster.clone()
    # A product sold in one region is its own total: fit each distinct series once.
    distinct, node_of = _distinct_columns(values)
    values = values[:, distinct]
    y = _panel(values, months)
    forecaster.fit(y)
    fh = list(range(1, horizon + 1))
    n_nodes = values.shape[1]
    intervals = forecaster.predict_interval(fh=fh, coverage=list(coverages))
    point = _blocks(forecaster.predict(fh=fh), n_nodes, horizon)["quantity"]
    bounds = {}
    for coverage in coverages:
        lower = intervals[("quantity", coverage, "lower")].to_numpy(dtype=float)
        upper = intervals[("quantity", coverage, "upper")].to_numpy(dtype=float)
        bounds[coverage] = (lower.reshape(n_nodes, horizon).T, upper.reshape(n_nodes, horizon).T)
    rmse = _per_node(forecaster, ("backtest_rmse_",), n_nodes, np.nan).astype(float)
    first_lower, first_upper = bounds[coverages[0]]
    z = norm.ppf(0.5 + coverages[0] / 2)
    interval_sd = (first_upper[0] - first_lower[0]) / (2 * z)
    variance = np.where(np.isfinite(rmse), rmse, interval_sd) ** 2
    model = _per_node(forecaster, ("model_", "method_"), n_nodes, type(forecaster).__name__)
    kind = _per_node(forecaster, ("kind_",), n_nodes, None)
    held = _held_out(forecaster, values, months)
    nodes_of_column = pd.DataFrame({"node": np.arange(len(node_of)), "column": node_of})
    return _Base(
        point=point[:, node_of],
        bounds={c: (low[:, node_of], high[:, node_of]) for c, (low, high) in bounds.items()},
        variance=variance[node_of],
        model=model[node_of],
        kind=kind[node_of],
        held_out=nodes_of_column.merge(held, on="column").drop(columns="column"),
    )


def _held_out(
    forecaster: BaseForecaster, values: np.ndarray, months: pd.PeriodIndex
) -> pd.DataFrame:
    """The forecaster's held-out backtest per panel column, with seasonal naive from its origin.

    Empty for a forecaster without ``held_out_backtest`` (seasonal naive itself).
    """
    columns = ["column", "lag", "origin_month", "target_month"]
    columns += ["forecast_qty", "naive_qty", "actual_qty"]
    rows = (
        forecaster.held_out_backtest()
        if hasattr(forecaster, "held_out_backtest")
        else pd.DataFrame()
    )
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}).astype(
            {"column": int, "lag": int}
        )
    column = pd.Index(forecaster.kind_.index).get_indexer(pd.Index(rows["series"]))
    offset = rows["origin_offset"].to_numpy(dtype=int)
    step = rows["step"].to_numpy(dtype=int)
    sampled, first = np.unique(column, return_index=True)
    origin_row = len(months) - 1 - offset[first]
    naive = seasonal_naive_from_origins(
        values[:, sampled], origin_row, int(step.max()), SEASONAL_PERIOD
    )
    origin = pd.PeriodIndex(months[-1] - offset, freq="M")
    return pd.DataFrame(
        {
            "column": column,
            "lag": step,
            "origin_month": origin.to_timestamp(),
            "target_month": (origin + step).to_timestamp(),
            # floored at 0 as the published forecast is
            "forecast_qty": np.maximum(rows["forecast"].to_numpy(dtype=float), 0.0),
            "naive_qty": naive[step - 1, np.searchsorted(sampled, column)],
            "actual_qty": rows["actual"].to_numpy(dtype=float),
        }
    )


def _distinct_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first column of each group of identical columns, and each column's group.

    ``values[:, distinct][:, node_of]`` equals ``values``. Identical histories
    get identical forecasts, so fitting one of them is enough.
    """
    keys = [column.tobytes() for column in np.ascontiguousarray(values.T)]
    _, first, node_of = np.unique(keys, return_index=True, return_inverse=True)
    # keep the nodes' order (aggregates first), so the fit sees the same panel order
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[node_of.ravel()]


def _naive_forecasts(values: np.ndarray, months: pd.PeriodIndex, horizon: int) -> np.ndarray:
    """Seasonal naive forecast of every node: the benchmark of forecast value added."""
    naive = VectorizedSeasonalNaive(sp=SEASONAL_PERIOD, nonnegative=True)
    naive.fit(_panel(values, months))
    prediction = naive.predict(fh=list(range(1, horizon + 1)))
    return _blocks(prediction, values.shape[1], horizon)["quantity"]


def _long_rows(
    columns: dict[str, np.ndarray],
    tree: _Hierarchy,
    targets: pd.DatetimeIndex,
    run: pd.Period,
) -> pd.DataFrame:
    """One row per node and target month, with the node's keys."""
    horizon, n_nodes = columns["forecast_qty"].shape
    frame = pd.DataFrame({name: block.T.ravel() for name, block in columns.items()})
    keys = tree.nodes.loc[np.repeat(np.arange(n_nodes), horizon)].reset_index(drop=True)
    frame.insert(0, "target_month", np.tile(targets.to_numpy(), n_nodes))
    frame.insert(0, "run_month", run.to_timestamp())
    return pd.concat([keys, frame], axis=1)


def _product_rows(frame: pd.DataFrame, coverages: tuple[float, ...]) -> pd.DataFrame:
    rows = frame[frame["level"].isin(["product", "product_region"])].copy()
    rows["_total_first"] = rows["region"] != TOTAL
    rows = rows.sort_values(["product_id", "_total_first", "region", "target_month"], kind="stable")
    return rows[forecast_columns(coverages)].reset_index(drop=True)


def _family_rows(frame: pd.DataFrame, coverages: tuple[float, ...]) -> pd.DataFrame:
    rows = frame[frame["level"].isin(["family", "portfolio"])].copy()
    rows["_total_first"] = rows["family"] != TOTAL
    rows = rows.sort_values(["_total_first", "family", "target_month"], kind="stable")
    return rows[family_forecast_columns(coverages)].reset_index(drop=True)


def _empty(columns: list[str]) -> pd.DataFrame:
    """A forecast with no rows but the table's columns and types."""
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    for c in ("product_id", "region", "family", "model"):
        if c in frame:
            frame[c] = frame[c].astype(object)
    for c in ("run_month", "target_month"):
        frame[c] = frame[c].astype("datetime64[ns]")
    return frame
