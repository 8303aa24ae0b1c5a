"""How a Salesforce org's values map onto the landing files: stages, statuses, fields.

Defaults fit a Salesforce org with the standard picklists; everything an org
customises (stage names, which User field holds the team, how accounts are
segmented) is a field of `SalesforceConfig`. Stage names are usually the
first thing to differ, so they can also come from a `stage_map.yml` next to
the export (see `load_stage_map`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import yaml

from orchestration.landing_contract import CANONICAL_STAGES
from orchestration.salesforce.fields import FieldMapping

# Salesforce's standard opportunity stages onto the six canonical ones. From Value
# Proposition on, the rep presents a solution to the buyer (default probability >= 50%),
# which is what the canonical Proposal stage means for the funnel's "reached Proposal".
DEFAULT_STAGE_MAP: Mapping[str, str] = MappingProxyType(
    {
        "Prospecting": "Prospecting",
        "Qualification": "Qualification",
        "Needs Analysis": "Qualification",
        "Value Proposition": "Proposal",
        "Id. Decision Makers": "Proposal",
        "Perception Analysis": "Proposal",
        "Proposal/Price Quote": "Proposal",
        "Negotiation/Review": "Negotiation",
        "Closed Won": "Closed Won",
        "Closed Lost": "Closed Lost",
    }
)

# Salesforce's standard Lead Status values (and common variants) onto open/qualified/disqualified.
DEFAULT_LEAD_STATUS_MAP: Mapping[str, str] = MappingProxyType(
    {
        "Open - Not Contacted": "open",
        "Working - Contacted": "open",
        "New": "open",
        "Working": "open",
        "Nurturing": "open",
        "Closed - Converted": "qualified",
        "Qualified": "qualified",
        "Converted": "qualified",
        "Closed - Not Converted": "disqualified",
        "Unqualified": "disqualified",
        "Disqualified": "disqualified",
    }
)

# Task.TaskSubtype, Task.Type and Event.Type values onto the canonical activity types.
DEFAULT_ACTIVITY_TYPE_MAP: Mapping[str, str] = MappingProxyType(
    {
        "Call": "call",
        "Email": "email",
        "ListEmail": "email",
        "Meeting": "meeting",
        "Demo": "demo",
    }
)

# ForecastCategoryName labels and ForecastCategory API values onto SPEC's spelling.
FORECAST_CATEGORY_MAP: Mapping[str, str] = MappingProxyType(
    {
        "Pipeline": "Pipeline",
        "Best Case": "Best Case",
        "BestCase": "Best Case",
        "Commit": "Commit",
        "Forecast": "Commit",
        "Closed": "Closed",
        "Omitted": "Omitted",
    }
)

STAGE_MAP_FILES: tuple[str, ...] = ("crm/stage_map.yml", "stage_map.yml")


class SalesforceConfigError(ValueError):
    """A configuration file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class SalesforceConfig:
    """What the adapter needs to know about one Salesforce org.

    Field names are Salesforce API names; Fivetran and Data Loader spellings
    of them are matched too. A name `Relation.Field` (e.g. `UserRole.Name`)
    reads that column if the export has it, else looks the `RelationId`
    column up in the `Relation` export.
    """

    stage_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STAGE_MAP))
    lead_status_map: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_LEAD_STATUS_MAP)
    )
    activity_type_map: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_ACTIVITY_TYPE_MAP)
    )
    # Opportunity has no single product: this field first, then the first line item.
    product_field: str = "Product__c"
    default_product_id: str | None = None
    default_quantity: float | None = None
    team_field: str = "UserRole.Name"
    region_field: str = "Division"
    hire_date_field: str = "CreatedDate"
    role_field: str = "Title"
    sdr_pattern: str = r"\b(?:SDR|BDR|sales development|business development)\b"
    account_region_field: str = "BillingCountry"
    account_region_map: Mapping[str, str] = field(default_factory=dict)
    # Numeric values: below the first bound SMB, below the second Mid-Market, else Enterprise;
    # text values (a custom Segment__c) are kept for staging to match.
    segment_field: str = "NumberOfEmployees"
    segment_bounds: tuple[float, float] = (200, 1000)
    default_segment: str = "SMB"
    # Empty: one territory per account region.
    territory_field: str | None = None
    # Empty: the first Task or Event on the lead (WhoId).
    first_contact_field: str | None = None
    unassigned: str = "Unassigned"
    unknown: str = "Unknown"
    # Time zone whose calendar dates CreatedDate timestamps are cut to.
    timezone: str = "UTC"

    def configured_fields(self) -> tuple[FieldMapping, ...]:
        """The fields this configuration names, each with what an absent or empty value becomes.

        They are read in addition to `fields.FIELD_MAPPINGS` and are never
        required: an org without a Division or a NumberOfEmployees still imports.
        """
        product_default = "product_id from the first OpportunityLineItem"
        if self.default_product_id is not None:
            product_default += f", else {self.default_product_id} (default_product_id)"
        named = [
            FieldMapping(
                "Opportunity",
                self.product_field,
                "opportunities.product_id",
                default=product_default + ", else empty (a deal without a product)",
            ),
            FieldMapping("User", self.team_field, "reps.team", default=f"team {self.unassigned}"),
            FieldMapping(
                "User", self.region_field, "reps.region", default=f"region {self.unassigned}"
            ),
            FieldMapping(
                "User",
                self.hire_date_field,
                "reps.hire_date",
                default="hire_date = the earliest date in the export (employed before it starts)",
            ),
            FieldMapping(
                "User", self.role_field, "reps.role", default="role AE unless the user manages"
            ),
            FieldMapping(
                "Account",
                self.account_region_field,
                "accounts.region",
                default=f"region {self.unassigned}",
            ),
            FieldMapping(
                "Account",
                self.segment_field,
                "accounts.segment",
                default=f"segment {self.default_segment}",
            ),
        ]
        if self.territory_field:
            named.append(
                FieldMapping(
                    "Account",
                    self.territory_field,
                    "accounts.territory_id",
                    default="territory_id = the account's region",
                )
            )
        if self.first_contact_field:
            named.append(
                FieldMapping(
                    "Lead",
                    self.first_contact_field,
                    "leads.first_contact_at",
                    default="first_contact_at = the lead's first Task or Event",
                )
            )
        return tuple(named)

    def with_stage_map_file(self, path: Path) -> SalesforceConfig:
        """This configuration with the stages of `path` added (they win over existing ones)."""
        return replace(self, stage_map={**self.stage_map, **load_stage_map(path)})


