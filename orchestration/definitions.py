"""The Dagster code location: assembles each domain's definitions, nothing else."""

from __future__ import annotations

import dagster as dg

from orchestration.dbt_assets import build_dbt_defs
from orchestration.forecasting import build_forecasting_defs
from orchestration.ingest import build_ingest_defs
from orchestration.planning import build_planning_defs
from orchestration.publish import build_publish_defs
from orchestration.quality import build_quality_defs
from orchestration.reports import build_reports_defs
from orchestration.resources import SopResource
from orchestration.sales_forecast import build_sales_forecast_defs
from orchestration.schedules import build_schedule_defs
from orchestration.sensors import build_sensor_defs
from orchestration.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every domain's definitions, merged, for one set of settings."""
    return dg.Definitions.merge(
        build_ingest_defs(settings),
        build_quality_defs(settings),
        build_dbt_defs(settings),
        build_forecasting_defs(settings),
        build_sales_forecast_defs(settings),
        build_planning_defs(settings),
        build_publish_defs(settings),
        build_reports_defs(settings),
        build_schedule_defs(settings),
        build_sensor_defs(settings),
        dg.Definitions(resources={"sop": SopResource.from_settings(settings)}),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by `dagster dev` and `dagster definitions validate`; settings come from the env."""
    return build_definitions(Settings.from_env())
