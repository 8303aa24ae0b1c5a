"""dbt group: every dbt model is an asset and every dbt test an asset check (`dbt build`).

A monthly run does only production work: dbt's unit tests (fixed inputs, checking the SQL
logic, not the month's data) run in CI (`make test`, tests/test_dbt_unit_tests.py), and dbt
keeps its parse from one run to the next (a stable target folder per data folder, and the
run month passed so that it does not invalidate the parse).
"""

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging import version

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


# dbt resource types a monthly run leaves out: unit tests check the models' SQL on fixed
# inputs, which does not change from month to month; CI runs them.
CI_ONLY_RESOURCE_TYPES = ("unit_test",)

# The environment variable that carries the run month to dbt (macros/as_of.sql). Not `--vars`:
# dbt re-parses the whole project whenever `--vars` differ from the previous invocation's.
AS_OF_MONTH_ENV = "SOP_AS_OF_MONTH"


def dbt_target_path(settings: Settings) -> Path:
    """dbt's target folder for the runs on one data folder: run_results.json, manifest.json,
    dbt.log and partial_parse.msgpack.

    dagster-dbt's default is a new folder per invocation, where dbt finds no saved parse and
    re-parses the whole project (about 10 s) every run. This one stays from run to run; it is
    per data folder because the saved parse holds the profile (the warehouse path), and runs
    on one data folder do not overlap.
    """
    return settings.data_dir / "dbt_target"


def dbt_build_args() -> list[str]:
    """The `dbt build` arguments of a monthly run: everything but the CI-only resource types.

    The run month is not among them (see `AS_OF_MONTH_ENV`).
    """
    args = ["build"]
    for resource_type in CI_ONLY_RESOURCE_TYPES:
        args += ["--exclude-resource-type", resource_type]
    return args


def dbt_executable() -> str:
    """The `dbt` installed beside this interpreter, so an unactivated virtualenv works too."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class SopDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without a `dbt --version` subprocess in every run.

    dagster-dbt asks the dbt executable for its version once per resource instance
    (every run) to tell dbt-core from the Fusion engine. `dbt --version` also asks
    pypi.org for the latest releases of dbt-core and the adapter (two requests with a
    1 s timeout) and cost about 7 s of each run here; a monthly run calls no network.
    dbt-core is a pinned dependency of this package, so its version is read in-process.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__

        return version.parse(__version__)


def dbt_project() -> DbtProject:
    """The dbt project in `dbt_project/`, whose profiles.yml reads SOP_WAREHOUSE_PATH."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest(project: DbtProject, warehouse_path: Path | None = None) -> Path:
    """Parse the dbt project when its manifest is missing or older than any dbt source file.

    `DbtProject.prepare_if_dev()` only acts under `dagster dev`; `sop run`, the
    tests and CI load definitions directly and need the manifest too. Loading the
    definitions again (every run does) does not parse again while no dbt file changed.

    dagster-dbt copies this parse (target/partial_parse.msgpack) into a run's target folder
    that has none yet, and dbt reuses it when the profile matches: parsing with the
    run's `warehouse_path` lets the first run on a data folder skip its own parse too.
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
        env = {} if warehouse_path is None else {"SOP_WAREHOUSE_PATH": str(warehouse_path)}
        with _dbt_env(env):
            # dagster-dbt's own preparer looks for `dbt` on PATH only, hence this call.
            SopDbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
                ["parse", "--quiet"], target_path=project.target_path
            ).wait()
    return manifest


@contextmanager
def _dbt_env(values: Mapping[str, str]) -> Iterator[None]:
    """Environment variables for the dbt subprocess, which inherits this process's environment:
    `SOP_WAREHOUSE_PATH` (profiles.yml) and the run month (`AS_OF_MONTH_ENV`)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _release_dbt_adapter() -> None:
    """Drop the dbt adapter dagster-dbt opened in this process for the invocation.

    `DbtCliResource.cli` registers a dbt adapter in-process (for row counts and
    column metadata) and leaves it in dbt's global adapter factory until the
    next call. Its connection manager holds a multiprocessing lock (a named
    POSIX semaphore from dbt's spawn context); left to interpreter exit it was
    reported by Python's resource tracker as "leaked semaphore objects" after
    the run's summary. Resetting the factory closes the adapter's connections
    and frees the lock while the run is still going.
    """
    from dbt.adapters.factory import reset_adapters

    reset_adapters()


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
    manifest = ensure_manifest(project, settings.warehouse_path)

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
        """`dbt build` for the run month: models, then their tests, in dependency order
        (no unit tests: CI runs them)."""
        month = partition_month(context)
        env = {
            "SOP_WAREHOUSE_PATH": str(sop.settings.warehouse_path),
            AS_OF_MONTH_ENV: month.isoformat(),
        }
        tests: list[dg.AssetCheckResult] = []
        try:
            with _dbt_env(env):
                invocation = dbt.cli(
                    dbt_build_args(), context=context, target_path=dbt_target_path(sop.settings)
                )
                for event in invocation.stream():
                    if isinstance(event, dg.AssetCheckResult):
                        tests.append(event)
                    yield event
        finally:
            _release_dbt_adapter()
            _record_dbt_tests(sop, month, tests)

    return dg.Definitions(
        assets=[sop_dbt],
        resources={"dbt": SopDbtCliResource(project_dir=project, dbt_executable=dbt_executable())},
    )