def load_stage_map(path: Path) -> dict[str, str]:
    """Read a stage map YAML file: `CRM stage: canonical stage`, or `canonical: [CRM stages]`.

    Example::

        Discovery: Qualification
        Proposal:
          - Quote Sent
          - Technical Validation
    """
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SalesforceConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(content, dict):
        raise SalesforceConfigError(f"{path}: expected a mapping of CRM stage to canonical stage")
    stage_map: dict[str, str] = {}
    for key, value in content.items():
        pairs = (
            [(str(crm_stage), str(key)) for crm_stage in value]
            if isinstance(value, list)
            else [(str(key), str(value))]
        )
        for crm_stage, canonical in pairs:
            if canonical not in CANONICAL_STAGES:
                raise SalesforceConfigError(
                    f"{path}: '{crm_stage}' maps to '{canonical}', which is not a canonical "
                    f"stage ({', '.join(CANONICAL_STAGES)})"
                )
            stage_map[crm_stage] = canonical
    return stage_map


def find_stage_map_file(export_dir: Path) -> Path | None:
    """The export folder's stage map (`crm/stage_map.yml` or `stage_map.yml`), if any."""
    present = [export_dir / name for name in STAGE_MAP_FILES if (export_dir / name).exists()]
    if len(present) > 1:
        raise SalesforceConfigError(
            f"both {present[0]} and {present[1]} exist; keep only one stage map"
        )
    return present[0] if present else None
