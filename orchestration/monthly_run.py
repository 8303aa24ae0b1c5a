"""`sop run`: materialize the monthly graph for one partition in-process, then summarise it.

It executes the same job the UI and the schedule use, so a run from the
command line and a scheduled run cannot differ.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import dagster as dg
import duckdb

from expectations.data_docs import build_quality_docs
from orchestration.check_results import CHECK_RESULTS_TABLE
from orchestration.definitions import build_definitions
from orchestration.ingest_loader import LandingFileError, find_landing_file, landing_relation
from orchestration.landing_contract import LANDING_BY_NAME
from orchestration.publish import PUBLISH_ASSET_KEY
from orchestration.reports import MEETING_PACK_KEY
from orchestration.returns_summary import MonthReturns, render_returns, returns_by_month
from orchestration.schedules import MONTHLY_JOB_NAME
from orchestration.settings import Settings

STEP_END_EVENTS = {"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}
# Stages in the order data flows through them, for the timing line of the summary.
STAGE_ORDER = ("ingest", "quality", "dbt", "forecasting", "planning", "publish", "reports")


@dataclass
class RunReport:
    """What `sop run` prints: outcome, reason, timings, checks and published row counts."""

    month: date
    success: bool
    elapsed_seconds: float
    published: bool = False
    fail_on_warn: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    warnings_failed: list[str] = field(default_factory=list)
    check_findings: dict[str, str] = field(default_factory=dict)
    failure_reason: str = ""
    published_counts: dict[str, int] = field(default_factory=dict)
    settings: Settings | None = None
    log_path: Path | None = None
    publish_note: str = ""
    quarantined: dict[str, int] = field(default_factory=dict)
    returns: list[MonthReturns] = field(default_factory=list)
    quality_docs: Path | None = None
    quality_docs_note: str = ""
    meeting_pack: Path | None = None

    @property
    def exit_code(self) -> int:
        """As `dbt build` does it: 0 published with every blocking check passed (failed warn
        checks are listed, not fatal); 1 not published, or a failed warn check under
        `--fail-on-warn` (dbt's `--warn-error`)."""
        if not self.success:
            return 1
        return 1 if self.fail_on_warn and self.warnings_failed else 0

    @property
    def status(self) -> str:
        """FAILED, SUCCEEDED, or SUCCEEDED with the number of failed warn checks."""
        if not self.success:
            return "FAILED"
        if self.warnings_failed:
            return f"SUCCEEDED with {len(self.warnings_failed)} failed warn check(s)"
        return "SUCCEEDED"

    def render(self) -> str:
        """The summary `sop run` prints."""
        as_of = _month_end(self.month)
        lines = [
            f"S&OP run for {self.month:%Y-%m} (as of {as_of}) {self.status} "
            f"in {self.elapsed_seconds:.1f} s"
        ]
        if not self.success:
            lines.append(f"Reason: {self.failure_reason}")
        elif self.warnings_failed and self.fail_on_warn:
            lines.append(
                "Reason: the run published, but warn check(s) failed and --fail-on-warn is "
                "set, so it exits 1."
            )
        if self.stage_seconds:
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in self.stage_seconds.items())
            lines.append(f"Time by stage: {stages}")
        blocking = len(self.checks_failed) - len(self.warnings_failed)
        lines.append(
            f"Checks: {self.checks_passed} passed, {blocking} blocking failed, "
            f"{len(self.warnings_failed)} warn failed"
        )
        warned = set(self.warnings_failed)
        lines.extend(
            f"  {'warn' if name in warned else 'failed'}: {self.check_findings.get(name, name)}"
            for name in self.checks_failed
        )
        if self.published_counts and self.settings:
            lines.append(
                f"Published tables ({self.settings.published_db_path}, schema marts; "
                f"Parquet under {self.settings.published_dir / 'parquet'}):"
            )
            width = max(len(n) for n in self.published_counts)
            lines.extend(f"  {n:<{width}}  {c:>10,} rows" for n, c in self.published_counts.items())
        if self.publish_note:
            lines.append(f"Published tables not replaced: {self.publish_note}")
        if self.quarantined:
            total = sum(self.quarantined.values())
            lines.append(
                f"Quarantined: {total:,} row(s), kept with a reason in quality.quarantine "
                "(published as dq_quarantine):"
            )
            lines.extend(f"  {name}: {rows:,}" for name, rows in self.quarantined.items())
        lines.extend(render_returns(self.returns))
        if self.quality_docs:
            lines.append(f"Quality report (GX Data Docs): {self.quality_docs.as_uri()}")
        elif self.quality_docs_note:
            lines.append(f"Quality report not built: {self.quality_docs_note}")
        if self.meeting_pack:
            lines.append(f"S&OP meeting pack: {self.meeting_pack.as_uri()}")
        if self.log_path:
            lines.append(f"dbt log of this run: {self.log_path} (or run with --verbose)")
        return "\n".join(lines)


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def default_run_month(landing_dir: Path) -> date:
    """The last complete calendar month of the data (orders and activities)."""
    latest = []
    for name, column in (("orders", "order_date"), ("activities", "activity_at")):
        path = find_landing_file(landing_dir, LANDING_BY_NAME[name])
        con = duckdb.connect()
        with landing_relation(con, path, str(path.relative_to(landing_dir))):
            # A typo far in the future, or `infinity`, must not pick (or crash) the month.
            value = con.execute(
                f"select max(d) from (select try_cast(cast({column} as varchar) as date) as d "
                "from _landing_file) where isfinite(d) and d <= current_date"
            ).fetchone()[0]
        con.close()
        if value is not None:
            latest.append(value)
    if not latest:
        raise LandingFileError(f"no dated orders or activities in {landing_dir}")
    newest = max(latest)
    if _month_end(newest) == newest:
        return newest.replace(day=1)
    return (newest.replace(day=1) - timedelta(days=1)).replace(day=1)


