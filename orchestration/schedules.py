"""The monthly S&OP job and its schedule."""

from __future__ import annotations

import dagster as dg

from orchestration.partitions import monthly_partitions
from orchestration.settings import Settings

MONTHLY_JOB_NAME = "monthly_sop_job"


def build_schedule_defs(settings: Settings) -> dg.Definitions:
    """The monthly job over the whole graph and its schedule."""
    # In-process: the steps share one DuckDB file that allows a single writer, and each
    # step is short, so running them one after another in one process is also the fastest.
    job = dg.define_asset_job(
        MONTHLY_JOB_NAME,
        selection=dg.AssetSelection.all(),
        partitions_def=monthly_partitions(settings),
        executor_def=dg.in_process_executor,
        description="The whole monthly S&OP graph for one run month, ending with publish.",
    )
    schedule = dg.build_schedule_from_partitioned_job(
        job,
        name="monthly_sop",
        description="Early on the 2nd of each month: the run for the month just closed.",
        day_of_month=2,
        hour_of_day=6,
        minute_of_hour=0,
    )
    return dg.Definitions(jobs=[job], schedules=[schedule])
