"""Benchmark: `sop scenario` on a published run (issue 6 target: under a second at demo scale 1).

`sop scenario` reads the published baseline, applies the changes and solves
one supply-plan LP. This times, on the published file of a finished run:

* **baseline** (the reference measured in the same process): opening the
  published file and reading the plan's inputs, which any answer needs;
* **scenario**: the whole of :func:`orchestration.scenario_cli.run_adhoc_scenario`
  for a demand, a capacity and a launch change, each repeated, median kept.

It prints seconds, the ratio scenario / baseline, and the plan's size.

    SOP_DATA_DIR=data python -m bench.scenario            # after `make run`
    python -m bench.scenario --data-dir /tmp/demo1 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb

from orchestration.plan_inputs import published_plan_inputs
from orchestration.scenario_cli import run_adhoc_scenario
from orchestration.settings import Settings


def _median_seconds(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _read_inputs(published: Path):
    con = duckdb.connect(str(published), read_only=True)
    try:
        return published_plan_inputs(con)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="SOP_DATA_DIR of a finished run (default: env)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    settings = Settings.from_env({"SOP_DATA_DIR": args.data_dir} if args.data_dir else None)
    published = settings.published_db_path
    inputs = _read_inputs(published)
    family = str(inputs.products["family"].mode().iloc[0])
    resource = str(inputs.capacity["resource_id"].mode().iloc[0])
    first, last = inputs.months[0], inputs.months[min(5, len(inputs.months) - 1)]
    span = f"{first:%Y-%m}..{last:%Y-%m}"
    cases = {
        "demand +30%": [f"demand:family={family}:{span}:1.3"],
        "capacity -40%": [f"capacity:resource={resource}:{span}:0.6"],
        "launch": [
            f"launch:product=BENCH-NEW,family={family},resource={resource},hours=0.5,"
            f"price=100,cost=60,from={first:%Y-%m},qty=50"
        ],
    }
    baseline = _median_seconds(lambda: _read_inputs(published), args.repeat)
    print(
        f"published run {inputs.run_month:%Y-%m}: {len(inputs.products)} products x "
        f"{len(inputs.months)} months, {inputs.capacity['resource_id'].nunique()} resources"
    )
    print(f"{'case':<16}{'seconds':>10}{'ratio to read':>16}")
    print(f"{'read inputs':<16}{baseline:>10.3f}{1.0:>16.2f}")
    for name, changes in cases.items():
        seconds = _median_seconds(lambda c=changes: run_adhoc_scenario(published, c), args.repeat)
        print(f"{name:<16}{seconds:>10.3f}{seconds / baseline:>16.2f}")


if __name__ == "__main__":
    main()
