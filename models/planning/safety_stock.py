"""Safety stock per product from the width of the statistical forecast's interval.

The forecast already carries its own uncertainty: the 80% interval of
``fct_demand_forecast`` (product totals, region 'ALL'). Read as a normal
interval, its half-width is ``z_0.9`` standard deviations of the forecast
error, so the error's standard deviation needs no second model and no
separate backtest::

    sigma_t = (upper_80 - lower_80) / (2 * z_0.9)          z_0.9 = 1.2815515655446004

Stock has to cover the forecast error over the replenishment lead time. With
the lead time in months ``L = lead_time_days / (365.25 / 12)`` and monthly
errors taken as independent, that error has standard deviation
``sigma * sqrt(L)``, and the stock that covers it with probability
``service_level`` (a cycle service level) is::

    safety_stock = z_service * sigma_first * sqrt(L)

``sigma_first`` is the product's sigma at its *first* target month, the
one-month-ahead error. That is the error the lead time exposes: the plan is
redone every month, so an order placed now only has to survive the next
lead time's surprise. The intervals of later months include the uncertainty
accumulated over the whole horizon, which a monthly replan never faces, and
would inflate the stock the further out the month is. The product therefore
gets the same safety stock in every target month.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

Z_80_HALF_WIDTH = NormalDist().inv_cdf(0.9)
"""Standard normal quantile at 0.9: an 80% interval spans this many sigmas each side."""

DAYS_PER_MONTH = 365.25 / 12
"""Average days in a month, so lead times convert to months without a calendar."""

SAFETY_STOCK_COLUMNS = ["product_id", "target_month", "safety_stock_qty"]

_FORECAST_COLUMNS = ["product_id", "target_month", "lower_80", "upper_80"]


def safety_stock(
    forecast: pd.DataFrame, products: pd.DataFrame, service_level: float = 0.95
) -> pd.DataFrame:
    """Safety stock per product and target month, for the supply plan.

    Parameters
    ----------
    forecast : DataFrame
        The statistical forecast of one run at product-total level: columns
        product_id, target_month, lower_80, upper_80 (other columns, such as
        forecast_qty, are ignored). If a ``region`` column is present only the
        rows of region 'ALL' (the product totals) are used, so the rows of
        ``fct_demand_forecast`` can be passed as they are. A key
        (product_id, target_month) must appear once.
    products : DataFrame
        Columns product_id, lead_time_days. A product without a row or with
        an empty lead time is treated as 0 days of lead time, hence no safety
        stock: nothing says how long its stock has to last, and inventing a
        lead time would hold stock on a guess.
    service_level : float
        The probability of not running out during a lead time, strictly
        between 0.5 and 1 (0.5 would mean no safety stock and 1 an infinite
        one).

    Returns
    -------
    DataFrame
        Columns product_id, target_month, safety_stock_qty: one row for every
        row of the forecast, sorted by product and month. Target months are
        returned as given.

    Raises
    ------
    ValueError
        If the service level is outside (0.5, 1), a column is missing, a key
        is duplicated, an interval bound is missing or upper_80 < lower_80, or
        a lead time is negative: each would otherwise give a silently wrong
        stock.

    Examples
    --------
    The worked example. The interval [80, 120] has width 40, so
    ``sigma = 40 / (2 * 1.2815516) = 40 / 2.5631031 = 15.6061``. A lead time
    of 30.4375 days is ``30.4375 / (365.25 / 12) = 1`` month. At 95% service
    ``z = 1.6448536``, so ``SS = 1.6448536 * 15.6061 * sqrt(1) = 25.670``.
    The second month's wider interval does not change it; product P2 has no
    lead time and gets 0.

    >>> forecast = pd.DataFrame({
    ...     "product_id": ["P1", "P1", "P2"],
    ...     "target_month": ["2025-07-01", "2025-08-01", "2025-07-01"],
    ...     "forecast_qty": [100.0, 100.0, 50.0],
    ...     "lower_80": [80.0, 70.0, 40.0],
    ...     "upper_80": [120.0, 130.0, 60.0],
    ... })
    >>> products = pd.DataFrame({"product_id": ["P1", "P2"], "lead_time_days": [30.4375, None]})
    >>> safety_stock(forecast, products).round(3).to_dict("records")
    [{'product_id': 'P1', 'target_month': '2025-07-01', 'safety_stock_qty': 25.67},
     {'product_id': 'P1', 'target_month': '2025-08-01', 'safety_stock_qty': 25.67},
     {'product_id': 'P2', 'target_month': '2025-07-01', 'safety_stock_qty': 0.0}]
    """
    if not 0.5 < service_level < 1:
        raise ValueError(f"service_level must be strictly between 0.5 and 1, got {service_level}")
    rows = forecast
    if "region" in rows.columns:
        rows = rows[rows["region"] == "ALL"]
    missing = [c for c in _FORECAST_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"forecast is missing column(s) {missing}")
    missing = [c for c in ("product_id", "lead_time_days") if c not in products.columns]
    if missing:
        raise ValueError(f"products is missing column(s) {missing}")

    rows = rows[_FORECAST_COLUMNS].reset_index(drop=True)
    duplicated = rows.duplicated(["product_id", "target_month"])
    if duplicated.any():
        raise ValueError(
            "forecast has more than one row per product and month, e.g. "
            f"{rows.loc[duplicated, ['product_id', 'target_month']].iloc[0].tolist()}"
        )
    lower = rows["lower_80"].to_numpy(dtype=float)
    upper = rows["upper_80"].to_numpy(dtype=float)
    bad = np.isnan(lower) | np.isnan(upper) | (upper < lower)
    if bad.any():
        raise ValueError(
            "forecast interval is missing or has upper_80 < lower_80 for product(s) "
            f"{sorted(rows.loc[bad, 'product_id'].unique().tolist())[:5]}"
        )

    if products["product_id"].duplicated().any():
        raise ValueError("products has more than one row for a product_id")
    lead_days = pd.to_numeric(products.set_index("product_id")["lead_time_days"]).fillna(0.0)
    if (lead_days < 0).any():
        negative = lead_days[lead_days < 0].index[:5].tolist()
        raise ValueError(f"lead_time_days is negative for product(s) {negative}")

    sigma = (upper - lower) / (2 * Z_80_HALF_WIDTH)
    order = pd.to_datetime(rows["target_month"]).to_numpy()
    first = (
        pd.DataFrame({"product_id": rows["product_id"], "month": order, "sigma": sigma})
        .sort_values(["product_id", "month"], kind="stable")
        .drop_duplicates("product_id")
        .set_index("product_id")["sigma"]
    )
    lead_months = lead_days.reindex(first.index).fillna(0.0) / DAYS_PER_MONTH
    z_service = NormalDist().inv_cdf(service_level)
    per_product = z_service * first * np.sqrt(lead_months)

    result = rows[["product_id", "target_month"]].assign(
        safety_stock_qty=rows["product_id"].map(per_product).to_numpy(dtype=float),
        _order=order,
    )
    return (
        result.sort_values(["product_id", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)[SAFETY_STOCK_COLUMNS]
    )