def _instance() -> dg.DagsterInstance:
    """The instance in DAGSTER_HOME (runs then show in `dagster dev`), else an ephemeral one."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _stage_names(defs: dg.Definitions) -> dict[str, str]:
    """Op name -> the stage it belongs to, for timings: its asset group, checks under quality,
    and the dbt op (staging, intermediate and marts in one `dbt build`) under `dbt`."""
    names: dict[str, str] = {}
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.node_def is None:
            continue
        groups = set(assets_def.group_names_by_key.values())
        if not groups:
            stage = "quality"
        elif len(groups) == 1:
            stage = groups.pop()
        else:
            stage = "dbt"
        names[assets_def.node_def.name] = stage
    return names


class StageProgress:
    """Prints one line per stage as its last step ends (stage, seconds, assets, rows), so a
    long run is not silent until the summary; listens to the run's Dagster events."""

    def __init__(self, job: dg.JobDefinition, stages: dict[str, str], out: TextIO) -> None:
        self._stage_of = stages
        self._remaining = Counter(stages.get(n.name, n.name) for n in job.nodes)
        self._seconds: dict[str, float] = defaultdict(float)
        self._assets: dict[str, int] = defaultdict(int)
        self._rows: dict[str, int] = defaultdict(int)
        self._started: dict[str, float] = {}
        self._out = out

    def on_event(self, entry: dg.EventLogEntry) -> None:
        """Dagster's event listener: called for every event of the run, in order."""
        event = entry.dagster_event
        if event is None or event.step_key is None:
            return
        stage = self._stage_of.get(event.step_key, event.step_key)
        kind = event.event_type_value
        if kind == "STEP_START":
            self._started[event.step_key] = entry.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            self._assets[stage] += 1
            rows = event.step_materialization_data.materialization.metadata.get("dagster/row_count")
            self._rows[stage] += int(getattr(rows, "value", rows) or 0)
        elif kind in STEP_END_EVENTS:
            if event.step_key in self._started:
                self._seconds[stage] += entry.timestamp - self._started.pop(event.step_key)
            self._remaining[stage] -= 1
            if self._remaining[stage] == 0:
                self._print(stage)

    @property
    def stage_seconds(self) -> dict[str, float]:
        """Seconds of step time per stage that ran a step, in the order data flows."""
        order = {name: i for i, name in enumerate(STAGE_ORDER)}
        return dict(sorted(self._seconds.items(), key=lambda item: order.get(item[0], len(order))))

    def _print(self, stage: str) -> None:
        parts = [f"{self._seconds.get(stage, 0.0):.1f} s"]
        if self._assets[stage]:
            parts.append(f"{self._assets[stage]:,} asset(s)")
        if self._rows[stage]:
            parts.append(f"{self._rows[stage]:,} rows")
        print(f"{stage}: finished, {', '.join(parts)}", file=self._out, flush=True)


