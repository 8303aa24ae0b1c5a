"""Backtest accuracy of the demand forecast on held-out months (issue 5, item 7).

Two measurements, printed as tables:

1. **Demo data**: the forecast is made as of several past run months from the
   history known then, and scored on the months that followed (lags 1 to 3)
   with the same code as ``fct_forecast_accuracy`` (SPEC "Forecast error").
   WAPE and FVA against seasonal naive for the portfolio and per family, for
   each reconciliation method, from one base fit per run month.
2. **Public monthly series that sktime ships** (airline passengers, shampoo
   sales): rolling-origin backtest of :class:`AutoSelectForecaster` and of
   automatic ETS alone (sktime's ``StatsForecastAutoETS``), same origins and
   horizon, mean absolute error and WAPE.

Run (after ``make run`` has built the warehouse)::

    python -m bench.forecast_accuracy --warehouse data/warehouse.duckdb \\
        --runs 2026-05 2026-06 2026-07 2026-08

This is a measurement, not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import time

import duckdb
import pandas as pd

from models.forecasting.accuracy import accuracy_summary, forecast_accuracy
from models.forecasting.demand import default_forecaster, fit_base_forecasts
from models.forecasting.reconcile import METHODS
from models.forecasting.rolling_origin import AUTOMATIC_VS_ETS, rolling_origin_errors


def demo_backtest(
    warehouse: str, runs: list[str], methods: tuple[str, ...], n_jobs: int
) -> pd.DataFrame:
    """Summary rows (method, level, member_id, lag, wape, naive_wape, fva) over the runs."""
    con = duckdb.connect(warehouse, read_only=True)
    history = con.execute(
        "select product_id, region, month, quantity from marts.fct_demand_history"
    ).df()
    products = con.execute(
        "select product_id, family, launch_date, end_date from marts.dim_products"
    ).df()
    con.close()
    as_of = pd.to_datetime(history["month"]).max()
    forecasts: dict[str, list[pd.DataFrame]] = {m: [] for m in methods}
    for run in runs:
        started = time.perf_counter()
        fitted = fit_base_forecasts(
            history, products, run, horizon=3, forecaster=default_forecaster(n_jobs)
        )
        for method in methods:
            forecasts[method].append(fitted.reconciled(method).products)
        print(f"run {run}: base fit {time.perf_counter() - started:.1f} s", flush=True)
    families = products[["product_id", "family"]]
    parts = []
    for method, frames in forecasts.items():
        scored = forecast_accuracy(pd.concat(frames), history, as_of, families)
        parts.append(accuracy_summary(scored).assign(method=method))
    return pd.concat(parts, ignore_index=True)


def report_demo(summary: pd.DataFrame) -> None:
    """Portfolio WAPE/FVA per method and lag, and how many families beat seasonal naive."""
    portfolio = summary[summary["level"] == "portfolio"]
    table = portfolio.pivot_table(index="method", columns="lag", values=["wape", "fva"])
    print("\nportfolio, product totals summed (SPEC WAPE), by lag")
    print(
        portfolio[["method", "lag", "points", "wape", "naive_wape", "fva", "bias"]].to_string(
            index=False, float_format="%.3f"
        )
    )
    families = summary[summary["level"] == "family"]
    beat = families.assign(beats=families["fva"] > 0).groupby(["method", "lag"])["beats"]
    counts = pd.DataFrame({"families_beating_naive": beat.sum(), "families": beat.size()})
    print("\nfamilies with FVA > 0 (forecast beats seasonal naive)")
    print(counts.reset_index().to_string(index=False))
    del table


def public_series(horizon: int = 3, origins: int = 12) -> pd.DataFrame:
    """Rolling-origin MAE/WAPE of the automatic choice vs automatic ETS on sktime's datasets."""
    from sktime.datasets import load_airline, load_shampoo_sales

    parts = [
        rolling_origin_errors(y.astype(float), AUTOMATIC_VS_ETS, horizon, origins).assign(
            series=name
        )
        for name, y in (("airline", load_airline()), ("shampoo", load_shampoo_sales()))
    ]
    return pd.concat(parts, ignore_index=True)[
        ["series", "forecaster", "origins", "horizon", "mae", "wape", "models"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", default="data/warehouse.duckdb")
    parser.add_argument("--runs", nargs="+", default=["2026-05", "2026-06", "2026-07", "2026-08"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-public", action="store_true")
    args = parser.parse_args()
    if not args.skip_demo:
        summary = demo_backtest(args.warehouse, args.runs, tuple(args.methods), args.n_jobs)
        report_demo(summary)
    if not args.skip_public:
        print("\npublic series: rolling origin, automatic choice vs automatic ETS")
        print(public_series().to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
