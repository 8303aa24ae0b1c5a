"""The data folder's run lock: a second run stops at once and says who runs, or waits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from orchestration.resources import SopResource
from orchestration.run_lock import RunInProgressError, read_holder, run_lock

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.run_lock import run_lock
    with run_lock(Path(sys.argv[1]), "month 2026-09"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _hold_lock(data_dir: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the lock for `seconds` (returns once it holds it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_stops_at_once_naming_the_running_one(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path, 30)
    try:
        with pytest.raises(RunInProgressError) as raised, run_lock(tmp_path, "month 2026-10"):
            pytest.fail("the lock was taken twice")
        message = str(raised.value)
        assert f"another S&OP run is in progress on {tmp_path.resolve()}: month 2026-09" in message
        assert f"process {holder.pid} on " in message
        assert "changed nothing" in message and "--wait" in message
        assert read_holder(tmp_path).pid == holder.pid  # the running one's lock is untouched
        assert holder.poll() is None
    finally:
        holder.kill()
        holder.wait()


def test_wait_blocks_until_the_running_one_ends(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path, 1.5)
    said: list[str] = []
    with run_lock(tmp_path, "month 2026-10", wait=True, on_wait=said.append):
        assert read_holder(tmp_path).what == "month 2026-10"
    assert holder.wait(timeout=60) == 0  # it ran its block to the end, undisturbed
    assert len(said) == 1 and f"process {holder.pid}" in said[0]
    assert read_holder(tmp_path) is None  # released: no stale description


def test_the_lock_is_reentrant_in_a_process_and_released_after_the_outer_block(
    tmp_path: Path,
) -> None:
    with run_lock(tmp_path, "month 2026-09"):
        with run_lock(tmp_path, "month 2026-09"):  # the CLI, then its Dagster run
            pass
        assert read_holder(tmp_path).what == "month 2026-09"  # still held
    holder = _hold_lock(tmp_path, 0)  # another process can take it now
    assert holder.wait() == 0


def test_a_dagster_run_on_a_busy_data_folder_fails_with_the_message(tmp_path: Path) -> None:
    """UI and scheduled runs take the lock through the `sop` resource."""

    @dg.asset
    def needs_the_folder(sop: SopResource) -> int:
        return 1

    resource = SopResource(
        data_dir=str(tmp_path), landing_dir=str(tmp_path / "landing"), first_month="2020-01-01"
    )
    holder = _hold_lock(tmp_path, 30)
    try:
        result = dg.materialize(
            [needs_the_folder], resources={"sop": resource}, raise_on_error=False
        )
    finally:
        holder.kill()
        holder.wait()
    assert not result.success
    failure = result.get_run_failure_event().message + "".join(
        str(e.event_specific_data) for e in result.all_events if e.is_failure
    )
    assert "another S&OP run is in progress" in failure
    again = dg.materialize([needs_the_folder], resources={"sop": resource})
    assert again.success  # once the other process is gone