def _first_line(error: dg.SerializableErrorInfo | None) -> str:
    """The user-facing line of an error: the original exception's first line, no class name."""
    while error is not None and error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines() if error else []
    if not lines:
        return "unknown error"
    return re.sub(r"^[\w.]*(Error|Exception|Failure): ", "", lines[0]).strip()


def _check_name(evaluation: dg.AssetCheckEvaluation) -> str:
    return f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"


def _describe_check(evaluation: dg.AssetCheckEvaluation) -> str:
    """The check's name and what it found, e.g. `raw/orders:gx_raw_orders (0 rows ...)`."""
    metadata = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
    observed = metadata.get("observed")
    if observed is None and "dagster_dbt/failed_row_count" in metadata:
        observed = f"{metadata['dagster_dbt/failed_row_count']} failing row(s)"
    name = _check_name(evaluation)
    return f"{name} ({observed})" if observed else name


def _failure_reason(
    result: dg.ExecuteInProcessResult, failed: list[dg.AssetCheckEvaluation]
) -> str:
    """One paragraph for a person: what failed, what it found, what happened as a result."""
    blocking = [e for e in failed if e.severity == dg.AssetCheckSeverity.ERROR]
    if blocking:
        return (
            "blocking check(s) failed: "
            + "; ".join(_describe_check(e) for e in blocking)
            + ". The assets that depend on them did not run and the published tables were "
            "left as they were."
        )
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            return (
                f"step {event.step_key} failed: {_first_line(event.step_failure_data.error)}. "
                "The steps after it did not run and the published tables were left as they were."
            )
    return "the run did not succeed; see the Dagster event log."


def _last_runnable_month(job: dg.JobDefinition) -> date:
    return date.fromisoformat(job.partitions_def.get_last_partition_key())


