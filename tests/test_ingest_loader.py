"""Loading landing files into raw: declared types, quarantine with reasons, clear file errors."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest_loader import LandingFileError, load_landing_file
from orchestration.landing_contract import LANDING_BY_NAME
from orchestration.warehouse import connect
from tests.conftest import TINY_LANDING, load_parents

REPS_HEADER = "rep_id,rep_name,team,region,role,manager_id,hire_date,end_date"


def _write(landing: Path, relative: str, text: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _load(tmp_path: Path, name: str):
    with connect(tmp_path / "w.duckdb") as con:
        load_parents(con, name)
        result = load_landing_file(con, tmp_path / "landing", LANDING_BY_NAME[name])
        raw = con.execute(f"select * from raw.{name} order by _source_row").df()
        quarantine = con.execute("select * from quality.quarantine order by row_number").df()
    return result, raw, quarantine


def test_bad_values_are_quarantined_with_reason_row_and_original_text(tmp_path: Path) -> None:
    _write(
        tmp_path / "landing",
        "crm/reps.csv",
        f"{REPS_HEADER},nickname\n"
        "R1,Ann,T1,EMEA,AE,,2024-01-05,,annie\n"
        'R2,"Bob, Jr",T1,EMEA,AE,R1,2024-02-30,,bobby\n'
        ",Cy,T1,EMEA,AE,R1,2024-02-01,,cy\n"
        "R4,Di,T1,EMEA,AE,R1,2024-03-01,not a date,di\n",
    )
    result, raw, quarantine = _load(tmp_path, "reps")

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    assert result.extra_columns == ("nickname",)
    assert raw["rep_id"].tolist() == ["R1"]
    assert raw["nickname"].tolist() == ["annie"]
    assert quarantine["row_number"].tolist() == [2, 3, 4]
    assert quarantine["column_name"].tolist() == ["hire_date", "rep_id", "end_date"]
    assert quarantine["reason"].tolist() == [
        "hire_date: '2024-02-30' is not a valid date",
        "rep_id: required value is empty",
        "end_date: 'not a date' is not a valid date",
    ]
    assert set(quarantine["source_file"]) == {"crm/reps.csv"}
    assert json.loads(quarantine["raw_record"][0])["rep_name"] == "Bob, Jr"


def test_timestamps_with_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    _write(
        tmp_path / "landing",
        "crm/activities.csv",
        "activity_id,rep_id,account_id,opportunity_id,activity_type,activity_at,duration_minutes\n"
        "X1,R1,A1,,call,2025-01-05T10:00:00+02:00,12\n"
        "X2,R1,A1,O1,email,2025-01-05T10:00:00,\n"
        "X3,R1,A1,O1,email,2025-01-05 10:00:00Z,\n",
    )
    with connect(tmp_path / "w.duckdb") as con:
        con.execute("set TimeZone = 'Europe/Berlin'")  # the loader must not depend on it
        load_parents(con, "activities")
        result = load_landing_file(con, tmp_path / "landing", LANDING_BY_NAME["activities"])
        raw = con.execute("select * from raw.activities order by _source_row").df()
    assert result.rows_quarantined == 0
    assert raw["activity_at"].tolist() == [
        datetime(2025, 1, 5, 8, 0),
        datetime(2025, 1, 5, 10, 0),
        datetime(2025, 1, 5, 10, 0),
    ]
    assert raw["duration_minutes"].isna().tolist() == [False, True, True]


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    _write(tmp_path / "landing", "crm/quotas.csv", "rep_id,month\nR1,2025-01-01\n")
    with pytest.raises(
        LandingFileError, match=r"crm/quotas.csv: missing required column\(s\) quota_amount"
    ):
        _load(tmp_path, "quotas")


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    with pytest.raises(LandingFileError, match=r"^supply/capacity.csv: missing landing file"):
        _load(tmp_path, "capacity")


def test_parquet_landing_file_is_loaded_with_declared_types(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / "supply"
    landing.mkdir(parents=True)
    duckdb.sql(
        "select 'RES1' as resource_id, date '2025-01-01' as month, 120.5 as available_hours"
    ).write_parquet(str(landing / "capacity.parquet"))
    result, raw, _ = _load(tmp_path, "capacity")
    assert result.rows_loaded == 1
    assert raw["available_hours"].tolist() == [120.5]
    assert str(raw["month"].dtype).startswith("datetime64")


def test_header_names_are_matched_trimmed_and_case_insensitively(tmp_path: Path) -> None:
    _write(
        tmp_path / "landing",
        "crm/quotas.csv",
        " Rep_ID ,MONTH,Quota_Amount\nR1,2025-01-01, 1500.50 \n",
    )
    result, raw, _ = _load(tmp_path, "quotas")
    assert result.rows_loaded == 1
    assert float(raw["quota_amount"][0]) == 1500.50


def test_switching_a_file_from_csv_to_parquet_leaves_no_stale_quarantine(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _write(landing, "supply/capacity.csv", "resource_id,month,available_hours\nR1,2025-01-01,x\n")
    _load(tmp_path, "capacity")
    (landing / "supply" / "capacity.csv").unlink()
    duckdb.sql(
        "select 'R1' as resource_id, date '2025-01-01' as month, 10.0 as available_hours"
    ).write_parquet(str(landing / "supply" / "capacity.parquet"))
    result, _, quarantine = _load(tmp_path, "capacity")
    assert (result.source_file, result.rows_quarantined) == ("supply/capacity.parquet", 0)
    assert quarantine.empty


def test_an_unreadable_file_is_named_in_one_line(tmp_path: Path) -> None:
    _write(tmp_path / "landing", "crm/quotas.csv", "")
    with pytest.raises(LandingFileError, match=r"^quotas.csv cannot be read: |^crm/quotas.csv"):
        _load(tmp_path, "quotas")


CAPACITY_HEADER = "resource_id,month,available_hours"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NaN", "available_hours: 'NaN' is not a valid double"),
        ("inf", "available_hours: 'inf' is not a valid double"),
        ("-1e400", "available_hours: '-1e400' is not a valid double"),
    ],
)
def test_nan_and_infinite_numbers_are_invalid_values(tmp_path: Path, value, reason) -> None:
    _write(
        tmp_path / "landing", "supply/capacity.csv", f"{CAPACITY_HEADER}\nR1,2025-01-01,{value}\n"
    )
    result, _, quarantine = _load(tmp_path, "capacity")
    assert result.rows_quarantined == 1
    assert quarantine["reason"].tolist() == [reason]


@pytest.mark.parametrize(
    ("month", "loaded"),
    [
        ("2025-04-01", True),
        ("2025-04-01 00:00:00", True),  # Excel's midnight
        ("2025-04-01T23:00:00-05:00", False),  # a time and an offset: which day is it?
        ("infinity", False),
        ("2025/04/01", False),
        ("20250-04-01", False),
    ],
)
def test_a_date_is_a_day_not_a_moment(tmp_path: Path, month, loaded) -> None:
    _write(tmp_path / "landing", "supply/capacity.csv", f"{CAPACITY_HEADER}\nR1,{month},10\n")
    result, raw, _ = _load(tmp_path, "capacity")
    assert (result.rows_loaded == 1) is loaded
    if loaded:
        assert raw["month"].dt.strftime("%Y-%m-%d").tolist() == ["2025-04-01"]


def test_an_integer_with_decimals_is_not_rounded(tmp_path: Path) -> None:
    header = (TINY_LANDING / "supply" / "products.csv").read_text().splitlines()
    row = header[1].replace(",14,", ",1.5,")
    _write(tmp_path / "landing", "supply/products.csv", f"{header[0]}\n{row}\n")
    result, _, quarantine = _load(tmp_path, "products")
    assert result.rows_quarantined == 1
    assert quarantine["reason"].tolist() == ["lead_time_days: '1.5' is not a valid integer"]


def test_headers_that_look_like_the_loaders_own_names_change_nothing(tmp_path: Path) -> None:
    _write(
        tmp_path / "landing",
        "supply/capacity.csv",
        'rowid,resource_id,month,available_hours,_reason,"say ""hi"""\n'
        "9,R1,2025-01-01,10,x,a\n"
        "9,R1,2025-02-01,oops,,b\n"
        "9,R1,2025-01-01,10,x,a\n",
    )
    result, raw, quarantine = _load(tmp_path, "capacity")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    assert raw["_source_row"].tolist() == [1]
    assert raw["rowid"].tolist() == ["9"] and raw["_reason"].tolist() == ["x"]
    assert quarantine["row_number"].tolist() == [2, 3]
    assert quarantine["rule"].tolist() == ["invalid_value", "duplicate_key"]
    assert json.loads(quarantine["raw_record"][0]) == {
        "rowid": "9",
        "resource_id": "R1",
        "month": "2025-02-01",
        "available_hours": "oops",
        "_reason": None,
        'say "hi"': "b",
    }


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            f"{CAPACITY_HEADER},__sop_typed_month",
            "supply/capacity.csv: column '__sop_typed_month' has a name the loader reserves",
        ),
        (
            f"{CAPACITY_HEADER},_source_row",
            "supply/capacity.csv: column '_source_row' has a name the loader reserves",
        ),
    ],
)
def test_reserved_headers_are_file_errors(tmp_path: Path, header, message) -> None:
    _write(tmp_path / "landing", "supply/capacity.csv", f"{header}\nR1,2025-01-01,10,x\n")
    with pytest.raises(LandingFileError, match=re.escape(message)):
        _load(tmp_path, "capacity")


def test_parquet_columns_that_differ_only_in_case_are_a_file_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    landing = tmp_path / "landing" / "supply"
    landing.mkdir(parents=True)
    table = pa.table(
        {"resource_id": ["R1"], "month": ["2025-01-01"], "available_hours": ["1"], "Month ": ["x"]}
    )
    pq.write_table(table, landing / "capacity.parquet")
    with pytest.raises(LandingFileError, match="columns 'month' and 'Month ' are the same column"):
        _load(tmp_path, "capacity")
