"""The `sop` resource: paths and run settings shared by every asset."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import warehouse
from orchestration.run_lock import run_lock
from orchestration.settings import Settings, parse_month


class SopResource(dg.ConfigurableResource):
    """Where the landing folder, the warehouse and the published outputs live."""

    data_dir: str
    landing_dir: str
    first_month: str
    forecast_horizon: int = 18
    forecast_reconciliation: str = "wls_var"
    forecast_jobs: int = 1
    service_level: float = 0.95
    holding_rate: float = 0.20
    materiality_units: float = 10.0
    materiality_amount: float = 1000.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SopResource:
        """The resource for settings resolved from the environment at load time."""
        return cls(
            data_dir=str(settings.data_dir),
            landing_dir=str(settings.landing_dir),
            first_month=settings.first_month.isoformat(),
            forecast_horizon=settings.forecast_horizon,
            forecast_reconciliation=settings.forecast_reconciliation,
            forecast_jobs=settings.forecast_jobs,
            service_level=settings.service_level,
            holding_rate=settings.holding_rate,
            materiality_units=settings.materiality_units,
            materiality_amount=settings.materiality_amount,
        )

    @property
    def settings(self) -> Settings:
        """The resource's fields as `Settings`, for code that takes plain settings."""
        return Settings(
            data_dir=Path(self.data_dir),
            landing_dir=Path(self.landing_dir),
            first_month=parse_month(self.first_month),
            forecast_horizon=self.forecast_horizon,
            forecast_reconciliation=self.forecast_reconciliation,
            forecast_jobs=self.forecast_jobs,
            service_level=self.service_level,
            holding_rate=self.holding_rate,
            materiality_units=self.materiality_units,
            materiality_amount=self.materiality_amount,
        )

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[SopResource]:
        """Hold the data folder's run lock for the whole run (see `run_lock`): a UI or
        scheduled run and a `sop run` on one folder never write the warehouse together."""
        run = context.dagster_run
        month = run.tags.get("dagster/partition", "") if run else ""
        what = f"month {month[:7]}" if month else "a run"
        if run:
            what += f" (Dagster run {run.run_id[:8]})"
        with run_lock(Path(self.data_dir), what):
            yield self

    @contextmanager
    def warehouse(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A warehouse connection that is closed when the block ends, even on error."""
        with warehouse.connect(self.settings.warehouse_path, read_only=read_only) as con:
            yield con
