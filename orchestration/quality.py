"""Quality group: GX suites as asset checks, and the audit that nothing was lost at ingest."""

from datetime import date

import dagster as dg
import duckdb
import pandas as pd

from expectations import SuiteFile, list_suites, run_suite
from expectations.data_docs import CheckRecord, save_validation_result
from orchestration.check_results import record_check_result
from orchestration.dbt_config import configured_aliases
from orchestration.ingest import raw_asset_key
from orchestration.ingest_loader import QUARANTINE_TABLE, count_records, find_landing_file
from orchestration.landing_contract import LANDING_FILES
from orchestration.partitions import WAREHOUSE_POOL, partition_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings


def _relation_key(relation: str) -> dg.AssetKey:
    """Asset key of a warehouse relation: `schema.name` is the asset `schema/name`."""
    return dg.AssetKey(relation.split("."))


def suite_reads(suite: SuiteFile) -> list[dg.AssetKey]:
    """Assets besides its own that a suite reads: referenced tables and those its query joins."""
    own = dg.AssetKey(list(suite.asset_key))
    return sorted(
        (k for k in map(_relation_key, suite.relations_read) if k != own),
        key=lambda k: k.to_string(),
    )


def validate_suite(con: duckdb.DuckDBPyConnection, suite: SuiteFile, run_month: date, horizon: int):
    """Run `suite` on what it guards in the warehouse, for `run_month`."""
    frame = con.execute(suite.frame_sql(run_month, configured_aliases())).df()
    return run_suite(suite, frame, {"horizon": horizon})


def _suite_check(suite: SuiteFile) -> dg.AssetChecksDefinition:
    """An asset check that runs `suite`; error severity blocks everything downstream."""
    blocking = suite.severity == "error"

    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset_key)),
        name=f"gx_{suite.name}",
        description=suite.description,
        blocking=blocking,
        pool=WAREHOUSE_POOL,
        additional_deps=suite_reads(suite),
    )
    def _check(context: dg.AssetCheckExecutionContext, sop: SopResource) -> dg.AssetCheckResult:
        month = partition_month(context)
        with sop.warehouse() as con:
            outcome = validate_suite(con, suite, month, sop.forecast_horizon)
            record = CheckRecord(
                run_month=month,
                check_name=f"gx_{suite.name}",
                table_name=suite.table,
                severity=suite.severity,
                passed=outcome.passed,
                observed=outcome.observed,
            )
            record_check_result(
                con,
                month,
                record.check_name,
                record.table_name,
                record.severity,
                record.passed,
                record.observed,
            )
        # Kept for the run's GX Data Docs (built once the run is over, see `sop run`).
        save_validation_result(sop.settings.validations_dir, record, outcome.result)
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
                rows_read = count_records(
                    con, path, str(path.relative_to(sop.settings.landing_dir))
                )
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
