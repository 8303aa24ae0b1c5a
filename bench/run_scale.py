"""Benchmark: demo generation and the whole `sop run` at several demo scales.

Each scale runs in a fresh subprocess (so peak memory is its own) on a fresh
data folder. Times are reported in seconds and as a ratio to the first scale
measured in the same run, which is the baseline: compare ratios, not seconds,
across machines.

    python -m bench.run_scale                 # scales 1 and 10
    python -m bench.run_scale --scales 1 3    # any list
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, resource, sys, time
from datetime import date
from pathlib import Path
from orchestration.demo import generate_demo_landing
from orchestration.monthly_run import run_monthly_job
from orchestration.settings import Settings

data_dir, scale = Path(sys.argv[1]), float(sys.argv[2])
started = time.perf_counter()
summary = generate_demo_landing(
    data_dir / "landing", scale=scale, seed=0, end_month=date(2026, 9, 1)
)
generated = time.perf_counter() - started
# as `sop run` configures itself (forecast processes: min(2, cores)), not the
# dataclass defaults, which give tests a single forecast process
settings = Settings.from_env({"SOP_DATA_DIR": str(data_dir), "SOP_FIRST_MONTH": "2020-01"})
report = run_monthly_job(settings, summary.end_month)
print(json.dumps({
    "scale": scale,
    "rows": sum(summary.row_counts.values()),
    "generate_s": generated,
    "run_s": report.elapsed_seconds,
    "success": report.success,
    "stages": report.stage_seconds,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure(scale: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, tmp, str(scale)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    results = [measure(s) for s in args.scales]
    base = results[0]
    header = ("scale", "rows", "generate s", "run s", "run ratio", "peak MB")
    print("{:>6} {:>12} {:>11} {:>8} {:>10} {:>8}".format(*header))
    for r in results:
        print(
            f"{r['scale']:>6g} {r['rows']:>12,} {r['generate_s']:>11.1f} {r['run_s']:>8.1f} "
            f"{r['run_s'] / base['run_s']:>10.2f} {r['peak_rss_mb']:>8.0f}"
            + ("" if r["success"] else "  (run FAILED)")
        )
        print("        stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in r["stages"].items()))


if __name__ == "__main__":
    main()
