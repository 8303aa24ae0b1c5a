"""Which Salesforce object fields feed which landing column: the adapter's one mapping table.

Fields are named by their Salesforce API name (`StageName`, `Product__c`).
The other spellings of the same field are found by `field_key`, which ignores
case and underscores: Fivetran's snake_case (`stage_name`, `product_c`) and
Data Loader's upper case (`STAGENAME`) match the API name, so one table
serves every export tool. Fields named in `SalesforceConfig` (team, region,
product, segment, ...) are read in addition to these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldMapping:
    """One Salesforce field, the landing column (or derivation) it feeds, and its default.

    A required field must be a column of the object's export. Any other field
    may be absent from the export or empty in a record: `default` says what
    the landing files get then (the import report counts every such cell).
    """

    sf_object: str
    field: str
    target: str
    required: bool = False
    default: str = ""


FIELD_MAPPINGS: tuple[FieldMapping, ...] = (
    FieldMapping("Opportunity", "Id", "opportunities.opportunity_id", required=True),
    FieldMapping("Opportunity", "AccountId", "opportunities.account_id", required=True),
    FieldMapping("Opportunity", "OwnerId", "opportunities.owner_rep_id", required=True),
    FieldMapping("Opportunity", "CreatedDate", "opportunities.created_date", required=True),
    FieldMapping("Opportunity", "CloseDate", "opportunities.close_date", required=True),
    FieldMapping("Opportunity", "StageName", "opportunities.stage", required=True),
    FieldMapping("Opportunity", "Amount", "opportunities.amount", required=True),
    FieldMapping("Opportunity", "Probability", "opportunities.probability", required=True),
    FieldMapping(
        "Opportunity",
        "TotalOpportunityQuantity",
        "opportunities.quantity",
        default=(
            "quantity = sum of the OpportunityLineItem quantities, "
            "else empty (a deal without a product)"
        ),
    ),
    FieldMapping(
        "Opportunity",
        "IsClosed",
        "opportunities.is_closed",
        default="is_closed from the stage (Closed Won, Closed Lost)",
    ),
    FieldMapping(
        "Opportunity",
        "IsWon",
        "opportunities.is_won",
        default="is_won from the stage (Closed Won)",
    ),
    FieldMapping(
        "Opportunity",
        "ForecastCategoryName",
        "opportunities.forecast_category",
        default=(
            "forecast_category from ForecastCategory, "
            "else from the stage (Closed, Omitted, Pipeline)"
        ),
    ),
    FieldMapping(
        "Opportunity",
        "ForecastCategory",
        "opportunities.forecast_category",
        default="forecast_category from ForecastCategoryName, else from the stage",
    ),
    FieldMapping(
        "Opportunity",
        "LeadSource",
        "opportunities.lead_source",
        default="lead_source left empty (allowed)",
    ),
    FieldMapping(
        "Opportunity",
        "ExpectedRevenue",
        "check: amount x probability / 100",
        default="not checked against Amount x Probability / 100",
    ),
    FieldMapping(
        "Opportunity",
        "CurrencyIsoCode",
        "check: one reporting currency",
        default="amounts taken as the reporting currency",
    ),
    FieldMapping("OpportunityLineItem", "OpportunityId", "opportunities (first line item)", True),
    FieldMapping("OpportunityLineItem", "Product2Id", "opportunities.product_id", True),
    FieldMapping(
        "OpportunityLineItem",
        "Quantity",
        "opportunities.quantity (sum)",
        default="the line adds no units to the deal's quantity",
    ),
    FieldMapping(
        "OpportunityLineItem",
        "SortOrder",
        "opportunities (first line item)",
        default="the first line item is the one with the lowest Id",
    ),
    FieldMapping(
        "OpportunityLineItem",
        "Id",
        "opportunities (first line item)",
        default="the first line item by SortOrder only",
    ),
    FieldMapping("Product2", "Id", "opportunities.product_id", required=True),
    FieldMapping(
        "Product2",
        "ProductCode",
        "opportunities.product_id",
        default="product_id = the Product2 record id",
    ),
    FieldMapping("OpportunityHistory", "OpportunityId", "opportunity_history.opportunity_id", True),
    FieldMapping("OpportunityHistory", "StageName", "opportunity_history.stage", required=True),
    FieldMapping("OpportunityHistory", "CreatedDate", "opportunity_history.entered_at", True),
    FieldMapping("OpportunityHistory", "Amount", "opportunity_history.amount", required=True),
    FieldMapping("OpportunityHistory", "CloseDate", "opportunity_history.close_date", True),
    FieldMapping("User", "Id", "reps.rep_id", required=True),
    FieldMapping("User", "Name", "reps.rep_name", required=True),
    FieldMapping("User", "ManagerId", "reps.manager_id; reps.role (Manager)", required=True),
    FieldMapping("User", "IsActive", "reps.end_date", required=True),
    FieldMapping(
        "User",
        "LastModifiedDate",
        "reps.end_date (of an inactive user)",
        default="an inactive user gets no end_date (warned)",
    ),
    FieldMapping(
        "User",
        "UserRoleId",
        "UserRole.Name lookups",
        default="no UserRole lookup for the team",
    ),
    FieldMapping("UserRole", "Id", "UserRole.Name lookups", required=True),
    FieldMapping(
        "UserRole",
        "Name",
        "UserRole.Name lookups",
        default="the team lookup finds nothing",
    ),
    FieldMapping("Account", "Id", "accounts.account_id", required=True),
    FieldMapping("Account", "Name", "accounts.account_name", required=True),
    FieldMapping(
        "Account",
        "Industry",
        "accounts.industry",
        default="industry Unknown",
    ),
    FieldMapping("Account", "OwnerId", "accounts.owner_rep_id", required=True),
    FieldMapping("Account", "CreatedDate", "accounts.created_date", required=True),
    FieldMapping("Lead", "Id", "leads.lead_id", required=True),
    FieldMapping("Lead", "CreatedDate", "leads.created_at", required=True),
    FieldMapping(
        "Lead",
        "LeadSource",
        "leads.lead_source",
        default="lead_source Unknown",
    ),
    FieldMapping("Lead", "OwnerId", "leads.owner_rep_id", required=True),
    FieldMapping("Lead", "Status", "leads.status", required=True),
    FieldMapping(
        "Lead",
        "IsConverted",
        "leads.status (qualified)",
        default="status from Status alone",
    ),
    FieldMapping(
        "Lead",
        "ConvertedDate",
        "leads.qualified_at",
        default="qualified_at left empty",
    ),
    FieldMapping(
        "Lead",
        "ConvertedOpportunityId",
        "leads.opportunity_id",
        default="opportunity_id left empty",
    ),
    FieldMapping("Task", "Id", "activities.activity_id", required=True),
    FieldMapping("Task", "OwnerId", "activities.rep_id", required=True),
    FieldMapping(
        "Task",
        "AccountId",
        "activities.account_id",
        default=(
            "account from WhatId (an account, or an opportunity's account), "
            "else the task is left out"
        ),
    ),
    FieldMapping(
        "Task",
        "WhatId",
        "activities.opportunity_id (006...), account_id (001...)",
        default="no opportunity_id; account from AccountId",
    ),
    FieldMapping(
        "Task",
        "WhoId",
        "leads.first_contact_at (00Q...)",
        default="the task is no lead's first contact",
    ),
    FieldMapping(
        "Task",
        "TaskSubtype",
        "activities.activity_type",
        default="activity_type from Type; a task with neither is a to-do and left out",
    ),
    FieldMapping(
        "Task",
        "Type",
        "activities.activity_type (when TaskSubtype is Task)",
        default="activity_type from TaskSubtype; a task with neither is a to-do and left out",
    ),
    FieldMapping(
        "Task",
        "CompletedDateTime",
        "activities.activity_at",
        default="activity_at = CreatedDate",
    ),
    FieldMapping("Task", "CreatedDate", "activities.activity_at", required=True),
    FieldMapping(
        "Task",
        "CallDurationInSeconds",
        "activities.duration_minutes (/ 60)",
        default="duration_minutes left empty",
    ),
    FieldMapping("Event", "Id", "activities.activity_id", required=True),
    FieldMapping("Event", "OwnerId", "activities.rep_id", required=True),
    FieldMapping(
        "Event",
        "AccountId",
        "activities.account_id",
        default=(
            "account from WhatId (an account, or an opportunity's account), "
            "else the event is left out"
        ),
    ),
    FieldMapping(
        "Event",
        "WhatId",
        "activities.opportunity_id (006...), account_id (001...)",
        default="no opportunity_id; account from AccountId",
    ),
    FieldMapping(
        "Event",
        "WhoId",
        "leads.first_contact_at (00Q...)",
        default="the event is no lead's first contact",
    ),
    FieldMapping(
        "Event",
        "Type",
        "activities.activity_type (default meeting)",
        default="activity_type meeting",
    ),
    FieldMapping(
        "Event",
        "StartDateTime",
        "activities.activity_at",
        default="activity_at = CreatedDate",
    ),
    FieldMapping("Event", "CreatedDate", "activities.activity_at", required=True),
    FieldMapping(
        "Event",
        "DurationInMinutes",
        "activities.duration_minutes",
        default="duration_minutes left empty",
    ),
)

# Soft-deleted records: Data Loader's "Export All" has IsDeleted, Fivetran adds _fivetran_deleted.
DELETED_FLAGS: tuple[str, ...] = ("IsDeleted", "_fivetran_deleted")

OBJECTS: tuple[str, ...] = tuple(dict.fromkeys(m.sf_object for m in FIELD_MAPPINGS))

# Key prefixes of Salesforce record ids, to tell what a polymorphic WhatId/WhoId points at.
OPPORTUNITY_PREFIX = "006"
ACCOUNT_PREFIX = "001"
LEAD_PREFIX = "00Q"


def field_key(name: str) -> str:
    """The spelling-free form of a field or object name: lower case without underscores.

    `StageName`, `stage_name` and `STAGENAME` share the key `stagename`;
    `Product__c` and Fivetran's `product_c` share `productc`.
    """
    return name.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


def object_fields(sf_object: str) -> tuple[str, ...]:
    """API names of the fields the adapter reads from `sf_object`."""
    return tuple(m.field for m in FIELD_MAPPINGS if m.sf_object == sf_object)


def optional_fields(sf_object: str) -> tuple[FieldMapping, ...]:
    """The mappings of `sf_object` whose field may be absent or empty, with their defaults."""
    return tuple(m for m in FIELD_MAPPINGS if m.sf_object == sf_object and not m.required)


def required_fields(sf_object: str) -> tuple[str, ...]:
    """API names of the fields an export of `sf_object` must have as columns."""
    return tuple(m.field for m in FIELD_MAPPINGS if m.sf_object == sf_object and m.required)


def detect_spelling(columns: list[str]) -> str:
    """Which tool's spelling a header uses: Fivetran, Data Loader upper case or API names."""
    names = [c for c in columns if not c.lower().startswith("_fivetran")]
    if all(c == c.lower() for c in names):
        return "fivetran"
    if all(c == c.upper() for c in names):
        return "data loader (upper case)"
    return "api"
