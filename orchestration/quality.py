"""Quality group: GX suites as asset checks, and the audit that nothing was lost at ingest."""

import dagster as dg
import pandas as pd

from expectations import SuiteFile, list_suites, run_suite
from orchestration.check_results import record_check_result
from orchestration.ingest import raw_asset_key
from orchestration.ingest_loader import QUARANTINE_TABLE, count_records, find_landing_file
from orchestration.landing_contract import LANDING_FILES
from orchestration.partitions import WAREHOUSE_POOL, partition_month, warehouse_asset
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
                partition_month(context),
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
            "Proves that nothing was lost at ingest: for every landing file, the records in the "
            "file (counted again here) = rows in raw + rows in quality.quarantine. Fails the "
            "run if the books do not balance."
        ),
    )
    def load_audit(context: dg.AssetExecutionContext, sop: SopResource) -> dg.MaterializeResult:
        counted = []
        with sop.warehouse(read_only=True) as con:
            for spec in LANDING_FILES:
                path = find_landing_file(sop.settings.landing_dir, spec)
                in_raw = con.execute(f"select count(*) from raw.{spec.name}").fetchone()[0]
                quarantined = con.execute(
                    f"select count(*) from {QUARANTINE_TABLE} where table_name = ?",
                    [f"raw.{spec.name}"],
                ).fetchone()[0]
                rows_read = count_records(con, path)
                counted.append((spec.relative_stem, rows_read, in_raw, quarantined))
        audit = pd.DataFrame(
            counted, columns=["landing_file", "rows_in_file", "rows_in_raw", "rows_quarantined"]
        )
        unbalanced = audit[audit.rows_in_file != audit.rows_in_raw + audit.rows_quarantined]
        if not unbalanced.empty:
            raise dg.Failure(
                "rows were lost at ingest (rows in file != rows in raw + rows quarantined): "
                + unbalanced.to_string(index=False)
            )
        return dg.MaterializeResult(
            metadata={
                "files": len(audit),
                "rows_in_files": int(audit.rows_in_file.sum()),
                "rows_quarantined": int(audit.rows_quarantined.sum()),
                "audit": dg.MetadataValue.md(audit.to_markdown(index=False)),
            }
        )

    return load_audit


def build_quality_defs(settings: Settings) -> dg.Definitions:
    """The quality group: the load audit, and one asset check per GX suite file."""
    return dg.Definitions(
        assets=[_load_audit_asset(settings)],
        asset_checks=[_suite_check(suite) for suite in list_suites()],
    )
