"""`sop run` as a scheduler and an on-call engineer see it: exit codes as `dbt build`, the
summary printed last with nothing after it, and a second run on the same folder refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.monthly_run import RunReport
from orchestration.run_lock import read_holder

SOP = Path(sys.executable).parent / "sop"


def _report(**kwargs) -> RunReport:
    fields = {"month": date(2025, 6, 1), "success": True, "elapsed_seconds": 1.0}
    return RunReport(**(fields | kwargs))


def test_exit_codes_follow_dbt_build() -> None:
    warned = {"checks_failed": ["raw/activities:gx_raw_activities"]}
    warned["warnings_failed"] = warned["checks_failed"]
    assert _report().exit_code == 0
    assert _report(**warned).exit_code == 0  # published, a warn check failed: listed only
    assert _report(**warned, fail_on_warn=True).exit_code == 1  # dbt's --warn-error
    assert _report(fail_on_warn=True).exit_code == 0  # nothing to warn about
    assert _report(success=False, failure_reason="step x failed").exit_code == 1
    text = _report(**warned, check_findings={"raw/activities:gx_raw_activities": "... (0 rows)"})
    assert text.render().splitlines()[:3] == [
        "S&OP run for 2025-06 (as of 2025-06-30) SUCCEEDED with 1 failed warn check(s) in 1.0 s",
        "Checks: 0 passed, 0 blocking failed, 1 warn failed",
        "  warn: ... (0 rows)",
    ]


@pytest.fixture
def env(tiny_landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A landing folder with a header-only crm/activities.csv (a company that logs none)."""
    activities = tiny_landing / "crm" / "activities.csv"
    activities.write_text(activities.read_text().splitlines()[0] + "\n")
    values = {"SOP_DATA_DIR": str(tmp_path), "SOP_LANDING_DIR": str(tiny_landing)}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return os.environ | values


def _published_month(data_dir: Path) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "published" / "sop.duckdb"), read_only=True)
    try:
        return con.execute("select max(run_month) from marts.fct_demand_plan").fetchall()
    finally:
        con.close()


def test_warn_checks_publish_exit_0_summary_last_and_a_second_run_is_refused(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = subprocess.Popen(
        [str(SOP), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        while (holder := read_holder(tmp_path)) is None or holder.pid != first.pid:
            assert first.poll() is None, first.communicate()
            time.sleep(0.1)
        # A manual run while the scheduled one runs: stopped at once, with who runs.
        assert cli.main(["run", "--month", "2025-06"]) == 1
        refused = capsys.readouterr()
        assert first.poll() is None  # the first one is still running, untouched
    finally:
        stdout, stderr = first.communicate(timeout=1200)
    assert refused.out == ""
    assert refused.err.startswith(
        f"S&OP run not started: another S&OP run is in progress on {tmp_path.resolve()}: "
        "the last complete month, started "
    )
    assert f"process {first.pid} on " in refused.err

    assert first.returncode == 0, stdout + stderr
    assert stderr == ""  # no tracebacks, no warnings from worker pools at exit
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("S&OP run for 2025-06"))
    assert lines[start].startswith("S&OP run for 2025-06 (as of 2025-06-30) SUCCEEDED with ")
    assert lines[-1].startswith("dbt log of this run: ")  # the summary's last line is the tail
    # Before it, only the stage lines, one per stage as it finished, in finishing order.
    stage_line = re.compile(r"^(\w+): finished, \d+\.\d s(, [\d,]+ asset\(s\))?(, [\d,]+ rows)?$")
    assert all(stage_line.match(line) for line in lines[:start]), lines[:start]
    finished = [line.split(":")[0] for line in lines[:start]]
    assert sorted(finished) == sorted(set(finished))  # each stage once
    assert {"ingest", "dbt", "forecasting", "planning", "publish", "reports"} <= set(finished)
    assert finished.index("ingest") < finished.index("dbt") < finished.index("publish")
    assert not any(stage_line.match(line) for line in lines[start:])
    summary = "\n".join(lines[start:])
    assert "  warn: raw/activities:" in summary
    assert "fct_demand_plan" in summary  # it published
    assert _published_month(tmp_path) == [(date(2025, 6, 1),)]

    # dbt's --warn-error: the same run publishes again and exits 1, saying why.
    assert cli.main(["run", "--fail-on-warn"]) == 1
    out = capsys.readouterr().out
    assert "SUCCEEDED with " in out
    assert "warn check(s) failed and --fail-on-warn is set, so it exits 1" in out
