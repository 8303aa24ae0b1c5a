"""A run that ends in the UI rebuilds the quality report, like `sop run` does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd

from expectations import list_suites, run_suite
from expectations.data_docs import CheckRecord, save_validation_result
from orchestration.definitions import build_definitions
from tests.conftest import make_settings


@dg.op
def _noop() -> None:
    return None


@dg.job
def _finished_job() -> None:
    _noop()


def test_the_after_run_sensor_rebuilds_the_quality_docs(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    suite = next(s for s in list_suites() if s.name == "raw_capacity")
    frame = pd.DataFrame(
        {"resource_id": ["R1"], "month": [pd.Timestamp("2025-06-01")], "available_hours": [-1.0]}
    )
    outcome = run_suite(suite, frame)
    record = CheckRecord(
        date(2025, 6, 1),
        "gx_raw_capacity",
        "raw.capacity",
        "error",
        outcome.passed,
        outcome.observed,
    )
    save_validation_result(settings.validations_dir, record, outcome.result)

    instance = dg.DagsterInstance.ephemeral()
    result = _finished_job.execute_in_process(
        instance=instance, tags={"dagster/partition": "2025-06-01"}
    )
    sensor = build_definitions(settings).get_sensor_def("quality_docs_after_success")
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_success_event(),
    )
    sensor(context)

    index = settings.quality_docs_dir / "index.html"
    text = index.read_text()
    assert "gx_raw_capacity" in text and "FAILED" in text
