"""dbt group: every dbt model is an asset and every dbt test an asset check (`dbt build`)."""

import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.check_results import record_check_result
from orchestration.dbt_config import DBT_PROJECT_DIR
from orchestration.partitions import (
    ONE_MONTH_PER_RUN,
    WAREHOUSE_POOL,
    monthly_partitions,
    partition_month,
)
from orchestration.resources import SopResource
from orchestration.settings import Settings


class SopDbtTranslator(DagsterDbtTranslator):
    """Asset keys are `[schema, name]`, so `raw.orders` (a source) is the ingest asset `raw/orders`
    and `marts.fct_demand_history` is `marts/fct_demand_history`; groups follow the dbt folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """`[schema, name]`: sources land on the ingest assets, models on their schema."""
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The model's top folder under models/ (staging, intermediate, marts)."""
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"


def dbt_executable() -> str:
    """The `dbt` installed beside this interpreter, so an unactivated virtualenv works too."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_project() -> DbtProject:
    """The dbt project in `dbt_project/`, whose profiles.yml reads SOP_WAREHOUSE_PATH."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest(project: DbtProject) -> Path:
    """Parse the dbt project when its manifest is missing or older than any dbt source file.

    `DbtProject.prepare_if_dev()` only acts under `dagster dev`; `sop run`, the
    tests and CI load definitions directly and need the manifest too.
    """
    manifest = project.manifest_path
    sources = [
        p
        for folder in ("models", "macros", "tests")
        for p in (project.project_dir / folder).rglob("*")
        if p.is_file()
    ] + [project.project_dir / "dbt_project.yml"]
    newest = max(p.stat().st_mtime for p in sources)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        # dagster-dbt's own preparer looks for `dbt` on PATH only, hence this call.
        DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path
        ).wait()
    return manifest


@contextmanager
def _warehouse_env(path: Path) -> Iterator[None]:
    """dbt reads the warehouse path from `SOP_WAREHOUSE_PATH` (profiles.yml) in its subprocess."""
    previous = os.environ.get("SOP_WAREHOUSE_PATH")
    os.environ["SOP_WAREHOUSE_PATH"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOP_WAREHOUSE_PATH", None)
        else:
            os.environ["SOP_WAREHOUSE_PATH"] = previous


def _record_dbt_tests(sop: SopResource, month: Any, results: list[dg.AssetCheckResult]) -> None:
    """Store dbt test outcomes in quality.check_results, after dbt released the warehouse."""
    with sop.warehouse() as con:
        for result in results:
            failed_rows = result.metadata.get("dagster_dbt/failed_row_count")
            count = getattr(failed_rows, "value", failed_rows)
            observed = "passed" if result.passed else f"{count} failing row(s)"
            record_check_result(
                con,
                month,
                f"dbt_{result.check_name}",
                "/".join(result.asset_key.path),
                "error" if result.severity == dg.AssetCheckSeverity.ERROR else "warn",
                result.passed,
                observed,
            )


def build_dbt_defs(settings: Settings) -> dg.Definitions:
    """The dbt assets (one per model, tests as checks) and the `dbt` CLI resource."""
    project = dbt_project()
    manifest = ensure_manifest(project)

    @dbt_assets(
        manifest=manifest,
        project=project,
        name="sop_dbt",
        partitions_def=monthly_partitions(settings),
        dagster_dbt_translator=SopDbtTranslator(),
        pool=WAREHOUSE_POOL,
        backfill_policy=ONE_MONTH_PER_RUN,
    )
    def sop_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, sop: SopResource):
        """`dbt build` for the run month: models, then their tests, in dependency order."""
        month = partition_month(context)
        dbt_vars = json.dumps({"as_of_month": month.isoformat()})
        tests: list[dg.AssetCheckResult] = []
        try:
            with _warehouse_env(sop.settings.warehouse_path):
                for event in dbt.cli(["build", "--vars", dbt_vars], context=context).stream():
                    if isinstance(event, dg.AssetCheckResult):
                        tests.append(event)
                    yield event
        finally:
            _record_dbt_tests(sop, month, tests)

    return dg.Definitions(
        assets=[sop_dbt],
        resources={"dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable())},
    )
