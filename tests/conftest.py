"""Shared fixtures: settings on a temporary data folder, and real runs of the monthly job."""

from __future__ import annotations

import os
import shutil
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
