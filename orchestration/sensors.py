"""Sensors: rebuild the GX Data Docs when a run launched from the UI or the schedule ends.

`sop run` builds them itself at the end of its run; a run started in the
Dagster UI (or by the schedule) gets them from these sensors, which the
daemon of `dagster dev` evaluates. Both call the same builder, so the pages
are the same whichever way a month was run.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from expectations.data_docs import build_quality_docs
from orchestration.settings import Settings


def _builder(settings: Settings, status: dg.DagsterRunStatus, name: str) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        run_status=status,
        name=name,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Rebuilds $SOP_DATA_DIR/docs/quality (GX Data Docs) after a run ends.",
    )
    def _build(context: dg.RunStatusSensorContext) -> dg.SkipReason:
        partition = context.dagster_run.tags.get("dagster/partition")
        month = date.fromisoformat(partition) if partition else None
        if not settings.validations_dir.exists():
            return dg.SkipReason("no check has stored a validation result yet")
        index = build_quality_docs(settings.validations_dir, settings.quality_docs_dir, month)
        return dg.SkipReason(f"quality report rebuilt: {index.as_uri()}")

    return _build


def build_sensor_defs(settings: Settings) -> dg.Definitions:
    """The two sensors (after a successful and after a failed run) that rebuild Data Docs."""
    return dg.Definitions(
        sensors=[
            _builder(settings, dg.DagsterRunStatus.SUCCESS, "quality_docs_after_success"),
            _builder(settings, dg.DagsterRunStatus.FAILURE, "quality_docs_after_failure"),
        ]
    )
