"""Benchmark: our forecasting stage against native statsforecast on the same series.

For each demo scale, in a fresh subprocess (so peak memory is its own):

1. generate the demo landing and build ``marts.fct_demand_history`` with the
   real pipeline (ingest, checks and dbt, up to the demand history only);
2. **ours**: :func:`models.forecasting.demand.forecast_demand` for the last
   complete month, 18 months ahead with 80% and 95% intervals: the hierarchy,
   the combination per regular node and its calibrated intervals, the
   backtest and choice of short and intermittent nodes, the seasonal naive
   benchmark and the reconciliation, through sktime's interface;
3. **native**: statsforecast directly on the same node series, doing the work a
   statsforecast user would write for the same result: the members of the
   regular series' combination forecast with intervals, and fitted again on
   the calibration sample; for short and intermittent series the same
   backtest (``cross_validation`` with the same horizon, windows and refit
   policy) and an 18-month forecast of every candidate.

Both use the same number of processes. The ratio ours / native is the figure
to compare across machines (target: at most 1.2).

    python -m bench.forecast                  # scales 1 and 10
    python -m bench.forecast --scales 1       # any list
    python -m bench.forecast --warehouse data/warehouse.duckdb   # an existing warehouse
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, os, resource, sys, time, warnings
from datetime import date
from pathlib import Path
warnings.filterwarnings("ignore")
import dagster as dg
import duckdb
from bench.forecast import native_forecast, our_forecast

data_dir, scale, jobs = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
warehouse = sys.argv[4] if len(sys.argv) > 4 else ""
if not warehouse:
    from orchestration.definitions import build_definitions
    from orchestration.demo import generate_demo_landing
    from orchestration.monthly_run import MONTHLY_JOB_NAME
    from orchestration.settings import Settings

    summary = generate_demo_landing(
        data_dir / "landing", scale=scale, seed=0, end_month=date(2026, 9, 1)
    )
    settings = Settings(data_dir, data_dir / "landing", date(2020, 1, 1), 18)
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    # ingest, checks and the whole dbt project (a dbt subset would leave tests of
    # unselected models without their tables), but no forecast, plan or publish
    wanted = dg.AssetSelection.all() - dg.AssetSelection.groups(
        "forecasting", "planning", "publish"
    )
    job = defs.resolve_job_def(MONTHLY_JOB_NAME)
    job.execute_in_process(
        partition_key=summary.end_month.isoformat(),
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=list(wanted.resolve(graph)),
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )
    print(json.dumps({"warehouse": str(settings.warehouse_path)}))
    sys.exit(0)
con = duckdb.connect(warehouse, read_only=True)
history = con.execute(
    "select product_id, region, month, quantity from marts.fct_demand_history"
).df()
products = con.execute(
    "select product_id, family, launch_date, end_date from marts.dim_products"
).df()
con.close()
run = history["month"].max()
ours = our_forecast(history, products, run, jobs)
native = native_forecast(history, products, run, jobs)
print(json.dumps({
    "scale": scale,
    "run_month": str(run)[:7],
    "jobs": jobs,
    **ours,
    **native,
    "ratio": ours["ours_s"] / native["native_s"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def our_forecast(history, products, run, jobs: int) -> dict:
    """Time the platform's forecasting stage end to end."""
    import time

    from models.forecasting.demand import default_forecaster, forecast_demand

    started = time.perf_counter()
    result = forecast_demand(
        history, products, run, horizon=18, forecaster=default_forecaster(n_jobs=jobs)
    )
    return {
        "ours_s": time.perf_counter() - started,
        "nodes": len(result.nodes),
        "kinds": result.nodes["kind"].value_counts().to_dict(),
    }


