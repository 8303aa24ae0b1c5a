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
import warnings

import duckdb
import numpy as np
import pandas as pd

from models.forecasting.accuracy import accuracy_summary, forecast_accuracy
from models.forecasting.auto_select import AutoSelectForecaster
from models.forecasting.demand import default_forecaster, fit_base_forecasts
from models.forecasting.reconcile import METHODS


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


def public_series(
    horizon: int = 3, origins: int = 12, make_auto=AutoSelectForecaster
) -> pd.DataFrame:
    """Rolling-origin MAE/WAPE of the automatic choice vs automatic ETS on sktime's datasets."""
    from sktime.datasets import load_airline, load_shampoo_sales
    from sktime.forecasting.statsforecast import StatsForecastAutoETS

    rows = []
    for name, y in (("airline", load_airline()), ("shampoo", load_shampoo_sales())):
        y = y.astype(float)
        y.index = y.index.to_period("M") if not isinstance(y.index, pd.PeriodIndex) else y.index
        errors: dict[str, list[float]] = {"auto_select": [], "auto_ets": []}
        actual_sum = 0.0
        chosen = []
        for k in range(origins, 0, -1):
            cut = len(y) - k - horizon + 1
            train, test = y.iloc[:cut], y.iloc[cut : cut + horizon]
            fh = list(range(1, len(test) + 1))
            auto = make_auto().fit(train)
            chosen.append(auto.model_.iloc[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ets = StatsForecastAutoETS(season_length=12).fit(train)
            for key, forecaster in (("auto_select", auto), ("auto_ets", ets)):
                pred = forecaster.predict(fh=fh).to_numpy().ravel()
                errors[key].extend(np.abs(pred - test.to_numpy()))
            actual_sum += float(test.sum())
        for key, err in errors.items():
            rows.append(
                {
                    "series": name,
                    "method": key,
                    "origins": origins,
                    "horizon": horizon,
                    "mae": float(np.mean(err)),
                    "wape": float(np.sum(err) / actual_sum),
                    "models_chosen": ", ".join(sorted(set(chosen))) if key == "auto_select" else "",
                }
            )
    return pd.DataFrame(rows)


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
