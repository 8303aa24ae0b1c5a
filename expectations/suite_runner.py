"""Run a stored GX suite on a pandas DataFrame.

GX cannot validate DuckDB through SQLAlchemy (every expectation fails with an
IndexError, great_expectations#11579), so the table is read into a DataFrame
and validated with GX's pandas data source. Each suite file is a native GX
1.x suite whose `meta` says which table it guards and how severe a failure is.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.row_rules import Reference, canonical_sql

SUITES_DIR = Path(__file__).parent / "suites"
SEVERITIES = ("error", "warn")


@dataclass(frozen=True)
class SuiteFile:
    """A suite as stored: its GX content plus the table and asset it checks."""

    path: Path
    name: str
    table: str
    asset_key: tuple[str, ...]
    severity: str
    description: str
    expectations: tuple[dict[str, Any], ...]
    references: dict[str, Reference]
    query: str | None = None
    reads: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> SuiteFile:
        """Read a suite file; its meta must name the table, the asset and the severity.

        Optional meta: `query`, SQL whose result is validated instead of the
        whole table (`{run_month}` is replaced by the run month as a date
        literal), with `reads`, the other relations it joins; `parameters`,
        suite parameters that stand for another table's column (`{"table":
        ..., "column": ..., "file": ...}`), used by referential-integrity
        rules as `{"$PARAMETER": name}`.
        """
        data = json.loads(path.read_text())
        meta = data.get("meta", {})
        severity = meta.get("severity", "error")
        if severity not in SEVERITIES:
            raise ValueError(f"{path}: meta.severity must be one of {SEVERITIES}, got {severity!r}")
        references = {
            name: Reference(spec["table"], spec["column"], spec["file"])
            for name, spec in meta.get("parameters", {}).items()
        }
        return cls(
            path=path,
            name=data["name"],
            table=meta["table"],
            asset_key=tuple(meta["asset_key"]),
            severity=severity,
            description=meta.get("description", ""),
            expectations=tuple(data["expectations"]),
            references=references,
            query=meta.get("query"),
            reads=tuple(meta.get("reads", ())),
        )

    def _reference(self, expectation: dict[str, Any]) -> Reference | None:
        """The table an in_set expectation refers to through a suite parameter, if any."""
        value_set = expectation["kwargs"].get("value_set")
        if expectation["type"] != "expect_column_values_to_be_in_set":
            return None
        if not isinstance(value_set, dict):
            return None
        return self.references.get(value_set.get("$PARAMETER", ""))

    def runtime_expectations(self) -> list[dict[str, Any]]:
        """The expectations GX runs: references become a check on a derived column.

        GX copies an expectation's kwargs hundreds of times while validating, so an
        `in_set` against 50,000 ids costs seconds per suite. A reference
        `column in <table>.<target>` therefore runs as `<column>_not_in_<table>`
        (the value when it is missing there, computed in SQL by `frame_sql`) must
        be null, which reports the same unexpected values.
        """
        runtime = []
        for expectation in self.expectations:
            reference = self._reference(expectation)
            if reference is None:
                runtime.append(expectation)
                continue
            column = expectation["kwargs"]["column"]
            meta = {
                **expectation.get("meta", {}),
                "refers_to": f"{reference.table}.{reference.column}",
            }
            runtime.append(
                {
                    "type": "expect_column_values_to_be_null",
                    "kwargs": {"column": _missing_column(column, reference)},
                    "meta": meta,
                }
            )
        return runtime

    def columns(self) -> list[str]:
        """The columns the suite's expectations name, in first-mention order."""
        names: list[str] = []
        for expectation in self.expectations:
            kwargs = expectation["kwargs"]
            for key in ("column_set", "column_list"):
                names += list(kwargs.get(key, []))
            names += [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
        return list(dict.fromkeys(names))

    def frame_sql(self, run_month: date, aliases: dict[str, dict[str, str]]) -> str:
        """SQL for the frame to validate: the query; or the columns the suite names, with
        enumerations spelled canonically (as staging will read them, so 'Mid Market' counts
        as 'Mid-Market') and a `<column>_not_in_<table>` column per reference (see
        `runtime_expectations`). Extra landing columns are left out: they cannot be
        mistaken for a checked column, and the frame stays small."""
        if self.query:
            return self.query.replace("{run_month}", f"date '{run_month.isoformat()}'")
        spelled: dict[str, str] = {}
        derived = []
        for expectation in self.expectations:
            column = expectation["kwargs"].get("column")
            reference = self._reference(expectation)
            if reference is not None:
                quoted, missing = f'"{column}"', _missing_column(column, reference)
                derived.append(
                    f'case when {reference.missing(quoted)} then {quoted} end as "{missing}"'
                )
            if expectation.get("meta", {}).get("match") == "spelling":
                spelled[column] = canonical_sql(
                    f'"{column}"',
                    expectation["kwargs"]["value_set"],
                    aliases.get(expectation["meta"].get("aliases", ""), {}),
                )
        own = [f'{spelled[c]} as "{c}"' if c in spelled else f'"{c}"' for c in self.columns()]
        return f"select {', '.join((own or ['*']) + derived)} from {self.table}"

    @property
    def quarantine_expectations(self) -> list[dict[str, Any]]:
        """The expectations that are row rules, applied at ingest (see `row_rules`)."""
        return [e for e in self.expectations if e.get("meta", {}).get("quarantine")]

    @property
    def quarantine_references(self) -> list[Reference]:
        """The tables the row rules look rows up in (they must be loaded first)."""
        found = (self._reference(e) for e in self.quarantine_expectations)
        return [ref for ref in found if ref is not None]

    @property
    def relations_read(self) -> set[str]:
        """Every relation the check reads: its own, referenced tables, and those its query
        joins (`reads`)."""
        return {self.table, *self.reads, *(r.table for r in self.references.values())}


@dataclass(frozen=True)
class SuiteOutcome:
    """Result of one suite on one table, summarised for people and for `dq_check_results`."""

    passed: bool
    rows: int
    evaluated: int
    failures: tuple[str, ...]
    result: Any = field(default=None, compare=False, repr=False)  # GX's validation result

    @property
    def observed(self) -> str:
        """One line for dq_check_results and the Dagster UI: what passed, or what failed and how."""
        if self.passed:
            return f"all {self.evaluated} expectations passed on {self.rows} rows"
        return (
            f"{len(self.failures)} of {self.evaluated} expectations failed on {self.rows} rows: "
            + "; ".join(self.failures)
        )


def _missing_column(column: str, reference: Reference) -> str:
    """Name of the derived column holding `column`'s values missing from `reference`."""
    return f"{column}_not_in_{reference.table.split('.')[-1]}"


@functools.cache
def list_suites(directory: Path = SUITES_DIR) -> tuple[SuiteFile, ...]:
    """Every suite stored in `directory`, in file-name order (each becomes one asset check).

    Read once per process: the loader, the ingest assets' dependencies and the
    checks all ask for them, and the files only change with the code.
    """
    return tuple(SuiteFile.load(p) for p in sorted(directory.glob("*.json")))


def _describe_failure(result: Any) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
    detail = result.result or {}
    text = f"{config.type}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
    if "unexpected_count" in detail:
        examples = ", ".join(repr(v) for v in detail.get("partial_unexpected_list", [])[:3])
        text += f": {detail['unexpected_count']} unexpected (e.g. {examples})"
    elif "observed_value" in detail:
        text += f": observed {detail['observed_value']}"
    return text


def run_suite(
    suite: SuiteFile, frame: pd.DataFrame, parameters: dict[str, Any] | None = None
) -> SuiteOutcome:
    """Validate `frame` with `suite` in an ephemeral GX context (nothing written to disk).

    `parameters` gives the values of the suite's `$PARAMETER`s, e.g. the rep
    ids of `raw.reps` for a referential-integrity rule.
    """
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batch = (
        context.data_sources.add_pandas("sop")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    gx_suite = ExpectationSuite(
        name=suite.name,
        expectations=[
            ExpectationConfiguration(**e).to_domain_obj() for e in suite.runtime_expectations()
        ],
    )
    validation = batch.validate(
        gx_suite, expectation_parameters=parameters or {}, result_format="SUMMARY"
    )
    failures = tuple(_describe_failure(r) for r in validation.results if not r.success)
    return SuiteOutcome(
        passed=bool(validation.success),
        rows=len(frame),
        evaluated=len(validation.results),
        failures=failures,
        result=validation,
    )
