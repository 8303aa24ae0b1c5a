"""Accuracy of the demand forecast: public competition data, and held-out demo months.

1. **Public sets** (the default): M1 monthly (617 series, 18 months ahead) and
   Tourism monthly (366 series, 24 months ahead), each series a product with
   one region, run through the production path (``fit_base_forecasts``, the
   default forecaster and reconciliation; see ``bench/public_sets.py``) and
   scored on its held-out months with the competitions' sMAPE and MASE and
   the coverage of the 80% and 95% intervals. Beside it, in the same run,
   native statsforecast anchors: seasonal naive, AutoETS, AutoTheta,
   AutoARIMA and the mean of the last three. Then the product level before
   and after reconciliation, and each family's WAPE before and after.
2. **Demo data** (``--demo-warehouse``): the forecast is made as of several
   past run months from the history known then, and scored on the months
   that followed (lags 1 to 3) with the same code as ``fct_forecast_accuracy``
   (SPEC "Forecast error"): WAPE and FVA against seasonal naive for the
   portfolio and per family, for each reconciliation method.

Run::

    python -m bench.forecast_accuracy                      # M1 and Tourism, ~15 min
    python -m bench.forecast_accuracy --sets m1
    python -m bench.forecast_accuracy --sets --demo-warehouse data/warehouse.duckdb \\
        --runs 2026-05 2026-06 2026-07 2026-08

This is a measurement, not a test: it takes minutes (AutoARIMA, an anchor, is
most of it).
"""

from __future__ import annotations

import argparse
import time

import duckdb
import pandas as pd

from bench.public_sets import (
    ANCHORS,
    MEAN_OF_THREE,
    SETS,
    load_public_set,
    native_anchors,
    our_forecast,
)
from models.forecasting.accuracy import accuracy_summary, forecast_accuracy
from models.forecasting.demand import (
    DEFAULT_RECONCILIATION,
    default_forecaster,
    fit_base_forecasts,
)
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


def public_report(name: str, n_jobs: int, reconciliation: str) -> pd.DataFrame:
    """Print and return the table of one public set: ours beside every anchor."""
    data = load_public_set(name)
    started = time.perf_counter()
    anchors = native_anchors(data, n_jobs)
    anchor_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = our_forecast(data, default_forecaster(n_jobs), reconciliation)
    ours_s = time.perf_counter() - started
    rows = [scored.row(data, method) for method, scored in anchors.items()]
    rows.append(ours.products_base.row(data, "ours, before reconciliation"))
    rows.append(ours.products.row(data, f"ours ({reconciliation}, published)"))
    table = pd.DataFrame(rows)
    methods = [*ANCHORS, MEAN_OF_THREE]
    best = table[table["method"].isin(methods)][["smape", "mase"]].min()
    table["smape_vs_best_anchor"] = table["smape"] / best["smape"]
    table["mase_vs_best_anchor"] = table["mase"] / best["mase"]
    print(
        f"\n{name}: {len(data.product_ids)} series, horizon {data.horizon}; "
        f"anchors {anchor_s:.0f} s, ours {ours_s:.0f} s ({n_jobs} processes)"
    )
    print(table.drop(columns="set").to_string(index=False, float_format="%.3f"))
    print(f"models of ours: {ours.models.value_counts().to_dict()}")
    families = pd.DataFrame(ours.family_rows).drop(columns="set")
    print("families (and the portfolio, ALL): WAPE of the forecast before and after reconciliation")
    print(families.to_string(index=False, float_format="%.4f"))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=SETS)
    parser.add_argument("--reconciliation", default=DEFAULT_RECONCILIATION, choices=METHODS)
    parser.add_argument("--demo-warehouse", default="", help="also backtest this demo warehouse")
    parser.add_argument("--runs", nargs="+", default=["2026-05", "2026-06", "2026-07", "2026-08"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    for name in args.sets:
        public_report(name, args.n_jobs, args.reconciliation)
    if args.demo_warehouse:
        summary = demo_backtest(args.demo_warehouse, args.runs, tuple(args.methods), args.n_jobs)
        report_demo(summary)


if __name__ == "__main__":
    main()
