"""planning/overrides.csv: parsing, every rejection message, and the checks against the plan."""

from __future__ import annotations

import doctest
from datetime import date

import pandas as pd
import pytest

from models.planning import overrides as overrides_module
from models.planning.overrides import (
    OverrideFileError,
    OverrideRejection,
    parse_overrides,
    validate_against_plan,
)

HEADER = "product_id,family,month,adjustment_type,value,reason,submitted_by\n"
SOURCE = "planning/overrides.csv"


def _messages(rejections: list[OverrideRejection]) -> list[str]:
    return [r.message for r in rejections]


def test_accepted_rows_are_typed_and_trimmed():
    text = (
        HEADER
        + "P1,,2025-07-01,pct,15,Promotion,Ann\n"
        + " ,Pumps , 2025-08-01 , Units ,-40,Recall,Bob\n"
    )
    overrides, rejections = parse_overrides(text)
    assert rejections == []
    assert overrides.columns.tolist() == [
        "line",
        "product_id",
        "family",
        "month",
        "adjustment_type",
        "value",
        "reason",
        "submitted_by",
    ]
    assert overrides.to_dict("records") == [
        {
            "line": 2,
            "product_id": "P1",
            "family": None,
            "month": date(2025, 7, 1),
            "adjustment_type": "pct",
            "value": 15.0,
            "reason": "Promotion",
            "submitted_by": "Ann",
        },
        {
            "line": 3,
            "product_id": None,
            "family": "Pumps",
            "month": date(2025, 8, 1),
            "adjustment_type": "units",
            "value": -40.0,
            "reason": "Recall",
            "submitted_by": "Bob",
        },
    ]
    assert overrides["value"].dtype == "float64"
    assert overrides["line"].dtype == "int64"


def test_column_order_is_free_and_extra_columns_are_ignored():
    text = (
        "\ufeffsubmitted_by,reason,value,adjustment_type,month,family,product_id,comment\n"
        "Ann,Tender,250,units,2025-09-01,,P2,see mail\n"
    )
    overrides, rejections = parse_overrides(text)
    assert rejections == []
    assert overrides[["line", "product_id", "value"]].to_dict("records") == [
        {"line": 2, "product_id": "P2", "value": 250.0}
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "P1,Pumps,2025-07-01,pct,5,Promo,Ann",
            f"{SOURCE} line 2, column family: 'Pumps' is filled together with product_id 'P1': "
            "fill exactly one",
        ),
        (
            ",,2025-07-01,pct,5,Promo,Ann",
            f"{SOURCE} line 2, column product_id: '' is empty and so is family: "
            "fill exactly one of them",
        ),
        (
            "P1,,2026-13-01,pct,5,Promo,Ann",
            f"{SOURCE} line 2, column month: '2026-13-01' is not a date (YYYY-MM-DD)",
        ),
        (
            "P1,,07/01/2025,pct,5,Promo,Ann",
            f"{SOURCE} line 2, column month: '07/01/2025' is not a date (YYYY-MM-DD)",
        ),
        (
            "P1,,2025-07-15,pct,5,Promo,Ann",
            f"{SOURCE} line 2, column month: '2025-07-15' is not the first day of a month "
            "(write 2025-07-01 for July 2025)",
        ),
        (
            "P1,,2025-07-01,percent,5,Promo,Ann",
            f"{SOURCE} line 2, column adjustment_type: 'percent' is not an adjustment type "
            "(pct or units)",
        ),
        (
            "P1,,2025-07-01,units,abc,Promo,Ann",
            f"{SOURCE} line 2, column value: 'abc' is not a finite number",
        ),
        (
            "P1,,2025-07-01,units,nan,Promo,Ann",
            f"{SOURCE} line 2, column value: 'nan' is not a finite number",
        ),
        (
            "P1,,2025-07-01,units,1e999,Promo,Ann",
            f"{SOURCE} line 2, column value: '1e999' is not a finite number",
        ),
        (
            "P1,,2025-07-01,pct,15%,Promo,Ann",
            f"{SOURCE} line 2, column value: '15%' is not a finite number",
        ),
        (
            "P1,,2025-07-01,pct,-100,Promo,Ann",
            f"{SOURCE} line 2, column value: '-100' is -100 or less: a pct override is in "
            "percent and would leave no demand or negative demand "
            "(use units to take out a known quantity)",
        ),
        (
            "P1,,2025-07-01,units,5,,Ann",
            f"{SOURCE} line 2, column reason: '' is empty: the S&OP meeting needs the reason "
            "for every override",
        ),
        (
            "P1,,2025-07-01,units,5,Promo, ",
            f"{SOURCE} line 2, column submitted_by: '' is empty: every override needs its author",
        ),
        (
            "P1,,2025-07-01,units,5,Promo,Ann,extra,more",
            f"{SOURCE} line 2, column (extra fields): 'extra,more' is beyond the header's "
            "7 columns (a comma in a field that is not quoted?)",
        ),
    ],
)
def test_each_rejection_names_line_column_and_value(row: str, message: str):
    overrides, rejections = parse_overrides(HEADER + row + "\n")
    assert overrides.empty
    assert _messages(rejections) == [message]


def test_units_may_take_out_more_than_a_hundred():
    overrides, rejections = parse_overrides(HEADER + "P1,,2025-07-01,units,-100,Recall,Ann\n")
    assert rejections == []
    assert overrides["value"].tolist() == [-100.0]


