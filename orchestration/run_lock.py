"""One run at a time per data folder, with a message a person understands when it is taken.

DuckDB lets one process write a database file; a second `sop run` (a cron job
while someone runs a month by hand, or a UI launch) used to die deep inside
ingest with DuckDB's raw "Conflicting lock is held". The lock here is taken
before anything is read or written, by the CLI and by every Dagster run (the
`sop` resource), so the second run stops at once and says which month is
running, since when and in which process, or waits for it when asked.

It is an advisory `flock` on `<data dir>/.sop-run.lock`: the operating system
releases it when the holder exits, even when killed, so a crash never leaves
a stale lock behind. The file's text (month, start time, process) is only
read while the lock is held by someone else.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

LOCK_FILE_NAME = ".sop-run.lock"

# Locks this process holds: path -> (open lock file, depth). A CLI run takes the
# lock, then the Dagster run inside the same process takes it again (the resource).
_held: dict[Path, tuple[IO[str], int]] = {}


class RunInProgressError(RuntimeError):
    """Another run holds the data folder; the message says which one."""


@dataclass(frozen=True)
class RunHolder:
    """Who holds the lock: what it runs, since when, where."""

    what: str
    started_at: str  # ISO 8601, UTC
    pid: int
    host: str
    command: str

    def describe(self, now: datetime | None = None) -> str:
        """`month 2026-09, started 2026-12-07 20:01:13 UTC (3 min ago), process 123 on host`."""
        started = datetime.fromisoformat(self.started_at)
        minutes = ((now or datetime.now(UTC)) - started).total_seconds() / 60
        return (
            f"{self.what}, started {started:%Y-%m-%d %H:%M:%S} UTC ({minutes:.0f} min ago), "
            f"process {self.pid} on {self.host} ({self.command})"
        )


def lock_path(data_dir: Path) -> Path:
    """The lock file of a data folder."""
    return Path(data_dir).resolve() / LOCK_FILE_NAME


def read_holder(data_dir: Path) -> RunHolder | None:
    """What the lock file says about its holder (None if absent or unreadable)."""
    try:
        return RunHolder(**json.loads(lock_path(data_dir).read_text()))
    except (OSError, ValueError, TypeError):
        return None


@contextmanager
def run_lock(
    data_dir: Path,
    what: str,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the data folder's run lock for the block.

    `what` names the run for others ("month 2026-09"). When another process
    holds the lock: raise `RunInProgressError` at once, or with `wait` block
    until it is released (telling `on_wait` who is being waited for).
    Re-entrant within a process.
    """
    path = lock_path(data_dir)
    if path in _held:
        handle, depth = _held[path]
        _held[path] = (handle, depth + 1)
        try:
            yield
        finally:
            _release(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _describe_holder(data_dir)
        if not wait:
            handle.close()
            raise RunInProgressError(
                f"another S&OP run is in progress on {path.parent}: {holder}. This run did "
                "not start and changed nothing; the running one and the published tables are "
                "untouched. Run again when it has finished, or with --wait to wait for it."
            ) from None
        if on_wait:
            on_wait(f"waiting for the S&OP run in progress on {path.parent}: {holder}")
        fcntl.flock(handle, fcntl.LOCK_EX)
    _write_holder(handle, what)
    _held[path] = (handle, 1)
    try:
        yield
    finally:
        _release(path)


def _describe_holder(data_dir: Path) -> str:
    # The holder writes its line right after taking the lock: give it a moment.
    for _ in range(20):
        holder = read_holder(data_dir)
        if holder is not None:
            return holder.describe()
        time.sleep(0.05)
    return "a run whose details could not be read"


def _write_holder(handle: IO[str], what: str) -> None:
    holder = {
        "what": what,
        "started_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200],
    }
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(holder))
    handle.flush()


def _release(path: Path) -> None:
    handle, depth = _held[path]
    if depth > 1:
        _held[path] = (handle, depth - 1)
        return
    del _held[path]
    handle.seek(0)
    handle.truncate()  # no stale description once released
    handle.flush()
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
