"""Salesforce records -> the crm landing files, one method per landing file.

`CanonicalBuilder` reads the export once and builds each landing file as a
DataFrame of text in contract column order. What it could not map, what it
filled in and what it left out is counted on the builder, for the
`ConversionReport`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.landing_contract import CANONICAL_STAGES, LANDING_BY_NAME
from orchestration.salesforce.config import FORECAST_CATEGORY_MAP, SalesforceConfig
from orchestration.salesforce.export import ObjectExport, SalesforceExportError, read_object
from orchestration.salesforce.fields import (
    ACCOUNT_PREFIX,
    LEAD_PREFIX,
    OBJECTS,
    OPPORTUNITY_PREFIX,
    FieldMapping,
    optional_fields,
)
from orchestration.salesforce.report import OptionalField
from orchestration.salesforce.values import (
    lookup_values,
    map_values,
    number_text,
    timestamp_to_date,
    to_bool,
    to_date,
    to_number,
    to_timestamp,
)

REQUIRED_OBJECTS: tuple[str, ...] = ("Opportunity", "User", "Account")
CLOSED_STAGES = ("Closed Won", "Closed Lost")


def _text(value: object, index: pd.Index) -> pd.Series:
    return pd.Series(value, index=index, dtype="string")


def _true_false(condition: pd.Series) -> pd.Series:
    return condition.map({True: "true", False: "false"}).astype("string")


def _select(conditions: list[pd.Series], choices: list[str], default: object) -> pd.Series:
    """`np.select` over nullable conditions: an unknown (NA) condition counts as false.

    Comparisons on pandas' nullable dtypes return NA for an empty cell, which
    `np.select` rejects; an empty cell must fall through to `default` instead.
    """
    index = conditions[0].index
    plain = [c.fillna(False).to_numpy(dtype=bool) for c in conditions]
    return pd.Series(np.select(plain, choices, default), index=index, dtype="string")


class CanonicalBuilder:
    """Builds the crm landing files from one Salesforce export folder."""

    def __init__(self, export_dir: Path, config: SalesforceConfig) -> None:
        """Read every object of `export_dir` the adapter knows; fail if a required one is absent."""
        self.config = config
        extras = self._config_fields()
        self.exports: dict[str, ObjectExport] = {}
        for sf_object in OBJECTS:
            export = read_object(export_dir, sf_object, extras.get(sf_object, ()))
            if export is not None:
                self.exports[sf_object] = export
        absent = [o for o in REQUIRED_OBJECTS if o not in self.exports]
        if absent:
            raise SalesforceExportError(
                f"{export_dir}: no export of {', '.join(absent)} "
                f"(expected e.g. {absent[0]}.csv or {absent[0].lower()}.csv)"
            )
        self.defaulted: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.unmapped: dict[str, dict[str, int]] = {}
        self.warnings: list[str] = []
        for sf_object, export in self.exports.items():
            if export.deleted_rows:
                self.skipped[f"{sf_object}: deleted records"] = export.deleted_rows

    def _config_fields(self) -> dict[str, list[str]]:
        """Fields named in the configuration, by object; `Rel.Field` also reads `Field` of Rel."""
        c = self.config
        named = {
            "Opportunity": [c.product_field],
            "User": [c.team_field, c.region_field, c.hire_date_field, c.role_field],
            "Account": [c.account_region_field, c.segment_field, c.territory_field],
            "Lead": [c.first_contact_field],
        }
        extras: dict[str, list[str]] = defaultdict(list)
        for sf_object, names in named.items():
            for name in filter(None, names):
                extras[sf_object].append(name)
                if "." in name:
                    relation, related_field = name.split(".", 1)
                    extras[sf_object].append(f"{relation}Id")
                    extras[relation].append(related_field)
        return extras

    def records(self, sf_object: str) -> pd.DataFrame | None:
        """The records of `sf_object`, or None when it was not exported."""
        export = self.exports.get(sf_object)
        return None if export is None else export.records

    def optional_field_census(self) -> dict[str, OptionalField]:
        """Every optional field that is absent from its export or empty in some records.

        Keyed `Object.Field`, in object order; each with its rows, empty cells
        and the documented default those cells took (`FieldMapping.default`).
        """
        census: dict[str, OptionalField] = {}
        configured = self.config.configured_fields()
        for sf_object, export in self.exports.items():
            mappings: dict[str, FieldMapping] = {m.field: m for m in optional_fields(sf_object)}
            mappings |= {m.field: m for m in configured if m.sf_object == sf_object}
            for name, mapping in mappings.items():
                values = self.field(export.records, name)
                empty = int(values.isna().sum())
                absent = not self._resolvable(export, name)
                if empty or absent:
                    census[f"{sf_object}.{name}"] = OptionalField(
                        rows=len(values), empty=empty, absent=absent, default=mapping.default
                    )
        return census

    def _resolvable(self, export: ObjectExport, name: str) -> bool:
        """Whether the export has `name` as a column or, for `Rel.Field`, can look it up."""
        if name not in export.absent_fields:
            return True
        if "." not in name:
            return False
        relation, related_field = name.split(".", 1)
        related = self.exports.get(relation)
        return (
            related is not None
            and f"{relation}Id" not in export.absent_fields
            and related_field not in related.absent_fields
        )

    @cached_property
    def earliest_date(self) -> str | None:
        """The first calendar date of any record in the export (CreatedDate), or None.

        The default hire date of a user without one: the rep was employed
        before the data begins, as far as this export can tell.
        """
        stamps = [
            pd.to_datetime(e.records["CreatedDate"], utc=True, format="ISO8601", errors="coerce")
            for e in self.exports.values()
            if "CreatedDate" in e.records
        ]
        first = min((s.min() for s in stamps if s.notna().any()), default=None)
        if first is None:
            return None
        return first.tz_convert(self.config.timezone).strftime("%Y-%m-%d")

    def field(self, records: pd.DataFrame, name: str) -> pd.Series:
        """A configured field's values; `Rel.Field` falls back to a lookup of `RelId` in Rel."""
        values = records[name]
        if "." not in name or values.notna().any():
            return values
        relation, related_field = name.split(".", 1)
        related = self.records(relation)
        if related is None:
            return values
        lookup = related.dropna(subset=["Id"]).set_index("Id")[related_field]
        return records[f"{relation}Id"].map(lookup).astype("string")

    def fill(self, values: pd.Series, fallback: object, what: str) -> pd.Series:
        """`values` with empty cells taken from `fallback`; counts them under `what`."""
        if not isinstance(fallback, pd.Series):
            fallback = _text(fallback, values.index)
        used = values.isna() & fallback.notna()
        if used.any():
            self.defaulted[what] += int(used.sum())
        return values.where(~used, fallback).astype("string")

    def note_unmapped(self, key: str, text: pd.Series, unmatched: pd.Series) -> None:
        """Count the values of `text` that no mapping matched, under `key`."""
        counts = text[unmatched].fillna("(empty)").value_counts()
        if not counts.empty:
            self.unmapped[key] = {str(k): int(v) for k, v in sorted(counts.items())}

    def stages(self, text: pd.Series, file: str) -> pd.Series:
        """Canonical stages; an unmapped stage stays as landed and is counted."""
        mapping = {**{s: s for s in CANONICAL_STAGES}, **self.config.stage_map}
        mapped, unmatched = map_values(text, mapping)
        self.note_unmapped(f"{file}.stage", text, unmatched)
        return mapped

    @cached_property
    def opportunities(self) -> pd.DataFrame:
        """crm/opportunities from Opportunity (+ OpportunityLineItem, Product2 if exported)."""
        opp = self.records("Opportunity")
        stage = self.stages(opp["StageName"], "opportunities")
        is_won = self.fill(
            to_bool(opp["IsWon"]), _true_false(stage == "Closed Won"), "opportunities.is_won"
        )
        is_closed = self.fill(
            to_bool(opp["IsClosed"]),
            _true_false(stage.isin(CLOSED_STAGES)),
            "opportunities.is_closed",
        )
        category_text = opp["ForecastCategoryName"].fillna(opp["ForecastCategory"])
        category, unmatched = map_values(category_text, FORECAST_CATEGORY_MAP)
        self.note_unmapped("opportunities.forecast_category", category_text, unmatched)
        category_by_stage = _select(
            [stage == "Closed Won", stage == "Closed Lost"], ["Closed", "Omitted"], "Pipeline"
        )
        line_product, line_quantity = self._line_items(opp["Id"])
        product = self.fill(
            self._product_codes(opp[self.config.product_field]),
            line_product,
            "opportunities.product_id: first OpportunityLineItem",
        )
        quantity = self.fill(
            to_number(opp["TotalOpportunityQuantity"]),
            line_quantity,
            "opportunities.quantity: sum of OpportunityLineItem.Quantity",
        )
        if self.config.default_product_id is not None:
            product = self.fill(
                product, self.config.default_product_id, "opportunities.product_id: default"
            )
        if self.config.default_quantity is not None:
            quantity = self.fill(
                quantity,
                number_text(pd.Series([self.config.default_quantity])).iloc[0],
                "opportunities.quantity: default",
            )
        self._check_probability(opp)
        return pd.DataFrame(
            {
                "opportunity_id": opp["Id"],
                "account_id": opp["AccountId"],
                "owner_rep_id": opp["OwnerId"],
                "product_id": product,
                "created_date": timestamp_to_date(opp["CreatedDate"], self.config.timezone),
                "close_date": to_date(opp["CloseDate"]),
                "stage": stage,
                "amount": self.fill(
                    to_number(opp["Amount"], 2), "0.00", "opportunities.amount: empty -> 0"
                ),
                "quantity": quantity,
                "is_closed": is_closed,
                "is_won": is_won,
                "probability": to_number(opp["Probability"]),
                "forecast_category": self.fill(
                    category,
                    category_by_stage,
                    "opportunities.forecast_category: from stage",
                ),
                "lead_source": opp["LeadSource"],
            }
        )

    def _line_items(self, opportunity_ids: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Per opportunity: the product of its first line item and the sum of quantities."""
        empty = _text(pd.NA, opportunity_ids.index)
        items = self.records("OpportunityLineItem")
        if items is None:
            return empty, empty
        items = items.assign(
            _sort=pd.to_numeric(items["SortOrder"], errors="coerce"),
            _quantity=pd.to_numeric(items["Quantity"], errors="coerce"),
        ).sort_values(["OpportunityId", "_sort", "Id"], na_position="last")
        first = items.drop_duplicates("OpportunityId").set_index("OpportunityId")["Product2Id"]
        total = items.groupby("OpportunityId")["_quantity"].sum(min_count=1)
        return (
            self._product_codes(opportunity_ids.map(first).astype("string")),
            number_text(opportunity_ids.map(total)),
        )

    def _product_codes(self, product_ids: pd.Series) -> pd.Series:
        """Product2 record ids replaced by their ProductCode (the SKU) when Product2 is exported."""
        products = self.records("Product2")
        if products is None:
            return product_ids.astype("string")
        codes = products.dropna(subset=["Id", "ProductCode"]).set_index("Id")["ProductCode"]
        return product_ids.map(codes).fillna(product_ids).astype("string")

    def _check_probability(self, opp: pd.DataFrame) -> None:
        probability = pd.to_numeric(opp["Probability"], errors="coerce")
        outside = int(((probability < 0) | (probability > 100)).sum())
        if outside:
            self.warnings.append(
                f"opportunities: {outside} probability value(s) outside 0-100 "
                "(Salesforce's Probability is a percentage)"
            )
        expected = pd.to_numeric(opp["ExpectedRevenue"], errors="coerce")
        amount = pd.to_numeric(opp["Amount"], errors="coerce")
        mismatched = int(((expected - amount * probability / 100).abs() > 0.01).sum())
        if mismatched:
            self.warnings.append(
                f"opportunities: ExpectedRevenue differs from Amount x Probability / 100 on "
                f"{mismatched} row(s); check that Probability was exported as a percentage"
            )
        currencies = opp["CurrencyIsoCode"].dropna().unique()
        if len(currencies) > 1:
            self.warnings.append(
                f"opportunities: amounts are in {len(currencies)} currencies "
                f"({', '.join(sorted(currencies))}); landing files expect one reporting currency"
            )

    @cached_property
    def opportunity_history(self) -> pd.DataFrame:
        """crm/opportunity_history from OpportunityHistory, one row per recorded change.

        Salesforce writes a history row when the stage, amount or close date
        changes; all are kept, because the pipeline snapshot takes the stage
        and amount of the last row before the snapshot date.
        """
        history = self.records("OpportunityHistory")
        if history is None:
            self.warnings.append(
                "opportunity_history: no OpportunityHistory export; written empty, so "
                "pipeline snapshots and funnel stages have no history"
            )
            return self.empty("opportunity_history")
        deleted = history["OpportunityId"].isin(self.exports["Opportunity"].deleted_ids)
        if deleted.any():
            self.skipped["opportunity_history: rows of deleted opportunities"] = int(deleted.sum())
            history = history.loc[~deleted]
        return pd.DataFrame(
            {
                "opportunity_id": history["OpportunityId"],
                "stage": self.stages(history["StageName"], "opportunity_history"),
                "entered_at": to_timestamp(history["CreatedDate"]),
                "amount": self.fill(
                    to_number(history["Amount"], 2),
                    "0.00",
                    "opportunity_history.amount: empty -> 0",
                ),
                "close_date": to_date(history["CloseDate"]),
            }
        )

    @cached_property
    def reps(self) -> pd.DataFrame:
        """crm/reps from User: managers are users someone reports to; SDRs by role_field."""
        c = self.config
        users = self.records("User")
        is_manager = users["Id"].isin(set(users["ManagerId"].dropna()))
        is_sdr = self.field(users, c.role_field).str.contains(c.sdr_pattern, case=False, regex=True)
        role = _select([is_manager, is_sdr], ["Manager", "SDR"], "AE")
        inactive = to_bool(users["IsActive"]) == "false"
        end_date = timestamp_to_date(users["LastModifiedDate"], c.timezone).where(inactive)
        no_end = int((inactive & end_date.isna()).sum())
        if no_end:
            self.warnings.append(
                f"reps: {no_end} inactive user(s) without LastModifiedDate have no end_date"
            )
        return pd.DataFrame(
            {
                "rep_id": users["Id"],
                "rep_name": users["Name"],
                "team": self.fill(
                    self.field(users, c.team_field),
                    c.unassigned,
                    f"reps.team: empty {c.team_field} -> {c.unassigned}",
                ),
                "region": self.fill(
                    self.field(users, c.region_field),
                    c.unassigned,
                    f"reps.region: empty {c.region_field} -> {c.unassigned}",
                ),
                "role": role,
                "manager_id": users["ManagerId"],
                "hire_date": self.fill(
                    timestamp_to_date(self.field(users, c.hire_date_field), c.timezone),
                    self.earliest_date,
                    f"reps.hire_date: empty {c.hire_date_field} -> earliest date in the export",
                ),
                "end_date": end_date.astype("string"),
            }
        )

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """crm/accounts from Account; segment by segment_field, territory by region."""
        c = self.config
        acc = self.records("Account")
        region_text = self.field(acc, c.account_region_field)
        region = self.fill(
            lookup_values(region_text, c.account_region_map).fillna(region_text),
            c.unassigned,
            f"accounts.region: empty {c.account_region_field} -> {c.unassigned}",
        )
        segment_text = self.field(acc, c.segment_field)
        size = pd.to_numeric(segment_text, errors="coerce")
        low, high = c.segment_bounds
        by_size = _select(
            [size < low, size < high, size >= high], ["SMB", "Mid-Market", "Enterprise"], pd.NA
        )
        segment = by_size.fillna(segment_text)
        territory = region
        if c.territory_field:
            territory = self.fill(
                self.field(acc, c.territory_field), region, "accounts.territory_id: region"
            )
        return pd.DataFrame(
            {
                "account_id": acc["Id"],
                "account_name": acc["Name"],
                "industry": self.fill(
                    acc["Industry"], c.unknown, f"accounts.industry: empty -> {c.unknown}"
                ),
                "segment": self.fill(
                    segment,
                    c.default_segment,
                    f"accounts.segment: empty {c.segment_field} -> {c.default_segment}",
                ),
                "region": region,
                "territory_id": territory,
                "owner_rep_id": acc["OwnerId"],
                "created_date": timestamp_to_date(acc["CreatedDate"], c.timezone),
            }
        )

    @cached_property
    def territories(self) -> pd.DataFrame:
        """crm/territories derived from accounts: each territory's most common region and owner."""
        accounts = self.accounts

        def most_common(column: str) -> pd.Series:
            counts = accounts.groupby(["territory_id", column]).size().reset_index(name="n")
            top = counts.sort_values(["territory_id", "n", column], ascending=[True, False, True])
            return top.drop_duplicates("territory_id").set_index("territory_id")[column]

        region = most_common("region")
        frame = pd.DataFrame(
            {
                "territory_id": region.index,
                "territory_name": region.index,
                "region": region.to_numpy(),
                "owner_rep_id": most_common("owner_rep_id").reindex(region.index).to_numpy(),
            }
        ).astype("string")
        frame["annual_potential"] = self.fill(
            _text(pd.NA, frame.index),
            "0.00",
            "territories.annual_potential: not in Salesforce -> 0",
        )
        return frame

    @cached_property
    def leads(self) -> pd.DataFrame:
        """crm/leads from Lead; first contact from first_contact_field or the first Task/Event."""
        c = self.config
        leads = self.records("Lead")
        if leads is None:
            self.warnings.append("leads: no Lead export; written empty")
            return self.empty("leads")
        converted = to_bool(leads["IsConverted"]) == "true"
        status, unmatched = map_values(leads["Status"], c.lead_status_map)
        status = status.mask(converted.fillna(False), "qualified")
        self.note_unmapped("leads.status", leads["Status"], unmatched & ~converted.fillna(False))
        first_contact = leads["Id"].map(self._first_contacts).astype("string")
        if c.first_contact_field:
            first_contact = to_timestamp(leads[c.first_contact_field]).fillna(first_contact)
        return pd.DataFrame(
            {
                "lead_id": leads["Id"],
                "created_at": to_timestamp(leads["CreatedDate"]),
                "lead_source": self.fill(
                    leads["LeadSource"], c.unknown, f"leads.lead_source: empty -> {c.unknown}"
                ),
                "owner_rep_id": leads["OwnerId"],
                "first_contact_at": first_contact,
                "status": status,
                "qualified_at": to_timestamp(leads["ConvertedDate"]).where(status == "qualified"),
                "opportunity_id": leads["ConvertedOpportunityId"],
            }
        )

    @cached_property
    def _all_activities(self) -> pd.DataFrame:
        """Tasks and Events in one frame, before any are left out (leads need them all)."""
        lookup = self.config.activity_type_map
        parts = []
        tasks = self.records("Task")
        if tasks is not None:
            subtype, kind_text = tasks["TaskSubtype"], tasks["Type"]
            kind = lookup_values(subtype, lookup).fillna(lookup_values(kind_text, lookup))
            # TaskSubtype 'Task' with no Type is a to-do, not an unmapped activity type.
            generic = subtype.str.lower().eq("task").fillna(False).astype(bool)
            seconds = pd.to_numeric(tasks["CallDurationInSeconds"], errors="coerce")
            minutes = number_text(seconds / 60).where(
                seconds.notna(), tasks["CallDurationInSeconds"]
            )
            parts.append(
                pd.DataFrame(
                    {
                        "activity_id": tasks["Id"],
                        "rep_id": tasks["OwnerId"],
                        "account_id": tasks["AccountId"],
                        "what_id": tasks["WhatId"],
                        "who_id": tasks["WhoId"],
                        "activity_type": kind,
                        "type_label": kind_text.fillna(subtype.mask(generic)),
                        "activity_at": tasks["CompletedDateTime"].fillna(tasks["CreatedDate"]),
                        "duration_minutes": minutes.mask(kind == "email"),
                    }
                )
            )
        events = self.records("Event")
        if events is not None:
            kind = self.fill(
                lookup_values(events["Type"], lookup),
                "meeting",
                "activities.activity_type: Event without a mapped Type -> meeting",
            )
            parts.append(
                pd.DataFrame(
                    {
                        "activity_id": events["Id"],
                        "rep_id": events["OwnerId"],
                        "account_id": events["AccountId"],
                        "what_id": events["WhatId"],
                        "who_id": events["WhoId"],
                        "activity_type": kind,
                        "type_label": events["Type"],
                        "activity_at": events["StartDateTime"].fillna(events["CreatedDate"]),
                        "duration_minutes": to_number(events["DurationInMinutes"]),
                    }
                )
            )
        if not parts:
            return pd.DataFrame(columns=["who_id", "activity_at"], dtype="string")
        return pd.concat(parts, ignore_index=True).astype("string")

    @cached_property
    def _first_contacts(self) -> pd.Series:
        """Lead id -> timestamp of the first Task or Event whose WhoId is that lead."""
        acts = self._all_activities
        on_lead = acts["who_id"].str.startswith(LEAD_PREFIX).fillna(False).astype(bool)
        at = pd.to_datetime(acts["activity_at"], utc=True, format="ISO8601", errors="coerce")
        first = at[on_lead].groupby(acts.loc[on_lead, "who_id"]).min()
        return first.dt.strftime("%Y-%m-%dT%H:%M:%S").dropna()

    @cached_property
    def activities(self) -> pd.DataFrame:
        """crm/activities from Task and Event: those of a mapped type with an account."""
        acts = self._all_activities
        if "activity_id" not in acts:
            self.warnings.append("activities: no Task or Event export; written empty")
            return self.empty("activities")
        what = acts["what_id"]
        on_opportunity = what.str.startswith(OPPORTUNITY_PREFIX).fillna(False).astype(bool)
        on_account = what.str.startswith(ACCOUNT_PREFIX).fillna(False).astype(bool)
        opportunity_accounts = self.opportunities.set_index("opportunity_id")["account_id"]
        account = self.fill(
            acts["account_id"],
            what.where(on_account).fillna(what.where(on_opportunity).map(opportunity_accounts)),
            "activities.account_id: from WhatId",
        )
        unmapped = acts["activity_type"].isna()
        labelled = acts["type_label"].notna()
        self.note_unmapped("activities.activity_type", acts["type_label"], unmapped & labelled)
        if (unmapped & labelled).any():
            self.skipped["activities: Task of an unmapped type"] = int((unmapped & labelled).sum())
        if (unmapped & ~labelled).any():
            self.skipped["activities: Task without a type (a to-do)"] = int(
                (unmapped & ~labelled).sum()
            )
        no_account = account.isna() & ~unmapped
        if no_account.any():
            self.skipped["activities: Task/Event without an account (e.g. on a lead)"] = int(
                no_account.sum()
            )
        keep = ~unmapped & ~no_account
        return pd.DataFrame(
            {
                "activity_id": acts["activity_id"],
                "rep_id": acts["rep_id"],
                "account_id": account,
                "opportunity_id": what.where(on_opportunity),
                "activity_type": acts["activity_type"],
                "activity_at": to_timestamp(acts["activity_at"]),
                "duration_minutes": acts["duration_minutes"],
            }
        ).loc[keep]

    @staticmethod
    def empty(name: str) -> pd.DataFrame:
        """A landing file with its header only."""
        return pd.DataFrame(columns=LANDING_BY_NAME[name].column_names, dtype="string")
