"""Salesforce export adapter: Salesforce object files -> the crm/ landing files of SPEC.md.

Accepts exports in Salesforce API field names (Data Loader, Workbench,
Bulk API) and in Fivetran's snake_case, detected per file. Mappings live in
`fields` (which field feeds which column) and `config` (stage, lead status
and activity type values; which fields hold team, region, product, segment).
"""

from orchestration.salesforce.config import (
    DEFAULT_STAGE_MAP,
    SalesforceConfig,
    SalesforceConfigError,
    load_stage_map,
)
from orchestration.salesforce.convert import convert_salesforce_export
from orchestration.salesforce.export import SalesforceExportError
from orchestration.salesforce.report import ConversionReport

__all__ = [
    "DEFAULT_STAGE_MAP",
    "ConversionReport",
    "SalesforceConfig",
    "SalesforceConfigError",
    "SalesforceExportError",
    "convert_salesforce_export",
    "load_stage_map",
]
