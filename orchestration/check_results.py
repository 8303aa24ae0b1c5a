"""`quality.check_results`: one row per run month and check, published as `dq_check_results`."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from orchestration.warehouse import replace_rows

CHECK_RESULTS_TABLE = "quality.check_results"


def record_check_result(
    con: duckdb.DuckDBPyConnection,
    run_month: date,
    check_name: str,
    table_name: str,
    severity: str,
    passed: bool,
    observed: str,
) -> None:
    """Store a check's outcome for the run month, replacing an earlier run of the same month."""
    row = pd.DataFrame(
        {
            "run_month": [pd.Timestamp(run_month)],
            "check_name": [check_name],
            "table_name": [table_name],
            "severity": [severity],
            "passed": [passed],
            "observed": [observed],
            "checked_at": [pd.Timestamp.now(tz="UTC").tz_localize(None)],
        }
    )
    row["run_month"] = row["run_month"].dt.date
    replace_rows(
        con,
        CHECK_RESULTS_TABLE,
        row,
        "run_month = ? and check_name = ?",
        [run_month, check_name],
    )
