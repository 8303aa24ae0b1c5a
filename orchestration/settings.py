"""Configuration, resolved once from environment variables when definitions load.

Every setting has a documented default (see `.env.example`), so a fresh clone
runs with no configuration at all. Paths are made absolute here because dbt
runs as a subprocess in another working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# models.forecasting.reconcile.METHODS, repeated so settings load without numpy or scipy
RECONCILIATION_METHODS = ("bu", "ols", "wls_str", "wls_var")


@dataclass(frozen=True)
class Settings:
    """Where the platform reads and writes, and the knobs of the monthly run."""

    data_dir: Path
    landing_dir: Path
    first_month: date
    forecast_horizon: int
    # How the forecast levels are made to add up (models/forecasting/reconcile.py).
    forecast_reconciliation: str = "wls_var"
    # Processes statsforecast uses to fit the candidate models: from_env (so `sop run`)
    # defaults to min(2, cores); code that builds Settings itself (tests) gets one.
    forecast_jobs: int = 1
    # Chance that a month's demand is met from stock within the lead time (safety stock).
    service_level: float = 0.95
    # Yearly cost of holding one unit, as a fraction of its unit cost (supply plan).
    holding_rate: float = 0.20
    # The smallest S&OP action raised (fct_sop_exceptions): at least this many units AND
    # this much money in the reporting currency (docs/planning.md#materiality).
    materiality_units: float = 10.0
    materiality_amount: float = 1000.0

    @property
    def warehouse_path(self) -> Path:
        """The pipeline's own DuckDB database."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        """Folder of what BI tools read: sop.duckdb and parquet/."""
        return self.data_dir / "published"

    @property
    def published_db_path(self) -> Path:
        """The published DuckDB file (schema marts)."""
        return self.published_dir / "sop.duckdb"

    @property
    def reports_dir(self) -> Path:
        """The monthly S&OP meeting packs (sop-YYYY-MM.html)."""
        return self.data_dir / "reports"

    @property
    def validations_dir(self) -> Path:
        """GX validation results of every check, one JSON per run month and check."""
        return self.data_dir / "quality" / "validations"

    @property
    def quality_docs_dir(self) -> Path:
        """GX Data Docs of the checks, rebuilt after each run (index.html works offline)."""
        return self.data_dir / "docs" / "quality"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read `SOP_*` variables; relative paths resolve against the current directory."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("SOP_DATA_DIR", "data")).resolve()
        landing_dir = Path(env.get("SOP_LANDING_DIR", str(data_dir / "landing"))).resolve()
        first_month = parse_month(env.get("SOP_FIRST_MONTH", "2020-01"))
        horizon = int(env.get("SOP_FORECAST_HORIZON", "18"))
        if horizon < 1:
            raise ValueError(
                f"SOP_FORECAST_HORIZON must be a positive number of months, got {horizon}"
            )
        reconciliation = env.get("SOP_FORECAST_RECONCILIATION", "wls_var")
        if reconciliation not in RECONCILIATION_METHODS:
            raise ValueError(
                f"SOP_FORECAST_RECONCILIATION must be one of {RECONCILIATION_METHODS}, "
                f"got {reconciliation!r}"
            )
        jobs = int(env.get("SOP_FORECAST_JOBS", str(min(2, os.cpu_count() or 1))))
        if jobs < 1:
            raise ValueError(f"SOP_FORECAST_JOBS must be at least 1, got {jobs}")
        service_level = float(env.get("SOP_SERVICE_LEVEL", "0.95"))
        if not 0.5 < service_level < 1:
            raise ValueError(
                f"SOP_SERVICE_LEVEL must be between 0.5 and 1 (exclusive), got {service_level}"
            )
        holding_rate = float(env.get("SOP_HOLDING_RATE", "0.20"))
        if holding_rate < 0:
            raise ValueError(f"SOP_HOLDING_RATE must not be negative, got {holding_rate}")
        return cls(
            data_dir,
            landing_dir,
            first_month,
            horizon,
            reconciliation,
            jobs,
            service_level,
            holding_rate,
            materiality_units=_non_negative(env, "SOP_MATERIALITY_UNITS", "10"),
            materiality_amount=_non_negative(env, "SOP_MATERIALITY_AMOUNT", "1000"),
        )


def _non_negative(env: Mapping[str, str], name: str, default: str) -> float:
    """A number setting that must not be negative, with the setting named in the error."""
    text = env.get(name, default)
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not value >= 0:
        raise ValueError(f"{name} must not be negative, got {text}")
    return value


def parse_month(text: str) -> date:
    """`YYYY-MM` or `YYYY-MM-DD` to the first day of that month; a clear error otherwise."""
    try:
        parsed = date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        raise ValueError(f"not a month: {text!r} (expected YYYY-MM)") from None
    return parsed.replace(day=1)
