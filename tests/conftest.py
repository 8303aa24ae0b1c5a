"""Shared fixtures: settings on a temporary data folder, and real runs of the monthly job."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from orchestration.settings import Settings

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Runs in tests use an ephemeral Dagster instance, never the developer's DAGSTER_HOME.
os.environ.pop("DAGSTER_HOME", None)

FIXTURES = Path(__file__).parent / "fixtures"
TINY_LANDING = FIXTURES / "tiny_landing"


def make_settings(data_dir: Path, landing_dir: Path | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        landing_dir=landing_dir or data_dir / "landing",
        first_month=date(2020, 1, 1),
        forecast_horizon=18,
    )


def copy_landing(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture
def tiny_landing(tmp_path: Path) -> Path:
    """A writable copy of the hand-built landing folder (tests mutate it)."""
    return copy_landing(TINY_LANDING, tmp_path / "landing")


def load_parents(con, name: str, source: Path = TINY_LANDING) -> None:
    """Load the files that `name`'s row rules refer to (e.g. reps for opportunities) from
    `source`, so a test can load one landing file on its own."""
    from orchestration.ingest_loader import load_landing_file, quarantine_references
    from orchestration.landing_contract import LANDING_BY_NAME

    for ref in quarantine_references(LANDING_BY_NAME[name]):
        parent = ref.table.split(".")[1]
        if parent != name:
            load_parents(con, parent, source)
            load_landing_file(con, source, LANDING_BY_NAME[parent])


@dataclass(frozen=True)
class TinyBackfill:
    """What `sop backfill --from 2025-05 --to 2025-06` on the tiny landing left behind."""

    exit_code: int
    data_dir: Path
    reports: dict[date, object]  # run month -> RunReport

    @property
    def published(self) -> Path:
        return self.data_dir / "published" / "sop.duckdb"


@pytest.fixture(scope="session")
def tiny_backfill(tmp_path_factory: pytest.TempPathFactory) -> TinyBackfill:
    """The real `sop backfill` of May and June 2025 on the tiny landing, run once per session.

    A run of the whole graph costs about 45 s, so the backfill tests
    (accuracy by lag) and the tiny-landing tests (the June run's tables) share
    these two runs (per pytest-xdist worker: when the two files land on
    different workers, each runs the backfill once, in parallel). Bottom-up
    reconciliation keeps the forecasts hand-computable; two overrides of June
    are applied by May's plan and have expired by June's.
    The reports are recorded on their way through the CLI (the runs are real).
    """
    from orchestration import cli, monthly_run

    data_dir = tmp_path_factory.mktemp("tiny_backfill")
    landing = copy_landing(TINY_LANDING, data_dir / "landing")
    (landing / "planning").mkdir(exist_ok=True)
    (landing / "planning" / "overrides.csv").write_text(
        "product_id,family,month,adjustment_type,value,reason,submitted_by\n"
        "P1,,2025-06-01,units,-4,Customer delayed its order,Dana Whitfield\n"
        ",Valves,2025-06-01,pct,50,Promotion,Sven Adler\n"
    )
    reports = {}
    run = monthly_run.run_monthly_job

    def recorded(settings, month, **kwargs):
        reports[month] = report = run(settings, month, **kwargs)
        return report

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOP_DATA_DIR", str(data_dir))
        patch.setenv("SOP_LANDING_DIR", str(landing))
        patch.setenv("SOP_FORECAST_RECONCILIATION", "bu")
        patch.setattr(monthly_run, "run_monthly_job", recorded)
        code = cli.main(["backfill", "--from", "2025-05", "--to", "2025-06"])
    return TinyBackfill(code, data_dir, reports)


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before pytest-xdist starts its workers.

    Every worker loads the definitions, which parse dbt when the manifest is
    missing (a fresh clone); two workers parsing into the same target folder
    at once could leave a torn manifest.
    """
    if hasattr(config, "workerinput"):
        return
    from orchestration.dbt_assets import dbt_project, ensure_manifest

    ensure_manifest(dbt_project())