def test_every_problem_of_a_row_is_reported_in_column_order():
    overrides, rejections = parse_overrides(HEADER + ",,2025-07-02,fixed,x,,\n")
    assert overrides.empty
    assert [(r.line, r.column, r.value) for r in rejections] == [
        (2, "product_id", ""),
        (2, "month", "2025-07-02"),
        (2, "adjustment_type", "fixed"),
        (2, "value", "x"),
        (2, "reason", ""),
        (2, "submitted_by", ""),
    ]


def test_line_numbers_are_file_lines_across_blank_lines_and_quoted_newlines():
    text = (
        HEADER
        + 'P1,,2025-07-01,units,5,"Tender,\nsecond line of the reason",Ann\n'  # lines 2-3
        + "\n"  # line 4
        + ",,,,,,\n"  # line 5: an empty spreadsheet row, skipped
        + "P1,,2025-07-01,pct,abc,Promo,Ann\n"  # line 6
    )
    overrides, rejections = parse_overrides(text, source="landing/planning/overrides.csv")
    assert overrides["line"].tolist() == [2]
    assert overrides["reason"].tolist() == ["Tender,\nsecond line of the reason"]
    assert _messages(rejections) == [
        "landing/planning/overrides.csv line 6, column value: 'abc' is not a finite number"
    ]


def test_a_header_only_file_gives_an_empty_typed_frame():
    overrides, rejections = parse_overrides(HEADER)
    assert rejections == []
    assert overrides.empty
    assert overrides.columns[0] == "line"
    assert overrides["value"].dtype == "float64"


def test_missing_required_column_names_the_file_and_the_column():
    text = "product_id,family,month,adjustment_type,value,reason\nP1,,2025-07-01,pct,5,x\n"
    with pytest.raises(OverrideFileError) as raised:
        parse_overrides(text)
    assert (
        str(raised.value) == "planning/overrides.csv is missing required column(s) 'submitted_by'"
    )


def test_several_missing_columns_are_all_named():
    with pytest.raises(OverrideFileError) as raised:
        parse_overrides("product_id,month,value\n")
    assert str(raised.value) == (
        "planning/overrides.csv is missing required column(s) 'family', 'adjustment_type', "
        "'reason', 'submitted_by'"
    )


def test_an_empty_file_is_an_error():
    with pytest.raises(OverrideFileError) as raised:
        parse_overrides("")
    assert str(raised.value) == "planning/overrides.csv has no header row"


PRODUCTS = pd.DataFrame({"product_id": ["P1", "P2", "P3"], "family": ["Pumps", "Pumps", "Valves"]})


def test_validate_against_plan_keeps_known_ids_inside_the_horizon():
    text = (
        HEADER
        + "P1,,2025-07-01,pct,5,Promo,Ann\n"  # 2: kept, first month of the horizon
        + ",Valves,2025-09-01,units,5,Promo,Ann\n"  # 3: kept, last month
        + "P9,,2025-08-01,units,5,Promo,Ann\n"  # 4: unknown product
        + ",Fans,2025-08-01,units,5,Promo,Ann\n"  # 5: unknown family
        + "P2,,2025-10-01,units,5,Promo,Ann\n"  # 6: after the horizon
        + "P2,,2025-06-01,units,5,Promo,Ann\n"  # 7: the run month itself
        + "P9,,2026-01-01,units,5,Promo,Ann\n"  # 8: two problems
    )
    overrides, rejections = parse_overrides(text)
    assert rejections == []
    kept, rejections = validate_against_plan(overrides, PRODUCTS, date(2025, 6, 1), 3)
    assert kept["line"].tolist() == [2, 3]
    assert kept.columns.tolist() == overrides.columns.tolist()
    horizon = "is outside the plan horizon 2025-07-01 to 2025-09-01 (the 3 months after run month 2025-06)"  # noqa: E501
    assert _messages(rejections) == [
        f"{SOURCE} line 4, column product_id: 'P9' is not a product of supply/products",
        f"{SOURCE} line 5, column family: 'Fans' is not a family of supply/products",
        f"{SOURCE} line 6, column month: '2025-10-01' {horizon}",
        f"{SOURCE} line 7, column month: '2025-06-01' {horizon}: the override has expired "
        "and is not applied",
        f"{SOURCE} line 8, column product_id: 'P9' is not a product of supply/products",
        f"{SOURCE} line 8, column month: '2026-01-01' {horizon}",
    ]
    # A past month is history, not a mistake: only line 7 is expired.
    assert [r.line for r in rejections if r.expired] == [7]


def test_validate_against_plan_reads_frames_back_from_storage():
    stored = pd.DataFrame(
        {
            "line": [2, 3],
            "product_id": ["P1", float("nan")],
            "family": [float("nan"), "Pumps"],
            "month": pd.to_datetime(["2025-12-01", "2026-01-01"]),
            "adjustment_type": ["pct", "units"],
            "value": [5.0, 10.0],
            "reason": ["Promo", "Tender"],
            "submitted_by": ["Ann", "Bob"],
        }
    )
    kept, rejections = validate_against_plan(stored, PRODUCTS, date(2025, 6, 17), 6)
    assert kept["line"].tolist() == [2]
    assert _messages(rejections) == [
        f"{SOURCE} line 3, column month: '2026-01-01' is outside the plan horizon "
        "2025-07-01 to 2025-12-01 (the 6 months after run month 2025-06)"
    ]


def test_docstring_examples():
    result = doctest.testmod(overrides_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