def native_forecast(history, products, run, jobs: int) -> dict:
    """Time native statsforecast doing the same work: same series, models, backtests, intervals.

    Regular series: each member of the combination forecast 18 months with
    80% and 95% intervals, plus the same members fitted on the calibration
    sample cut at its origin. Short and intermittent series: the same
    backtest (``cross_validation`` with the same horizon, windows and refit
    policy) and an 18-month forecast of every candidate.
    """
    import time

    import numpy as np
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    from models.forecasting.auto_select import (
        CANDIDATES,
        INTERMITTENT,
        REGULAR,
        SHORT,
        AutoSelectForecaster,
        classify,
        long_frame,
        refit_groups,
    )
    from models.forecasting.calibration import holdout_steps, sample_columns, truncate
    from models.forecasting.demand import node_history

    _, values, _ = node_history(history, products, run)
    settings = AutoSelectForecaster()
    kind, n_obs = classify(values, settings._min_history, settings.intermittent_adi)
    span = settings.backtest_horizon + settings.backtest_windows - 1

    def statsforecast(names):
        return StatsForecast(
            models=[CANDIDATES[n].make(settings.sp, n) for n in names],
            freq=1,
            n_jobs=jobs,
            fallback_model=Naive(),  # as ours: AutoETS refuses tiny series
        )

    started = time.perf_counter()
    regular = np.flatnonzero(kind == REGULAR)
    if len(regular):
        statsforecast(settings.combine).forecast(
            h=18, df=long_frame(values, regular), level=[80, 95]
        )
        sample = sample_columns(regular, settings.calibration_series)
        steps = holdout_steps(n_obs[sample], 18, 2 * settings.sp)
        sample, steps = sample[steps > 0], steps[steps > 0]
        cut = truncate(values[:, sample], steps)
        statsforecast(settings.combine).forecast(
            h=18, df=long_frame(cut, np.arange(len(sample))), level=[80]
        )
    for series_kind, names in ((SHORT, settings.short), (INTERMITTENT, settings.intermittent)):
        columns = np.flatnonzero(kind == series_kind)
        if len(columns) == 0:
            continue
        backtested = (kind == series_kind) & (n_obs >= span + settings.min_train)
        # the same refit policy as ours: series under refit_below observations refit
        # every candidate at every origin, the others roll forward those that can
        refitted = n_obs < settings._refit_below
        for refit_all, rows in ((True, backtested & refitted), (False, backtested & ~refitted)):
            if not rows.any():
                continue
            for group, refit in refit_groups(names, refit_all=refit_all):
                statsforecast(group).cross_validation(
                    h=settings.backtest_horizon,
                    df=long_frame(values, np.flatnonzero(rows)),
                    n_windows=settings.backtest_windows,
                    refit=refit,
                )
        frame = long_frame(values, columns)
        with_intervals = [n for n in names if CANDIDATES[n].native_intervals]
        without = [n for n in names if not CANDIDATES[n].native_intervals]
        for group, level in ((with_intervals, [80, 95]), (without, None)):
            if group:
                statsforecast(group).forecast(h=18, df=frame, level=level)
    return {"native_s": time.perf_counter() - started}


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(scale: float, jobs: int, warehouse: str = "") -> dict:
    """Build the demo warehouse in one process, time both forecasts in a fresh one.

    The timing process has no Dagster or DuckDB threads running, so native
    statsforecast's forked workers start clean, as in a script.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if not warehouse:
            warehouse_path = _child(tmp, str(scale), str(jobs))["warehouse"]
        else:
            warehouse_path = warehouse
        result = _child(tmp, str(scale), str(jobs), warehouse_path)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[1.0, 10.0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--warehouse", default="", help="use this warehouse's demand history")
    args = parser.parse_args()
    scales = [0.0] if args.warehouse else args.scales
    print(f"{'scale':>6} {'nodes':>6} {'ours s':>8} {'native s':>9} {'ratio':>6} {'peak MB':>8}")
    for scale in scales:
        result = measure(scale, args.jobs, args.warehouse)
        print(
            f"{result['scale']:>6g} {result['nodes']:>6} {result['ours_s']:>8.1f} "
            f"{result['native_s']:>9.1f} {result['ratio']:>6.2f} {result['peak_rss_mb']:>8.0f}"
            f"   kinds {result['kinds']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
