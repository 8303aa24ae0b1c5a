"""Quality group: GX suites as asset checks, and the audit that nothing was lost at ingest."""

import dagster as dg
import pandas as pd

from expectations import SuiteFile, list_suites, run_suite
from orchestration.check_results import record_check_result
from orchestration.ingest import raw_asset_key
from orchestration.ingest_loader import LOAD_LOG_TABLE, QUARANTINE_TABLE
from orchestration.landing_contract import LANDING_FILES
from orchestration.partitions import WAREHOUSE_POOL, run_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings


def _suite_check(suite: SuiteFile) -> dg.AssetChecksDefinition:
    """An asset check that runs `suite`; error severity blocks everything downstream."""
    blocking = suite.severity == "error"

    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset_key)),
        name=f"gx_{suite.name}",
        description=suite.description,
        blocking=blocking,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, sop: SopResource) -> dg.AssetCheckResult:
        with sop.warehouse() as con:
            frame = con.execute(f"select * from {suite.table}").df()
            outcome = run_suite(suite, frame)
            record_check_result(
                con,
                run_month(context),
                f"gx_{suite.name}",
                suite.table,
                suite.severity,
                outcome.passed,
                outcome.observed,
            )
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "observed": outcome.observed,
                "rows": outcome.rows,
                "expectations": outcome.evaluated,
                "suite_file": str(suite.path.name),
            },
        )

    return _check


def _load_audit_asset(settings: Settings) -> dg.AssetsDefinition:
    @warehouse_asset(
        settings,
        key=dg.AssetKey(["quality", "load_audit"]),
        group_name="quality",
        deps=[raw_asset_key(spec.name) for spec in LANDING_FILES],
        kinds={"duckdb"},
        description=(
            "Proves that nothing was lost at ingest: for every landing file, rows read = rows "
            "in raw + rows in quality.quarantine. Fails the run if the books do not balance."
        ),
    )
    def load_audit(context: dg.AssetExecutionContext, sop: SopResource) -> dg.MaterializeResult:
        counted = []
        with sop.warehouse(read_only=True) as con:
            log = con.execute(f"select * from {LOAD_LOG_TABLE} order by source_file").df()
            for row in log.itertuples():
                in_raw = con.execute(f"select count(*) from {row.table_name}").fetchone()[0]
                quarantined = con.execute(
                    f"select count(*) from {QUARANTINE_TABLE} where source_file = ?",
                    [row.source_file],
                ).fetchone()[0]
                counted.append((row.source_file, row.rows_read, in_raw, quarantined))
        audit = pd.DataFrame(
            counted, columns=["source_file", "rows_read", "rows_in_raw", "rows_quarantined"]
        )
        unbalanced = audit[audit.rows_read != audit.rows_in_raw + audit.rows_quarantined]
        if not unbalanced.empty:
            raise dg.Failure(
                "rows were lost at ingest (rows read != rows in raw + rows quarantined): "
                + unbalanced.to_string(index=False)
            )
        return dg.MaterializeResult(
            metadata={
                "files": len(audit),
                "rows_read": int(audit.rows_read.sum()),
                "rows_quarantined": int(audit.rows_quarantined.sum()),
                "audit": dg.MetadataValue.md(audit.to_markdown(index=False)),
            }
        )

    return load_audit


def build_quality_defs(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[_load_audit_asset(settings)],
        asset_checks=[_suite_check(suite) for suite in list_suites()],
    )