def run_monthly_job(
    settings: Settings,
    month: date | None = None,
    verbose: bool = False,
    fail_on_warn: bool = False,
) -> RunReport:
    """Run the monthly job for `month` (default: the last complete month of the data).

    Dagster's and dbt's logs go to the console only when `verbose`; they are
    always in the run's event log (the Dagster UI when DAGSTER_HOME is set).
    `fail_on_warn` only changes the report's exit code, never what runs or publishes.
    """
    started = time.perf_counter()
    defs = build_definitions(settings)
    job = defs.resolve_job_def(MONTHLY_JOB_NAME)
    last = _last_runnable_month(job)
    if month is None:
        # Data dated in the future (a typo, a pre-dated order) must not pick an unended month.
        month = min(default_run_month(settings.landing_dir), last)
    if month < settings.first_month:
        raise ValueError(
            f"{month:%Y-%m} is before SOP_FIRST_MONTH ({settings.first_month:%Y-%m}); "
            "set SOP_FIRST_MONTH earlier to run it"
        )
    if month > last:
        raise ValueError(
            f"{month:%Y-%m} has not ended yet; the latest month that can be run is {last:%Y-%m}"
        )
    _forget_check_results(settings, month)
    instance = _instance()
    log_path = settings.data_dir / "logs" / f"run-{month:%Y-%m}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stages = _stage_names(defs)
    run_id = str(uuid.uuid4())  # known before the run starts, for the listener
    progress = StageProgress(job, stages, sys.stdout)
    instance.add_event_listener(run_id, progress.on_event)
    with contextlib.ExitStack() as stack:
        if not verbose:
            # dagster-dbt echoes dbt's log to stdout; keep it in a file instead.
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(log_path.open("w"))))
        result = job.execute_in_process(
            run_id=run_id,
            partition_key=month.isoformat(),
            instance=instance,
            raise_on_error=False,
            run_config={
                "loggers": {
                    "console": {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}}
                }
            },
        )
    evaluations = result.get_asset_check_evaluations()
    failed = sorted(
        (e for e in evaluations if not e.passed),
        key=lambda e: (e.asset_key.to_user_string(), e.check_name),
    )
    blocking_failed = [e for e in failed if e.severity == dg.AssetCheckSeverity.ERROR]
    report = RunReport(
        month=month,
        # As dbt build: failed warn checks are listed, they do not fail the run.
        success=result.success and not blocking_failed,
        elapsed_seconds=time.perf_counter() - started,
        fail_on_warn=fail_on_warn,
        stage_seconds=progress.stage_seconds,
        checks_passed=sum(e.passed for e in evaluations),
        checks_failed=[_check_name(e) for e in failed],
        warnings_failed=[_check_name(e) for e in failed if e not in blocking_failed],
        check_findings={_check_name(e): _describe_check(e) for e in failed},
        settings=settings,
        log_path=None if verbose else log_path,
    )
    if not report.success:
        report.failure_reason = _failure_reason(result, failed)
    report.quarantined = _quarantined_rows(settings)
    # The run month and the two before it: a normal level beside this month's.
    report.returns = returns_by_month(settings.warehouse_path, month, months=3)
    try:
        report.quality_docs = build_quality_docs(
            settings.validations_dir, settings.quality_docs_dir, month
        )
    except Exception as exc:  # the report must still say how the run went
        report.quality_docs_note = f"{type(exc).__name__}: {exc}"
    pack = _materialization_metadata(result, MEETING_PACK_KEY).get("path")
    report.meeting_pack = Path(str(pack)) if pack else None
    publish = _materialization_metadata(result, PUBLISH_ASSET_KEY)
    if publish.get("published"):
        report.published_counts = dict(publish["row_counts"])
    elif publish:
        report.publish_note = str(publish.get("reason", ""))
    return report


def _forget_check_results(settings: Settings, month: date) -> None:
    """Drop the month's earlier check outcomes, so a check this run skips (downstream of a
    failed blocking check) is not reported with an old "passed"."""
    shutil.rmtree(settings.validations_dir / f"{month:%Y-%m}", ignore_errors=True)
    if not settings.warehouse_path.exists():
        return
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute(f"delete from {CHECK_RESULTS_TABLE} where run_month = ?", [month])
    except duckdb.CatalogException:
        pass  # no check has run in this warehouse yet
    finally:
        con.close()


def _quarantined_rows(settings: Settings) -> dict[str, int]:
    """Rows quarantined per landing file by this run's ingest ({} when none, or no warehouse)."""
    if not settings.warehouse_path.exists():
        return {}
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(
            "select source_file, rows_quarantined from quality.load_log "
            "where rows_quarantined > 0 order by source_file"
        ).fetchall()
    except duckdb.CatalogException:
        rows = []
    finally:
        con.close()
    return dict(rows)


def _materialization_metadata(
    result: dg.ExecuteInProcessResult, key: dg.AssetKey
) -> dict[str, object]:
    """Metadata of this run's materialization of `key` (publish, the pack), {} if it did not run."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == key:
            return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    return {}
