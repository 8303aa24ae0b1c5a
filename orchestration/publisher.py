"""Write the published tables for BI tools: `published/sop.duckdb` and Parquet copies.

Readers must never see half a run and must never block the pipeline, so a
run writes a brand-new DuckDB file and a brand-new Parquet folder and then
swaps each into place with an atomic rename (the file) and an atomic symlink
replacement (the folder). A reader holding the old file keeps reading it.
The file is written in a storage format that DuckDB 1.4+ clients (the
drivers bundled in BI tools) can open. `marts.published_run` says which run
month the tables are as of, so an older month re-run later (a backfill)
never replaces the tables of a newer one.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from datetime import date
from pathlib import Path

import duckdb

# Published name -> relation in the warehouse. SPEC.md section 3 is the contract.
PUBLISHED_TABLES: dict[str, str] = {
    "dim_reps": "marts.dim_reps",
    "dim_accounts": "marts.dim_accounts",
    "dim_products": "marts.dim_products",
    "dim_territories": "marts.dim_territories",
    "fct_rep_kpis_monthly": "marts.fct_rep_kpis_monthly",
    "fct_quota_attainment": "marts.fct_quota_attainment",
    "fct_leaderboard": "marts.fct_leaderboard",
    "fct_funnel_monthly": "marts.fct_funnel_monthly",
    "fct_commissions": "marts.fct_commissions",
    "fct_region_bookings_monthly": "marts.fct_region_bookings_monthly",
    "fct_pipeline_snapshot": "marts.fct_pipeline_snapshot",
    "fct_pipeline_coverage": "marts.fct_pipeline_coverage",
    "fct_pipeline_waterfall": "marts.fct_pipeline_waterfall",
    "fct_opportunity_stages": "marts.fct_opportunity_stages",
    "fct_demand_history": "marts.fct_demand_history",
    "fct_demand_forecast": "forecasting.fct_demand_forecast",
    "fct_demand_forecast_family": "forecasting.fct_demand_forecast_family",
    "fct_pipeline_demand_signal": "forecasting.fct_pipeline_demand_signal",
    "fct_pipeline_signal_value": "forecasting.fct_pipeline_signal_value",
    "fct_forecast_accuracy": "forecasting.fct_forecast_accuracy",
    "fct_forecast_accuracy_summary": "forecasting.fct_forecast_accuracy_summary",
    "fct_forecast_backtest": "forecasting.fct_forecast_backtest",
    "fct_sales_forecast": "forecasting.fct_sales_forecast",
    "fct_demand_plan": "planning.fct_demand_plan",
    "fct_demand_plan_overrides": "planning.fct_demand_plan_overrides",
    "fct_demand_plan_accuracy": "planning.fct_demand_plan_accuracy",
    "fct_demand_plan_fva": "planning.fct_demand_plan_fva",
    "dim_scenarios": "planning.dim_scenarios",
    "fct_supply_plan": "planning.fct_supply_plan",
    "fct_capacity_utilization": "planning.fct_capacity_utilization",
    "fct_sop_summary": "planning.fct_sop_summary",
    "fct_sop_exceptions": "planning.fct_sop_exceptions",
    "dq_override_rejections": "planning.override_rejections",
    "dq_quarantine": "quality.quarantine",
    "dq_check_results": "quality.check_results",
}

STORAGE_VERSION = "v1.4.0"
RUN_TABLE = "published_run"


def published_run_month(published_dir: Path) -> date | None:
    """The run month of the tables now published, None if nothing is published yet."""
    path = published_dir / "sop.duckdb"
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(f"select max(run_month) from marts.{RUN_TABLE}").fetchone()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return row[0]


def publish(warehouse_path: Path, published_dir: Path, run_month: date) -> dict[str, int]:
    """Copy every published table out of the warehouse; returns row counts by table."""
    published_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    db_tmp = published_dir / f".sop.duckdb.{stamp}.tmp"
    parquet_version = published_dir / f".parquet-{stamp}"
    counts: dict[str, int] = {}
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse_path}' as wh (read_only)")
        con.execute(f"attach '{db_tmp}' as pub (storage_version '{STORAGE_VERSION}')")
        con.execute("create schema pub.marts")
        for name, relation in PUBLISHED_TABLES.items():
            con.execute(f"create table pub.marts.{name} as select * from wh.{relation}")
            counts[name] = con.execute(f"select count(*) from pub.marts.{name}").fetchone()[0]
            (parquet_version / name).mkdir(parents=True)
            con.execute(
                f"copy pub.marts.{name} to '{parquet_version / name / f'{name}.parquet'}' "
                "(format parquet)"
            )
        con.execute(
            f"create table pub.marts.{RUN_TABLE} as "
            "select cast(? as date) as run_month, current_timestamp as published_at",
            [run_month],
        )
        con.execute("detach pub")
    except Exception:
        db_tmp.unlink(missing_ok=True)
        shutil.rmtree(parquet_version, ignore_errors=True)
        raise
    finally:
        con.close()
    os.replace(db_tmp, published_dir / "sop.duckdb")
    _swap_symlink(published_dir / "parquet", parquet_version.name)
    _remove_old_versions(published_dir, keep={parquet_version.name})
    return counts


def _swap_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically (a leftover real folder is replaced once)."""
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    tmp_link = link.with_name(f".{link.name}.swap")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target)
    os.replace(tmp_link, link)


def _remove_old_versions(published_dir: Path, keep: set[str]) -> None:
    """Drop Parquet versions older than the previous one (a reader may still use that one)."""
    versions = sorted(p for p in published_dir.glob(".parquet-*") if p.name not in keep)
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)
