"""The real dbt CLI on a test's own warehouse, for tests that build a few models."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.dbt_assets import dbt_executable
from orchestration.dbt_config import DBT_PROJECT_DIR


def run_dbt(
    data_dir: Path, warehouse: Path, args: list[str], dbt_vars: dict[str, object]
) -> list[dict]:
    """Run `dbt <args>` on `warehouse` with `dbt_vars`; assert exit 0; return run_results.

    Target and logs go under `data_dir`, not the project's target/, whose
    manifest the Dagster definitions read.
    """
    command = [
        dbt_executable(),
        *args,
        "--vars",
        json.dumps(dbt_vars),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(data_dir / "target"),
        "--log-path",
        str(data_dir / "logs"),
        "--quiet",
    ]
    env = {**os.environ, "SOP_WAREHOUSE_PATH": str(warehouse)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    # Error-severity data tests of the selected models fail the build (exit 1).
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((data_dir / "target" / "run_results.json").read_text())["results"]
