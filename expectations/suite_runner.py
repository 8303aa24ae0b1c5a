"""Run a stored GX suite on a pandas DataFrame.

GX cannot validate DuckDB through SQLAlchemy (every expectation fails with an
IndexError, great_expectations#11579), so the table is read into a DataFrame
and validated with GX's pandas data source. Each suite file is a native GX
1.x suite whose `meta` says which table it guards and how severe a failure is.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

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

    @classmethod
    def load(cls, path: Path) -> SuiteFile:
        """Read a suite file; its meta must name the table, the asset and the severity."""
        data = json.loads(path.read_text())
        meta = data.get("meta", {})
        severity = meta.get("severity", "error")
        if severity not in SEVERITIES:
            raise ValueError(f"{path}: meta.severity must be one of {SEVERITIES}, got {severity!r}")
        return cls(
            path=path,
            name=data["name"],
            table=meta["table"],
            asset_key=tuple(meta["asset_key"]),
            severity=severity,
            description=meta.get("description", ""),
            expectations=tuple(data["expectations"]),
        )


@dataclass(frozen=True)
class SuiteOutcome:
    """Result of one suite on one table, summarised for people and for `dq_check_results`."""

    passed: bool
    rows: int
    evaluated: int
    failures: tuple[str, ...]

    @property
    def observed(self) -> str:
        """One line for dq_check_results and the Dagster UI: what passed, or what failed and how."""
        if self.passed:
            return f"all {self.evaluated} expectations passed on {self.rows} rows"
        return (
            f"{len(self.failures)} of {self.evaluated} expectations failed on {self.rows} rows: "
            + "; ".join(self.failures)
        )


def list_suites(directory: Path = SUITES_DIR) -> list[SuiteFile]:
    """Every suite stored in `directory`, in file-name order (each becomes one asset check)."""
    return [SuiteFile.load(p) for p in sorted(directory.glob("*.json"))]


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


def run_suite(suite: SuiteFile, frame: pd.DataFrame) -> SuiteOutcome:
    """Validate `frame` with `suite` in an ephemeral GX context (nothing written to disk)."""
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
        expectations=[ExpectationConfiguration(**e).to_domain_obj() for e in suite.expectations],
    )
    validation = batch.validate(gx_suite)
    failures = tuple(_describe_failure(r) for r in validation.results if not r.success)
    return SuiteOutcome(
        passed=bool(validation.success),
        rows=len(frame),
        evaluated=len(validation.results),
        failures=failures,
    )
