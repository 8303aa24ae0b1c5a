"""The landing-file contract of SPEC.md section 1, in code.

One place says which files a landing folder holds, which columns each must
have, their declared types in `raw`, which columns are keys and which may be
empty. Ingestion, the demo generator and the tests all read it, so the
contract cannot drift between them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A required landing column and the DuckDB type it is loaded as."""

    name: str
    type: str = "VARCHAR"
    nullable: bool = False


@dataclass(frozen=True)
class LandingFile:
    """One landing file: `<folder>/<name>.csv` or `.parquet`, loaded into `raw.<name>`."""

    folder: str
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def relative_stem(self) -> str:
        """Path inside the landing folder without extension, e.g. `crm/reps`."""
        return f"{self.folder}/{self.name}"

    @property
    def column_names(self) -> list[str]:
        """The required column names, in contract order."""
        return [c.name for c in self.columns]


MONEY = "DECIMAL(18,2)"
QTY = "DOUBLE"


def _c(name: str, type_: str = "VARCHAR", nullable: bool = False) -> Column:
    return Column(name, type_, nullable)


LANDING_FILES: tuple[LandingFile, ...] = (
    LandingFile(
        "crm",
        "reps",
        (
            _c("rep_id"),
            _c("rep_name"),
            _c("team"),
            _c("region"),
            _c("role"),
            _c("manager_id", nullable=True),
            _c("hire_date", "DATE"),
            _c("end_date", "DATE", nullable=True),
        ),
        key=("rep_id",),
    ),
    LandingFile(
        "crm",
        "territories",
        (
            _c("territory_id"),
            _c("territory_name"),
            _c("region"),
            _c("owner_rep_id"),
            _c("annual_potential", MONEY),
        ),
        key=("territory_id",),
    ),
    LandingFile(
        "crm",
        "accounts",
        (
            _c("account_id"),
            _c("account_name"),
            _c("industry"),
            _c("segment"),
            _c("region"),
            _c("territory_id"),
            _c("owner_rep_id"),
            _c("created_date", "DATE"),
        ),
        key=("account_id",),
    ),
    LandingFile(
        "crm",
        "leads",
        (
            _c("lead_id"),
            _c("created_at", "TIMESTAMP"),
            _c("lead_source"),
            _c("owner_rep_id"),
            _c("first_contact_at", "TIMESTAMP", nullable=True),
            _c("status"),
            _c("qualified_at", "TIMESTAMP", nullable=True),
            _c("opportunity_id", nullable=True),
        ),
        key=("lead_id",),
    ),
    LandingFile(
        "crm",
        "opportunities",
        (
            _c("opportunity_id"),
            _c("account_id"),
            _c("owner_rep_id"),
            # Many CRMs sell without line items: such a deal counts in every sales metric
            # and stays out of the pipeline-informed demand signal only.
            _c("product_id", nullable=True),
            _c("created_date", "DATE"),
            _c("close_date", "DATE"),
            _c("stage"),
            _c("amount", MONEY),
            _c("quantity", QTY, nullable=True),
            _c("is_closed", "BOOLEAN"),
            _c("is_won", "BOOLEAN"),
            _c("probability", "DOUBLE"),
            _c("forecast_category"),
            _c("lead_source", nullable=True),
        ),
        key=("opportunity_id",),
    ),
    LandingFile(
        "crm",
        "opportunity_history",
        (
            _c("opportunity_id"),
            _c("stage"),
            _c("entered_at", "TIMESTAMP"),
            _c("amount", MONEY),
            _c("close_date", "DATE"),
        ),
        key=("opportunity_id", "stage", "entered_at"),
    ),
    LandingFile(
        "crm",
        "activities",
        (
            _c("activity_id"),
            _c("rep_id"),
            _c("account_id"),
            _c("opportunity_id", nullable=True),
            _c("activity_type"),
            _c("activity_at", "TIMESTAMP"),
            _c("duration_minutes", "DOUBLE", nullable=True),
        ),
        key=("activity_id",),
    ),
    LandingFile(
        "crm",
        "quotas",
        (_c("rep_id"), _c("month", "DATE"), _c("quota_amount", MONEY)),
        key=("rep_id", "month"),
    ),
    LandingFile(
        "supply",
        "products",
        (
            _c("product_id"),
            _c("product_name"),
            _c("family"),
            _c("category"),
            _c("unit_price", MONEY),
            _c("unit_cost", MONEY),
            _c("resource_id"),
            _c("hours_per_unit", "DOUBLE"),
            _c("lead_time_days", "INTEGER"),
            _c("launch_date", "DATE"),
            _c("end_date", "DATE", nullable=True),
        ),
        key=("product_id",),
    ),
    LandingFile(
        "supply",
        "orders",
        (
            _c("order_id"),
            _c("order_date", "DATE"),
            _c("account_id"),
            _c("product_id"),
            _c("region"),
            _c("quantity", QTY),
            _c("net_amount", MONEY),
        ),
        key=("order_id", "product_id"),
    ),
    LandingFile(
        "supply",
        "inventory",
        (
            _c("snapshot_date", "DATE"),
            _c("product_id"),
            _c("location"),
            _c("on_hand_qty", QTY),
        ),
        key=("snapshot_date", "product_id", "location"),
    ),
    LandingFile(
        "supply",
        "capacity",
        (_c("resource_id"), _c("month", "DATE"), _c("available_hours", "DOUBLE")),
        key=("resource_id", "month"),
    ),
    LandingFile(
        "supply",
        "open_supply",
        (
            _c("supply_id"),
            _c("product_id"),
            _c("due_date", "DATE"),
            _c("quantity", QTY),
            _c("supply_type"),
        ),
        key=("supply_id",),
    ),
)

LANDING_BY_NAME: dict[str, LandingFile] = {f.name: f for f in LANDING_FILES}

CANONICAL_STAGES: tuple[str, ...] = (
    "Prospecting",
    "Qualification",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
