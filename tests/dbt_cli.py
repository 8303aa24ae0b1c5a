"""The real dbt CLI on a test's own warehouse, for tests that build a few models."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.dbt_assets import AS_OF_MONTH_ENV, dbt_executable
from orchestration.dbt_config import DBT_PROJECT_DIR


def dbt(
    data_dir: Path, warehouse: Path, args: list[str], target: str = "target"
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` on `warehouse`; its target folder and logs go to `data_dir/target`.

    Not the project's target/, whose manifest the Dagster definitions read. The
    run month comes from the arguments (`--vars`, or a unit test's overrides),
    never from the caller's environment.
    """
    env = {**os.environ, "SOP_WAREHOUSE_PATH": str(warehouse)}
    env.pop(AS_OF_MONTH_ENV, None)
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(data_dir / target),
        "--log-path",
        str(data_dir / target),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def run_results(data_dir: Path, target: str = "target") -> list[dict]:
    """The results of the last invocation with this target folder (its run_results.json)."""
    return json.loads((data_dir / target / "run_results.json").read_text())["results"]


def run_dbt(
    data_dir: Path, warehouse: Path, args: list[str], dbt_vars: dict[str, object]
) -> list[dict]:
    """Run `dbt <args>` on `warehouse` with `dbt_vars`; assert exit 0; return run_results."""
    done = dbt(data_dir, warehouse, [*args, "--vars", json.dumps(dbt_vars), "--quiet"])
    # Error-severity data tests of the selected models fail the build (exit 1).
    assert done.returncode == 0, done.stdout + done.stderr
    return run_results(data_dir)
