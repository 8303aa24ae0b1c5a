"""The statistical demand forecast of one run: rows of ``fct_demand_forecast``.

Every (product, region) series and every product total (region ``'ALL'``) is
fitted in a single :class:`VectorizedSeasonalNaive` call on a wide
(month x series) frame, so thousands of series cost one numpy pass instead of
sktime's per-series loop.

Rules (SPEC §2 demand history, §3 ``fct_demand_forecast``):

* demand history is zero-filled from a series' first order to the run month;
  rows after the run month are ignored, so a rerun of an old month only sees
  what was known then;
* region ``'ALL'`` is the product total. Its ``forecast_qty`` is the sum of
  the regional forecasts (bottom-up, so the levels always add up); its
  interval is fitted on the total series itself, re-centred on that sum,
  because regional errors partly cancel and summing regional bounds would
  overstate the total's uncertainty;
* a product whose ``end_date`` is before a target month forecasts 0 for that
  month, interval 0..0, model ``'end_of_life'``;
* a product launched after the run month is skipped; a launched product with
  no order yet has no history to extrapolate and is omitted (its demand is a
  planning input, not a statistical forecast);
* a product that has history but no row in ``products`` is forecast as an
  active product (no launch or end date to apply).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.forecasting.seasonal_naive import (
    NAIVE,
    SEASONAL,
    VectorizedSeasonalNaive,
    normal_quantiles,
)

TOTAL_REGION = "ALL"
END_OF_LIFE = "end_of_life"
MIXED = "mixed"
SEASONAL_PERIOD = 12


def interval_columns(coverage: float) -> tuple[str, str]:
    """Names of the interval columns, e.g. ``lower_80``/``upper_80`` for 0.8."""
    pct = f"{coverage * 100:g}"
    return f"lower_{pct}", f"upper_{pct}"


def forecast_columns(coverage: float = 0.8) -> list[str]:
    """Columns of ``fct_demand_forecast`` in table order."""
    lower, upper = interval_columns(coverage)
    return [
        "run_month",
        "product_id",
        "region",
        "target_month",
        "forecast_qty",
        lower,
        upper,
        "model",
    ]


def forecast_demand(
    history: pd.DataFrame,
    products: pd.DataFrame,
    run_month: pd.Period | str,
    horizon: int = 18,
    coverage: float = 0.8,
) -> pd.DataFrame:
    """Seasonal naive demand forecast per product and region, with product totals.

    Parameters
    ----------
    history : DataFrame
        ``fct_demand_history``: product_id, region, month (first day of month,
        Timestamp or date), quantity. Rows after ``run_month`` are ignored;
        months missing between a series' first row and ``run_month`` count as 0.
    products : DataFrame
        product_id, launch_date, end_date (NaT or empty while sold).
    run_month : Period or str
        The month the run is as of (``"2025-06"``, ``pd.Period("2025-06", "M")``
        or any date in it); the forecast starts the month after.
    horizon : int, default=18
        Number of target months.
    coverage : float, default=0.8
        Nominal coverage of the normal interval. The interval columns are named
        after it, so the default gives SPEC's ``lower_80`` and ``upper_80``.

    Returns
    -------
    DataFrame
        One row per (product, region, target month), regions ``'ALL'`` first:
        run_month, product_id, region, target_month (first days of months),
        forecast_qty, lower_80, upper_80, model (``seasonal_naive``, ``naive``
        for series with less than a year of history, ``end_of_life``, and for
        ``'ALL'`` the regions' common model or ``mixed``).

    Examples
    --------
    >>> history = pd.DataFrame({"product_id": "P1", "region": "EMEA",
    ...                         "month": pd.date_range("2025-04-01", periods=3, freq="MS"),
    ...                         "quantity": [4.0, 6.0, 5.0]})
    >>> products = pd.DataFrame({"product_id": ["P1"], "launch_date": [pd.Timestamp("2025-01-01")],
    ...                          "end_date": [pd.NaT]})
    >>> f = forecast_demand(history, products, "2025-06", horizon=2)
    >>> f.drop(columns=["run_month", "product_id"]).round(2)
      region target_month  forecast_qty  lower_80  upper_80  model
    0    ALL   2025-07-01           5.0      2.97      7.03  naive
    1    ALL   2025-08-01           5.0      2.13      7.87  naive
    2   EMEA   2025-07-01           5.0      2.97      7.03  naive
    3   EMEA   2025-08-01           5.0      2.13      7.87  naive
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 month, got {horizon}")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
    run = _as_period(run_month)
    lower_name, upper_name = interval_columns(coverage)

    active = _launched_products(products, run)
    monthly = _monthly_demand(history, run)
    not_launched = pd.Index(products["product_id"].astype(str)).difference(active)
    monthly = monthly[~monthly["product_id"].isin(not_launched)]
    if monthly.empty:
        return _empty(coverage)

    series, values, months = _wide_history(monthly, run)
    n_regional = len(series)
    series, values = _with_totals(series, values)

    point, variance, model = _fit_predict(series, values, months, horizon)

    # bottom-up: a product's total is the sum of its regional forecasts
    product_code = series["product_code"].to_numpy()
    point[:, n_regional:] = _sum_by_product(point[:, :n_regional], product_code[:n_regional])
    model[n_regional:] = _total_model(model[:n_regional], product_code[:n_regional])
    lower = normal_quantiles(point, variance, (1 - coverage) / 2, nonnegative=True)
    upper = normal_quantiles(point, variance, (1 + coverage) / 2, nonnegative=True)

    targets = pd.period_range(run + 1, periods=horizon, freq="M").to_timestamp()
    end = _end_dates(products, series["product_id"])
    ended = end.to_numpy()[np.newaxis, :] < targets.to_numpy()[:, np.newaxis]
    point[ended] = lower[ended] = upper[ended] = 0.0
    models = np.where(ended, END_OF_LIFE, model[np.newaxis, :])

    n_series = len(series)
    frame = pd.DataFrame(
        {
            "run_month": run.to_timestamp(),
            "product_id": np.tile(series["product_id"].to_numpy(), horizon),
            "region": np.tile(series["region"].to_numpy(), horizon),
            "target_month": np.repeat(targets.to_numpy(), n_series),
            "forecast_qty": point.ravel(),
            lower_name: lower.ravel(),
            upper_name: upper.ravel(),
            "model": models.ravel(),
        }
    )
    frame["_total_first"] = frame["region"] != TOTAL_REGION
    frame = frame.sort_values(
        ["product_id", "_total_first", "region", "target_month"], kind="stable"
    )
    return frame.drop(columns="_total_first").reset_index(drop=True)


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


def _fit_predict(
    series: pd.DataFrame, values: np.ndarray, months: pd.PeriodIndex, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One fit of :class:`VectorizedSeasonalNaive` over all series.

    The series go in as sktime's hierarchical long format (product_id, region,
    month), sorted, which the forecaster handles natively. Both alternatives
    are slow in sktime's input checks at 10,000 series: a wide frame (a Python
    loop over columns, seconds) and an unsorted MultiIndex (a groupby per
    instance to check the time order, seconds).

    Returns
    -------
    point, variance : ndarray, shape (horizon, n_series), in the order of ``series``
    model : ndarray of str, shape (n_series,)
    """
    keys = pd.MultiIndex.from_frame(series[["product_id", "region"]])
    order = np.lexsort(keys.codes[::-1])  # lexicographic order of (product_id, region)
    sorted_codes = [c[order] for c in keys.codes]
    column, row = np.nonzero(~np.isnan(values[:, order]).T)  # series-major, months ascending
    long_index = pd.MultiIndex(
        levels=[*keys.levels, months],
        codes=[*(c[column] for c in sorted_codes), row],
        names=["product_id", "region", "month"],
    )
    y = pd.DataFrame({"quantity": values[:, order][row, column]}, index=long_index)

    forecaster = VectorizedSeasonalNaive(sp=SEASONAL_PERIOD, nonnegative=True)
    forecaster.fit(y)
    fh = np.arange(1, horizon + 1)
    n_series = len(keys)
    expected = pd.MultiIndex(
        levels=[*keys.levels, pd.period_range(months[-1] + 1, periods=horizon, freq="M")],
        codes=[*(np.repeat(c, horizon) for c in sorted_codes), np.tile(fh - 1, n_series)],
        names=long_index.names,
    )

    def in_series_order(frame: pd.DataFrame) -> np.ndarray:
        if not frame.index.equals(expected):
            frame = frame.reindex(expected)
        block = np.empty((horizon, n_series))
        block[:, order] = frame["quantity"].to_numpy().reshape(n_series, horizon).T
        return block

    point = in_series_order(forecaster.predict(fh=fh))
    variance = in_series_order(forecaster.predict_var(fh=fh))
    model = forecaster.method_.loc["quantity"].reindex(keys).to_numpy(dtype=object)
    return point, variance, model


def _sum_by_product(block: np.ndarray, product_code: np.ndarray) -> np.ndarray:
    """Sum adjacent columns of the same product (codes sorted ascending)."""
    starts = np.flatnonzero(np.r_[True, product_code[1:] != product_code[:-1]])
    return np.add.reduceat(block, starts, axis=1)


def _with_totals(series: pd.DataFrame, values: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Append one 'ALL' column per product: the sum of its regions from its first order."""
    code = series["product_code"].to_numpy()
    observed = _sum_by_product((~np.isnan(values)).astype(float), code) > 0
    totals = np.where(observed, _sum_by_product(np.nan_to_num(values), code), np.nan)
    first = series.drop_duplicates("product_code")
    total_keys = first.assign(region=TOTAL_REGION)
    return pd.concat([series, total_keys], ignore_index=True), np.hstack([values, totals])


def _total_model(regional_model: np.ndarray, product_code: np.ndarray) -> np.ndarray:
    """Model label of each product total: its regions' common model, else 'mixed'."""
    seasonal = _sum_by_product(
        (regional_model == SEASONAL).astype(float)[np.newaxis, :], product_code
    )[0]
    count = np.bincount(product_code).astype(float)
    return np.select([seasonal == count, seasonal == 0], [SEASONAL, NAIVE], MIXED).astype(object)


def _empty(coverage: float) -> pd.DataFrame:
    """A forecast with no rows but the table's columns and types."""
    columns = forecast_columns(coverage)
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    for c in ("product_id", "region", "model"):
        frame[c] = frame[c].astype(object)
    for c in ("run_month", "target_month"):
        frame[c] = frame[c].astype("datetime64[ns]")
    return frame
