"""Monthly partitions: one partition per S&OP run month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import dagster as dg

from orchestration.settings import Settings

# Every asset that writes the warehouse runs in this pool; its limit is 1
# (see .dagster_home/dagster.yaml) because DuckDB allows a single writer.
WAREHOUSE_POOL = "warehouse"

# Each month is built with its own as-of date, so a backfill runs one month per run.
ONE_MONTH_PER_RUN = dg.BackfillPolicy.multi_run(1)


def monthly_partitions(settings: Settings) -> dg.MonthlyPartitionsDefinition:
    """Partitions from `SOP_FIRST_MONTH` to the last complete month (a month is run once closed)."""
    return dg.MonthlyPartitionsDefinition(start_date=settings.first_month.isoformat(), end_offset=0)


def warehouse_asset(settings: Settings, **asset_kwargs: Any) -> Callable[..., dg.AssetsDefinition]:
    """`dg.asset` for an asset of the monthly run that uses the warehouse.

    It is monthly-partitioned, runs in the single-writer pool, and backfills
    one month per run; keeping the three together means no asset forgets one.
    """
    return dg.asset(
        partitions_def=monthly_partitions(settings),
        pool=WAREHOUSE_POOL,
        backfill_policy=ONE_MONTH_PER_RUN,
        **asset_kwargs,
    )


def partition_month(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> date:
    """First day of the run month that this materialization or check is for.

    Checks are not partitioned (partitioned checks are a preview feature in
    Dagster 1.13), so they read the month from the run's partition tag.
    """
    if isinstance(context, dg.AssetCheckExecutionContext):
        return date.fromisoformat(context.op_execution_context.run.tags["dagster/partition"])
    return date.fromisoformat(context.partition_key)
