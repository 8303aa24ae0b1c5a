"""Salesforce export adapter: API, Fivetran and Data Loader spellings onto the crm landing files."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_BY_NAME, LANDING_FILES
from orchestration.salesforce import (
    SalesforceConfig,
    SalesforceConfigError,
    SalesforceExportError,
    convert_salesforce_export,
    load_stage_map,
)
from orchestration.salesforce.values import timestamp_to_date, to_date, to_timestamp
from tests.conftest import FIXTURES, load_parents

SALESFORCE = FIXTURES / "salesforce_landing"
API_EXPORT = SALESFORCE / "api_export"
FIVETRAN_EXPORT = SALESFORCE / "fivetran_export"
EXPECTED_CRM = SALESFORCE / "expected" / "crm"
CRM_FILES = [spec for spec in LANDING_FILES if spec.folder == "crm"]


def _crm_texts(landing: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((landing / "crm").glob("*.csv"))}


@pytest.fixture
def api_landing(tmp_path: Path) -> tuple[Path, object]:
    landing = tmp_path / "landing"
    return landing, convert_salesforce_export(API_EXPORT, landing)


def test_api_export_lands_exactly_the_expected_crm_files(api_landing) -> None:
    landing, _ = api_landing
    expected = {p.name: p.read_text() for p in sorted(EXPECTED_CRM.glob("*.csv"))}
    assert sorted(expected) == sorted(f"{spec.name}.csv" for spec in CRM_FILES)
    assert _crm_texts(landing) == expected


def test_fivetran_snake_case_export_gives_identical_files(api_landing, tmp_path: Path) -> None:
    landing, api_report = api_landing
    fivetran_report = convert_salesforce_export(FIVETRAN_EXPORT, tmp_path / "fivetran")

    assert _crm_texts(tmp_path / "fivetran") == _crm_texts(landing)
    assert set(fivetran_report.spellings.values()) == {"fivetran"}
    assert set(api_report.spellings.values()) == {"api"}
    assert fivetran_report.spellings["opportunity_history.csv"] == "fivetran"
    attributes = ("rows", "unmapped_stages", "unmapped_values", "defaulted", "skipped")
    for attribute in (*attributes, "optional_fields"):
        assert getattr(fivetran_report, attribute) == getattr(api_report, attribute)


def test_data_loader_upper_case_headers_give_identical_files(api_landing, tmp_path: Path) -> None:
    landing, _ = api_landing
    export = tmp_path / "data_loader"
    shutil.copytree(API_EXPORT, export)
    for path in export.glob("*.csv"):
        if path.name != "quotas.csv":
            header, rest = path.read_text().split("\n", 1)
            path.write_text(f"{header.upper()}\n{rest}")

    report = convert_salesforce_export(export, tmp_path / "out")

    assert _crm_texts(tmp_path / "out") == _crm_texts(landing)
    assert report.spellings["Opportunity.csv"] == "data loader (upper case)"


@pytest.mark.parametrize("spec", CRM_FILES, ids=lambda spec: spec.name)
def test_converted_files_load_with_the_real_loader(api_landing, tmp_path: Path, spec) -> None:
    landing, report = api_landing
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_parents(con, spec.name, landing)  # reps before opportunities, and so on
        result = load_landing_file(con, landing, spec)

    # The export's deliberate oddities: a lead status 'Recycled' owned by a queue (not a
    # user), and an opportunity in the unmapped stage 'Verbal Commit' with its history.
    quarantined = {"leads": 1, "opportunities": 1, "opportunity_history": 2}
    assert result.rows_quarantined == quarantined.get(spec.name, 0)
    assert result.rows_loaded + result.rows_quarantined == report.rows[spec.name] > 0
    assert result.extra_columns == ()


def test_unmapped_stage_is_reported_with_its_count_and_landed_as_is(api_landing) -> None:
    landing, report = api_landing
    opportunities = pd.read_csv(landing / "crm" / "opportunities.csv", dtype=str)

    assert report.unmapped_stages == {
        "opportunities": {"Verbal Commit": 1},
        "opportunity_history": {"Verbal Commit": 1},
    }
    assert "Verbal Commit" in opportunities["stage"].tolist()
    assert not report.clean
    assert "UNMAPPED stages in opportunities, landed as they are: 'Verbal Commit' (1)" in (
        report.render()
    )


def test_stage_map_yml_maps_a_custom_stage_and_defaults_map_standard_ones(api_landing) -> None:
    landing, report = api_landing
    history = pd.read_csv(landing / "crm" / "opportunity_history.csv", dtype=str)
    stages = dict(zip(history["entered_at"], history["stage"], strict=True))

    assert report.stage_map_file == API_EXPORT / "crm" / "stage_map.yml"
    assert stages["2025-06-02T11:00:00"] == "Qualification"  # Discovery, via stage_map.yml
    assert stages["2025-05-20T08:00:00"] == "Proposal"  # Value Proposition
    assert stages["2025-06-01T09:00:00"] == "Proposal"  # Proposal/Price Quote


def test_probability_stays_a_percentage_and_expected_revenue_divides_by_100(
    api_landing,
) -> None:
    landing, report = api_landing
    opportunities = pd.read_csv(landing / "crm" / "opportunities.csv", dtype=str)
    gamma = opportunities.set_index("opportunity_id").loc["006000000000004"]

    assert (gamma["amount"], gamma["probability"]) == ("1000.50", "80")
    assert float(gamma["amount"]) * float(gamma["probability"]) / 100 == pytest.approx(800.40)
    # Open deals: 1500 x 90% + 2000 x 20% + 1000.50 x 80%.
    assert report.open_pipeline_amount == 4500.50
    assert report.open_expected_revenue == 2550.40
    assert not any("ExpectedRevenue" in w for w in report.warnings)


def test_report_counts_defaults_left_out_rows_and_unknown_owners(api_landing) -> None:
    _, report = api_landing

    assert report.defaulted == {
        "reps.region: empty Division -> Unassigned": 1,
        "accounts.industry: empty -> Unknown": 1,
        "territories.annual_potential: not in Salesforce -> 0": 2,
        "activities.activity_type: Event without a mapped Type -> meeting": 1,
        "leads.lead_source: empty -> Unknown": 1,
        "opportunities.product_id: first OpportunityLineItem": 1,
        "opportunities.quantity: sum of OpportunityLineItem.Quantity": 1,
        "opportunities.amount: empty -> 0": 1,
        "opportunity_history.amount: empty -> 0": 1,
        "activities.account_id: from WhatId": 1,
    }
    assert report.skipped == {
        "Opportunity: deleted records": 1,
        "opportunity_history: rows of deleted opportunities": 1,
        "activities: Task of an unmapped type": 1,
        "activities: Task/Event without an account (e.g. on a lead)": 2,
    }
    assert report.unmapped_values == {
        "leads.status": {"Recycled": 1},
        "activities.activity_type": {"Other": 1},
    }
    assert report.empty_required == {}
    assert report.rows["quotas"] == 2
    assert [w.split(":")[0] for w in report.warnings] == ["leads.owner_rep_id"]


def test_a_deal_without_line_items_lands_without_a_product_or_takes_configured_defaults(
    tmp_path: Path,
) -> None:
    export = tmp_path / "export"
    shutil.copytree(API_EXPORT, export)
    (export / "OpportunityLineItem.csv").unlink()

    # SPEC section 1: product_id and quantity of an opportunity may be empty, so the
    # deal lands as it is (nothing to quarantine) and the report counts it.
    report = convert_salesforce_export(export, tmp_path / "a")
    opportunities = pd.read_csv(tmp_path / "a" / "crm" / "opportunities.csv", dtype=str)
    row = opportunities.set_index("opportunity_id").loc["006000000000003"]
    assert row[["product_id", "quantity"]].isna().all()
    assert report.empty_required == {}
    assert report.optional_fields["Opportunity.Product__c"].empty == 1
    assert report.optional_fields["Opportunity.TotalOpportunityQuantity"].empty == 1
    assert "opportunities.product_id: first OpportunityLineItem" not in report.defaulted

    config = SalesforceConfig(default_product_id="UNSPECIFIED", default_quantity=1)
    report = convert_salesforce_export(export, tmp_path / "b", config)
    opportunities = pd.read_csv(tmp_path / "b" / "crm" / "opportunities.csv", dtype=str)
    row = opportunities.set_index("opportunity_id").loc["006000000000003"]
    assert (row["product_id"], row["quantity"]) == ("UNSPECIFIED", "1")
    assert report.empty_required == {}


def test_supply_and_planning_are_untouched_and_quotas_absence_is_reported(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(API_EXPORT, export)
    (export / "quotas.csv").unlink()
    landing = tmp_path / "landing"
    (landing / "supply").mkdir(parents=True)
    (landing / "supply" / "orders.csv").write_text("untouched\n")

    report = convert_salesforce_export(export, landing)

    assert (landing / "supply" / "orders.csv").read_text() == "untouched\n"
    assert not (landing / "crm" / "quotas.csv").exists()
    assert "quotas" not in report.rows
    assert any(
        w.startswith("quotas: not in standard Salesforce objects; put") for w in report.warnings
    )


def test_a_parquet_file_in_the_way_stops_the_conversion_before_writing(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "reps.parquet").write_bytes(b"")

    with pytest.raises(SalesforceExportError, match=r"reps\.parquet"):
        convert_salesforce_export(API_EXPORT, landing)
    assert not (landing / "crm" / "opportunities.csv").exists()


def test_missing_required_field_names_the_file_and_both_spellings(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(API_EXPORT, export)
    opportunities = pd.read_csv(export / "Opportunity.csv", dtype=str)
    opportunities.drop(columns=["StageName"]).to_csv(export / "Opportunity.csv", index=False)

    with pytest.raises(
        SalesforceExportError, match=r"Opportunity\.csv.*StageName \(Fivetran: stage_name\)"
    ):
        convert_salesforce_export(export, tmp_path / "landing")


def test_missing_required_object_is_an_error(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(API_EXPORT, export)
    (export / "User.csv").unlink()

    with pytest.raises(SalesforceExportError, match="no export of User"):
        convert_salesforce_export(export, tmp_path / "landing")


def test_stage_map_file_accepts_both_forms_and_rejects_non_canonical_targets(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stage_map.yml"
    path.write_text("Discovery: Qualification\nProposal:\n  - Quote Sent\n  - Tech Review\n")
    assert load_stage_map(path) == {
        "Discovery": "Qualification",
        "Quote Sent": "Proposal",
        "Tech Review": "Proposal",
    }

    path.write_text("Discovery: Qualified\n")
    with pytest.raises(SalesforceConfigError, match="'Discovery' maps to 'Qualified'"):
        load_stage_map(path)


def test_value_conversions_keep_what_they_cannot_parse() -> None:
    text = pd.Series(["2025-03-06T23:30:00.000+0000", "2025-02-30", pd.NA], dtype="string")

    assert to_timestamp(text).tolist() == ["2025-03-06T23:30:00", "2025-02-30", pd.NA]
    assert to_date(text).tolist() == ["2025-03-06", "2025-02-30", pd.NA]
    assert timestamp_to_date(text, "Europe/Berlin").tolist() == ["2025-03-07", "2025-02-30", pd.NA]
    # A date-only value is a calendar date already; no time zone shifts it.
    assert timestamp_to_date(pd.Series(["2024-01-15"]), "America/New_York").tolist() == [
        "2024-01-15"
    ]


def test_cli_import_reports_the_unmapped_stage_and_exits_1(tmp_path: Path, capsys) -> None:
    from orchestration import cli

    export = Path(__file__).parent / "fixtures" / "salesforce_landing" / "api_export"
    code = cli.main(["import-salesforce", "--export", str(export), "--landing", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "Verbal Commit" in out
    assert (tmp_path / "crm" / "opportunities.csv").exists()


def _edit_export(export: Path, name: str, drop=(), blank: dict[str, list[str]] | None = None):
    """Drop columns of `name`.csv and empty cells of the records whose Id is listed."""
    path = export / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=list(drop))
    for column, ids in (blank or {}).items():
        frame.loc[frame["Id"].isin(ids), column] = ""
    frame.to_csv(path, index=False)


@pytest.fixture
def sparse_export(tmp_path: Path) -> Path:
    """The API export with optional fields absent from every object and empty in records."""
    export = tmp_path / "sparse_export"
    shutil.copytree(API_EXPORT, export)
    _edit_export(
        export,
        "Opportunity",
        drop=["IsClosed", "IsWon", "ForecastCategoryName"],
        blank={"Product__c": ["006000000000001"], "TotalOpportunityQuantity": ["006000000000001"]},
    )
    _edit_export(
        export, "OpportunityLineItem", drop=["SortOrder"], blank={"Quantity": ["00k000000000002"]}
    )
    _edit_export(export, "Product2", blank={"ProductCode": ["01t000000000003"]})
    _edit_export(
        export,
        "User",
        drop=["LastModifiedDate"],
        blank={
            "Title": ["005000000000003"],
            "CreatedDate": ["005000000000004"],
            "UserRoleId": ["005000000000002"],
        },
    )
    _edit_export(export, "UserRole", blank={"Name": ["00E000000000002"]})
    _edit_export(
        export,
        "Account",
        drop=["BillingCountry"],
        blank={"NumberOfEmployees": ["001000000000002"]},
    )
    _edit_export(export, "Lead", drop=["IsConverted"])
    _edit_export(
        export, "Task", drop=["CallDurationInSeconds"], blank={"Type": ["00T000000000006"]}
    )
    _edit_export(export, "Event", drop=["DurationInMinutes"])
    return export


def test_empty_and_absent_optional_fields_take_their_defaults_and_are_counted(
    sparse_export: Path, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    report = convert_salesforce_export(sparse_export, landing)

    def landed(name: str, key: str) -> pd.DataFrame:
        return pd.read_csv(landing / "crm" / f"{name}.csv", dtype=str).set_index(key)

    opportunities = landed("opportunities", "opportunity_id")
    assert opportunities[["is_closed", "is_won", "forecast_category"]].to_dict("index") == {
        "006000000000001": {"is_closed": "true", "is_won": "true", "forecast_category": "Closed"},
        "006000000000002": {
            "is_closed": "false",
            "is_won": "false",
            "forecast_category": "Pipeline",
        },
        "006000000000003": {
            "is_closed": "false",
            "is_won": "false",
            "forecast_category": "Pipeline",
        },
        "006000000000004": {
            "is_closed": "false",
            "is_won": "false",
            "forecast_category": "Pipeline",
        },
        "006000000000005": {"is_closed": "true", "is_won": "false", "forecast_category": "Omitted"},
    }
    # The won deal without Product__c, quantity or line items lands without a product; the
    # other's first line item (lowest Id, no SortOrder) is a product without ProductCode,
    # so its record id is the product, and its quantity is the one line with a Quantity.
    assert opportunities.loc["006000000000001", ["product_id", "quantity"]].isna().all()
    assert opportunities.loc["006000000000003", ["product_id", "quantity"]].tolist() == [
        "01t000000000003",
        "5",
    ]
    reps = landed("reps", "rep_id")
    # Sam: no Title (so not an SDR) and a role without Name; Rita: no role; Andy: no
    # CreatedDate, so the earliest date of the export (Maria's CreatedDate, 2023-01-01).
    assert reps[["team", "role", "hire_date", "end_date"]].fillna("").to_dict("index") == {
        "005000000000001": {
            "team": "EMEA Team 1",
            "role": "Manager",
            "hire_date": "2023-01-01",
            "end_date": "",
        },
        "005000000000002": {
            "team": "Unassigned",
            "role": "AE",
            "hire_date": "2024-01-15",
            "end_date": "",
        },
        "005000000000003": {
            "team": "Unassigned",
            "role": "AE",
            "hire_date": "2024-03-01",
            "end_date": "",
        },
        "005000000000004": {
            "team": "EMEA Team 1",
            "role": "AE",
            "hire_date": "2023-01-01",
            "end_date": "",
        },
    }
    accounts = landed("accounts", "account_id")
    assert accounts[["segment", "region", "territory_id"]].to_dict("list") == {
        "segment": ["SMB", "SMB", "Enterprise"],  # 150, empty, 5000 employees
        "region": ["Unassigned"] * 3,
        "territory_id": ["Unassigned"] * 3,
    }
    territories = landed("territories", "territory_id")
    assert territories.loc["Unassigned", "owner_rep_id"] == "005000000000002"  # 2 of 3 accounts
    leads = landed("leads", "lead_id")
    assert leads["status"].tolist() == ["qualified", "open", "disqualified", "Recycled"]
    activities = landed("activities", "activity_id")
    assert activities.index.tolist() == [
        "00T000000000001",
        "00T000000000002",
        "00T000000000003",
        "00U000000000001",
        "00U000000000002",
        "00U000000000003",
    ]
    assert activities["duration_minutes"].isna().all()

    census = {name: (f.empty, f.absent) for name, f in report.optional_fields.items()}
    assert census == {
        "Opportunity.TotalOpportunityQuantity": (2, False),
        "Opportunity.IsClosed": (5, True),
        "Opportunity.IsWon": (5, True),
        "Opportunity.ForecastCategoryName": (5, True),
        "Opportunity.ForecastCategory": (5, True),
        "Opportunity.LeadSource": (1, False),
        "Opportunity.ExpectedRevenue": (1, False),
        "Opportunity.CurrencyIsoCode": (5, True),
        "Opportunity.Product__c": (2, False),
        "OpportunityLineItem.Quantity": (1, False),
        "OpportunityLineItem.SortOrder": (2, True),
        "Product2.ProductCode": (1, False),
        "User.LastModifiedDate": (4, True),
        "User.UserRoleId": (1, False),
        "User.UserRole.Name": (2, False),
        "User.Division": (1, False),
        "User.CreatedDate": (1, False),
        "User.Title": (1, False),
        "UserRole.Name": (1, False),
        "Account.Industry": (1, False),
        "Account.BillingCountry": (3, True),
        "Account.NumberOfEmployees": (1, False),
        "Lead.LeadSource": (1, False),
        "Lead.IsConverted": (4, True),
        "Lead.ConvertedDate": (3, False),
        "Lead.ConvertedOpportunityId": (3, False),
        "Task.AccountId": (3, False),
        "Task.WhatId": (3, False),
        "Task.WhoId": (2, False),
        "Task.Type": (1, False),
        "Task.CompletedDateTime": (3, False),
        "Task.CallDurationInSeconds": (6, True),
        "Event.WhoId": (3, False),
        "Event.Type": (1, False),
        "Event.DurationInMinutes": (3, True),
    }
    assert report.defaulted == {
        "reps.team: empty UserRole.Name -> Unassigned": 2,
        "reps.region: empty Division -> Unassigned": 1,
        "reps.hire_date: empty CreatedDate -> earliest date in the export": 1,
        "accounts.region: empty BillingCountry -> Unassigned": 3,
        "accounts.industry: empty -> Unknown": 1,
        "accounts.segment: empty NumberOfEmployees -> SMB": 1,
        "territories.annual_potential: not in Salesforce -> 0": 1,
        "activities.activity_type: Event without a mapped Type -> meeting": 1,
        "leads.lead_source: empty -> Unknown": 1,
        "opportunities.is_won": 5,
        "opportunities.is_closed": 5,
        "opportunities.product_id: first OpportunityLineItem": 1,
        "opportunities.quantity: sum of OpportunityLineItem.Quantity": 1,
        "opportunities.amount: empty -> 0": 1,
        "opportunities.forecast_category: from stage": 5,
        "opportunity_history.amount: empty -> 0": 1,
        "activities.account_id: from WhatId": 1,
    }
    assert report.skipped["activities: Task without a type (a to-do)"] == 1
    assert "activities.activity_type" not in report.unmapped_values  # a to-do is no type
    assert report.empty_required == {}
    rendered = report.render()
    assert "optional Account.NumberOfEmployees: 1 empty -> segment SMB" in rendered
    assert (
        "optional Account.BillingCountry: absent from the export (3 rows) -> region Unassigned"
        in (rendered)
    )


def test_sparse_export_loads_and_the_deal_without_a_product_is_not_quarantined(
    sparse_export: Path, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    convert_salesforce_export(sparse_export, landing)
    spec = LANDING_BY_NAME["opportunities"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_parents(con, "opportunities", landing)
        result = load_landing_file(con, landing, spec)
        loaded = con.execute(
            "select opportunity_id, product_id, quantity from raw.opportunities "
            "where product_id is null"
        ).fetchall()

    assert result.rows_quarantined == 1  # 'Verbal Commit', the unmapped stage
    assert loaded == [("006000000000001", None, None)]


@pytest.mark.parametrize("form", ["empty", "absent"])
def test_cli_import_without_employee_counts_defaults_the_segment(
    tmp_path: Path, capsys, form: str
) -> None:
    from orchestration import cli

    export = tmp_path / "export"
    shutil.copytree(API_EXPORT, export)
    if form == "empty":
        _edit_export(export, "Account", blank={"NumberOfEmployees": ["001000000000002"]})
    else:
        _edit_export(export, "Account", drop=["NumberOfEmployees"])
    # Map the fixture's one custom stage, so that only the lead status 'Recycled' is unmapped.
    (export / "crm" / "stage_map.yml").write_text(
        "Qualification: [Discovery]\nNegotiation: [Verbal Commit]\n"
    )

    code = cli.main(["import-salesforce", "--export", str(export), "--landing", str(tmp_path)])
    captured = capsys.readouterr()

    accounts = pd.read_csv(tmp_path / "crm" / "accounts.csv", dtype=str)
    expected = {"empty": ["SMB", "SMB", "Enterprise"], "absent": ["SMB", "SMB", "SMB"]}
    assert accounts["segment"].tolist() == expected[form]
    line = {
        "empty": "optional Account.NumberOfEmployees: 1 empty -> segment SMB",
        "absent": "optional Account.NumberOfEmployees: absent from the export (3 rows) "
        "-> segment SMB",
    }
    assert line[form] in captured.out
    assert "Traceback" not in captured.err
    assert code == 1  # the unmapped lead status 'Recycled', not the segment
    assert "unmapped leads.status: 'Recycled' (1)" in captured.out


def test_every_optional_field_has_a_documented_default() -> None:
    from orchestration.salesforce.fields import FIELD_MAPPINGS

    configured = SalesforceConfig(
        territory_field="Territory__c", first_contact_field="First_Contact__c"
    ).configured_fields()
    assert [
        m.field for m in (*FIELD_MAPPINGS, *configured) if not m.required and not m.default
    ] == []
    assert {m.field for m in configured} == {
        "Product__c",
        "UserRole.Name",
        "Division",
        "CreatedDate",
        "Title",
        "BillingCountry",
        "NumberOfEmployees",
        "Territory__c",
        "First_Contact__c",
    }


def test_the_documented_defaults_are_the_ones_the_code_applies() -> None:
    from orchestration.salesforce.fields import FIELD_MAPPINGS

    docs = (Path(__file__).parents[1] / "docs" / "decisions.md").read_text()
    optional = [m for m in FIELD_MAPPINGS if not m.required]
    rows = [
        f"| {m.sf_object}.{m.field} | {m.default} |"
        for m in (*optional, *SalesforceConfig().configured_fields())
    ]
    assert [row for row in rows if row not in docs] == []
