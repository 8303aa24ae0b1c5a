"""dbt's unit tests run here, in CI (`make test`), and not in the monthly run.

A unit test checks a model's SQL on fixed input rows (the `unit_tests:` of the
dbt_project yml files), so its outcome does not depend on the month's data: the
monthly run excludes them (`--exclude-resource-type unit_test`, see
tests/test_tiny_landing.py for the run side) and this module runs every one of
them with the real dbt CLI against a fresh DuckDB warehouse.

dbt reads the column types of each unit test's inputs from the warehouse, so the
models are first built empty (`dbt run --empty`) over the tiny landing loaded
into `raw`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from models.compensation import empty_tiers_frame
from orchestration.dbt_config import DBT_PROJECT_DIR
from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_FILES
from tests.conftest import TINY_LANDING
from tests.dbt_cli import dbt, run_results


def _dbt(data_dir: Path, target: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The dbt CLI on the warehouse of `data_dir`, with the target folder `target`."""
    return dbt(data_dir, data_dir / "warehouse.duckdb", list(args), target)


def _statuses(data_dir: Path, target: str) -> dict[str, str]:
    """unique_id -> status of every node the invocation ran (its run_results.json)."""
    return {result["unique_id"]: result["status"] for result in run_results(data_dir, target)}


def _unit_tests_in_yml() -> set[str]:
    """`unit_test.sop.<model>.<name>` of every unit test written in the project's yml files,
    read from the files themselves (not from dbt), so a unit test dbt skipped shows."""
    found = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            found.add(f"unit_test.sop.{test['model']}.{test['name']}")
    return found


@pytest.fixture(scope="module")
def empty_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose warehouse has `raw` (the tiny landing) and every model built empty."""
    data_dir = tmp_path_factory.mktemp("dbt_unit_tests")
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    try:
        for spec in LANDING_FILES:
            load_landing_file(con, TINY_LANDING, spec)
        con.register("_tiers", empty_tiers_frame())
        con.execute("create or replace table raw.comp_plan_tiers as select * from _tiers")
    finally:
        con.close()
    done = _dbt(data_dir, "target", "run", "--empty", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    return data_dir


def test_every_dbt_unit_test_runs_and_passes(empty_models: Path) -> None:
    done = _dbt(empty_models, "target", "test", "--select", "test_type:unit")
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = _statuses(empty_models, "target")
    expected = _unit_tests_in_yml()
    # About 30 unit tests at the time of writing; every one in the yml files ran, nothing else.
    assert len(expected) >= 28
    assert set(statuses) == expected
    assert set(statuses.values()) == {"pass"}


def test_a_failing_unit_test_fails_the_suite(empty_models: Path) -> None:
    # With Proposal weighted 0.6 instead of the default 0.5, June's Proposal deal of
    # fct_pipeline_snapshot's first unit test weighs 320 x 0.6 = 192, not the expected 160;
    # the override test expects exactly 0.6 and passes.
    done = _dbt(
        empty_models,
        "target_failing",
        "test",
        "--select",
        "fct_pipeline_snapshot,test_type:unit",
        "--vars",
        json.dumps({"stage_probabilities": {"Proposal": 0.6}}),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert _statuses(empty_models, "target_failing") == {
        "unit_test.sop.fct_pipeline_snapshot.test_fct_pipeline_snapshot": "fail",
        "unit_test.sop.fct_pipeline_snapshot.test_fct_pipeline_snapshot_probability_override": (
            "pass"
        ),
    }
    assert "Failure in unit_test test_fct_pipeline_snapshot" in done.stdout
