"""`sop validate`: check a landing folder the way a run would, without running the pipeline.

It loads every landing file with the same loader as the ingest assets, into
an in-memory DuckDB (the warehouse and the published tables are not touched),
and runs the same GX suites as the landing checks. So what it reports is what
a run would quarantine and which checks would fail, file by file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from expectations import list_suites
from models.compensation import CompPlanError, load_comp_plan
from orchestration.ingest import COMP_PLAN_FILE
from orchestration.ingest_loader import (
    QUARANTINE_TABLE,
    LoadResult,
    MissingReference,
    load_landing_file,
)
from orchestration.landing_contract import LANDING_FILES, LandingFile
from orchestration.landing_errors import LandingFileError
from orchestration.quality import validate_suite

EXAMPLES_PER_PROBLEM = 3

# Exit codes of `sop validate`.
PASSES, WOULD_STOP, WARNINGS = 0, 1, 3


@dataclass(frozen=True)
class CheckOutcome:
    """One GX suite's result on the loaded landing data."""

    name: str
    severity: str
    passed: bool
    observed: str


@dataclass
class FileReport:
    """What a run would do with one landing file."""

    name: str
    load: LoadResult | None = None
    error: str = ""
    problems: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)

    def render(self) -> list[str]:
        """Lines for the report: rows, problems by reason with examples, checks."""
        if self.error:
            return [f"CANNOT BE LOADED: {self.error}"]
        not_run = (
            [f"  checks not run (a file they read cannot be loaded): {', '.join(self.not_run)}"]
            if self.not_run
            else []
        )
        load = self.load
        assert load is not None
        lines = [
            f"{load.source_file} ({load.encoding}): {load.rows_read:,} rows read, "
            f"{load.rows_loaded:,} loaded, {load.rows_quarantined:,} quarantined"
        ]
        if load.extra_columns:
            lines.append(f"  extra columns (kept, ignored): {', '.join(load.extra_columns)}")
        for rule, column, count, examples in self.problems:
            lines.append(f"  {count:,} x {rule} in {column}, e.g.")
            lines.extend(f"      {example}" for example in examples)
        passed = [f"gx_{c.name} ({c.severity})" for c in self.checks if c.passed]
        if passed:
            lines.append(f"  checks passed: {', '.join(passed)}")
        lines.extend(
            f"  check FAILED: gx_{c.name} ({c.severity}): {c.observed}"
            for c in self.checks
            if not c.passed
        )
        return lines + not_run


@dataclass
class ValidationReport:
    """Per-file reports and the verdict: would a run pass, stop, or pass with warnings?"""

    landing_dir: Path
    files: list[FileReport]

    @property
    def blocking(self) -> list[str]:
        """File-level errors and failed error-severity checks: each stops a run."""
        return [f.error for f in self.files if f.error] + [
            f"gx_{c.name}"
            for f in self.files
            for c in f.checks
            if c.severity == "error" and not c.passed
        ]

    @property
    def warnings(self) -> list[str]:
        """Failed warn-severity checks: a run finishes and publishes, but reports them."""
        return [
            f"gx_{c.name}"
            for f in self.files
            for c in f.checks
            if c.severity == "warn" and not c.passed
        ]

    @property
    def exit_code(self) -> int:
        """0: a run would pass; 1: it would stop; 3: it would finish with failed warnings."""
        if self.blocking:
            return WOULD_STOP
        return WARNINGS if self.warnings else PASSES

    def render(self) -> str:
        """The report `sop validate` prints."""
        lines = [f"Landing folder {self.landing_dir}"]
        for report in self.files:
            lines.extend(report.render())
        quarantined = sum(f.load.rows_quarantined for f in self.files if f.load)
        if self.blocking:
            verdict = "a run would STOP: " + "; ".join(self.blocking)
        elif self.warnings:
            verdict = "a run would finish and publish, but these warn checks fail: " + ", ".join(
                self.warnings
            )
        else:
            verdict = "a run would pass every landing check"
        lines.append(f"Verdict: {verdict} ({quarantined:,} row(s) would be quarantined).")
        return "\n".join(lines)


def _problems(
    con: duckdb.DuckDBPyConnection, spec: LandingFile
) -> list[tuple[str, str, int, list[str]]]:
    """Quarantined rows of a file grouped by rule and column, with the first examples."""
    rows = con.execute(
        f"select rule, column_name, row_number, reason from {QUARANTINE_TABLE} "
        "where table_name = ? order by row_number",
        [f"raw.{spec.name}"],
    ).fetchall()
    counts: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    for rule, column, row_number, reason in rows:
        counts[(rule, column)] += 1
        shown = examples.setdefault((rule, column), [])
        if len(shown) < EXAMPLES_PER_PROBLEM:
            shown.append(f"row {row_number}: {reason}")
    return [
        (rule, column, n, examples[(rule, column)]) for (rule, column), n in counts.most_common()
    ]


def _load_files(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> list[FileReport]:
    reports = []
    for spec in LANDING_FILES:
        report = FileReport(spec.relative_stem)
        try:
            report.load = load_landing_file(con, landing_dir, spec)
            report.name = report.load.source_file
            report.problems = _problems(con, spec)
        except LandingFileError as exc:
            report.error = str(exc)
        except MissingReference as exc:
            report.error = (
                f"{spec.relative_stem}: not checked, it refers to "
                f"{exc.reference.source_file}, which cannot be loaded"
            )
        reports.append(report)
    return reports


def _comp_plan_report(landing_dir: Path) -> FileReport | None:
    path = landing_dir / COMP_PLAN_FILE
    if not path.exists():
        return None
    report = FileReport(COMP_PLAN_FILE)
    try:
        tiers = load_comp_plan(path).tiers_frame()
    except CompPlanError as exc:
        report.error = str(exc)
        return report
    report.load = LoadResult(COMP_PLAN_FILE, len(tiers), len(tiers), 0, (), "yaml")
    return report


def validate_landing(
    landing_dir: Path, horizon: int = 18, con: duckdb.DuckDBPyConnection | None = None
) -> ValidationReport:
    """Load and check every landing file of `landing_dir` in memory; nothing else is touched.

    `con` is the (in-memory) database to load into, kept open for the caller to
    look at the raw and quarantine tables; by default a fresh one, closed after.
    """
    own = con is None
    con = duckdb.connect() if con is None else con
    try:
        con.execute("set TimeZone = 'UTC'")
        files = _load_files(con, landing_dir)
        by_table = {
            f"raw.{spec.name}": report for spec, report in zip(LANDING_FILES, files, strict=True)
        }
        failed_tables = {table for table, report in by_table.items() if report.error}
        for suite in list_suites():
            report = by_table.get(suite.table)
            if report is None:
                continue
            if suite.relations_read & failed_tables:
                report.not_run.append(f"gx_{suite.name}")
                continue
            outcome = validate_suite(con, suite, date.today().replace(day=1), horizon)
            report.checks.append(
                CheckOutcome(suite.name, suite.severity, outcome.passed, outcome.observed)
            )
    finally:
        if own:
            con.close()
    plan = _comp_plan_report(landing_dir)
    return ValidationReport(landing_dir, files + ([plan] if plan else []))
