"""A corpus of bad landing inputs, each with the exact outcome a person would see.

Every case makes one small change to a copy of `tests/fixtures/tiny_landing` and
states, by hand from the rules (landing contract, suites, `landing_text`), what
`sop validate` reports for it: the exit code, the file-level error messages, the
checks that fail (and with which severity), and every quarantined row (row
number, first problem column, rule, full reason, and the original values in
`raw_record`). For every file that loads, nothing is lost: rows read = rows
loaded + rows quarantined.

Two cases go through a real monthly run (Dagster, dbt, DuckDB): bad rows that
are only quarantined, and a header-only orders file that stops the run.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from expectations import list_suites
from orchestration.landing_contract import LANDING_FILES
from orchestration.validate import validate_landing
from tests.conftest import TINY_LANDING, make_settings

Mutation = Callable[[Path], None]

# Data records in each file of the unchanged fixture (header not counted).
BASELINE_ROWS = {
    "crm/reps.csv": 3,
    "crm/territories.csv": 1,
    "crm/accounts.csv": 2,
    "crm/leads.csv": 2,
    "crm/opportunities.csv": 7,
    "crm/opportunity_history.csv": 13,
    "crm/activities.csv": 3,
    "crm/quotas.csv": 5,
    "supply/products.csv": 3,
    "supply/orders.csv": 7,
    "supply/inventory.csv": 2,
    "supply/capacity.csv": 2,
    "supply/open_supply.csv": 1,
}

# Stands for any text in an expected check observation (e.g. a value set's order).
ANY = "{*}"

STAGE_REASON = (
    "stage: '{}' is not a canonical stage (Prospecting, Qualification, Proposal, "
    "Negotiation, Closed Won, Closed Lost) or an alias in the dbt var stage_aliases"
)
UNKNOWN_REP = "{}: '{}' is not a known rep_id in crm/reps (missing there, or quarantined there)"
UNKNOWN_OPPORTUNITY = (
    "opportunity_id: '{}' is not a known opportunity_id in crm/opportunities "
    "(missing there, or quarantined there)"
)
SPELLING = "(case, spaces, hyphens and underscores are ignored)"

# Rows of the fixture that cases change or that a cascade quarantines, as written there.
O1 = "O1,A1,R1,P1,2025-03-06,2025-04-10,Closed Won,600.00,6,true,true,100,Closed,Web"
O5 = "O5,A2,R2,P2,2025-06-01,2025-06-30,Closed Won,300.00,3,true,true,100,Closed,"
O6 = "O6,A2,R2,P2,2025-06-05,2025-06-25,Proposal,700.00,7,false,false,50,Pipeline,"
O6_HISTORY = "O6,Proposal,2025-06-05T09:00:00,700.00,2025-06-25"
HISTORY = "crm/opportunity_history.csv"
OPPORTUNITIES = "crm/opportunities.csv"
ORDERS = "supply/orders.csv"


# --- mutations ---------------------------------------------------------------------------


def replace(relative: str, old: str, new: str) -> Mutation:
    """Replace the one occurrence of `old` in a landing file."""

    def mutate(landing: Path) -> None:
        path = landing / relative
        text = path.read_bytes().decode("utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {relative}"
        path.write_bytes(text.replace(old, new).encode("utf-8"))

    return mutate


def append(relative: str, *lines: str) -> Mutation:
    def mutate(landing: Path) -> None:
        path = landing / relative
        path.write_bytes(path.read_bytes() + "".join(f"{line}\n" for line in lines).encode())

    return mutate


def reencode(relative: str, encoding: str, *, crlf: bool = False) -> Mutation:
    """Save the file again in another encoding (Python's utf-16 and utf-8-sig write a BOM)."""

    def mutate(landing: Path) -> None:
        path = landing / relative
        text = path.read_bytes().decode("utf-8")
        if crlf:
            text = text.replace("\n", "\r\n")
        path.write_bytes(text.encode(encoding))

    return mutate


def write_bytes(relative: str, data: bytes) -> Mutation:
    def mutate(landing: Path) -> None:
        (landing / relative).write_bytes(data)

    return mutate


def header_only(relative: str) -> Mutation:
    def mutate(landing: Path) -> None:
        path = landing / relative
        path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])

    return mutate


def delete(relative: str) -> Mutation:
    def mutate(landing: Path) -> None:
        (landing / relative).unlink()

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(landing: Path) -> None:
        for mutation in mutations:
            mutation(landing)

    return mutate


# --- expected outcomes -------------------------------------------------------------------


@dataclass(frozen=True)
class Q:
    """One expected row of quality.quarantine; `line` is the row as written in the file."""

    file: str
    row: int
    column: str
    rule: str
    reason: str
    line: str


@dataclass(frozen=True)
class Expect:
    exit_code: int
    quarantined: tuple[Q, ...] = ()
    # File-level errors by report name ("{landing}" stands for the landing folder).
    errors: dict[str, str] = field(default_factory=dict)
    # Failed checks: name -> (severity, observed; ANY matches any text).
    failed_checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Landing checks that cannot run because a table they read did not load.
    not_run: frozenset[str] = frozenset()
    rows_read: dict[str, int] = field(default_factory=dict)  # where not BASELINE_ROWS
    encodings: dict[str, str] = field(default_factory=dict)  # where not utf-8
    raw: dict[str, list[tuple]] = field(default_factory=dict)  # SQL on the loaded tables


def opportunity_cascade(reason: str, column: str, rule: str, line: str) -> tuple[Q, ...]:
    """O6 quarantined (row 6), and so its one history row (row 11) as unknown_reference."""
    return (
        Q(OPPORTUNITIES, 6, column, rule, reason, line),
        Q(
            HISTORY,
            11,
            "opportunity_id",
            "unknown_reference",
            UNKNOWN_OPPORTUNITY.format("O6"),
            O6_HISTORY,
        ),
    )


CASES = [
    # --- encoding and dialect ------------------------------------------------------------
    pytest.param(
        chain(
            replace("crm/accounts.csv", "Beta KK", "Société Générale"),
            reencode("crm/accounts.csv", "utf-8-sig", crlf=True),
        ),
        Expect(
            0,
            encodings={"crm/accounts.csv": "utf-8-sig"},
            raw={
                "select account_name, created_date from raw.accounts order by _source_row": [
                    ("Acme, Ltd", date(2024, 2, 1)),
                    ("Société Générale", date(2024, 3, 1)),
                ]
            },
        ),
        id="excel-csv-utf8-bom-crlf",
    ),
    pytest.param(
        # Both are transcoded to UTF-8 through a temporary copy; one case saves a GX pass.
        chain(
            replace("crm/accounts.csv", "Beta KK", "Société Générale"),
            reencode("crm/accounts.csv", "cp1252"),
            replace("crm/reps.csv", "Ravi Rep", "Zoë Ørsted"),
            reencode("crm/reps.csv", "utf-16", crlf=True),
        ),
        Expect(
            0,
            encodings={"crm/accounts.csv": "cp1252", "crm/reps.csv": "utf-16"},
            raw={
                "select account_name from raw.accounts order by _source_row": [
                    ("Acme, Ltd",),
                    ("Société Générale",),
                ],
                "select rep_id, rep_name, hire_date from raw.reps order by _source_row": [
                    ("M1", "Maria Manager", date(2023, 1, 1)),
                    ("R1", "Rita Rep", date(2024, 1, 15)),
                    ("R2", "Zoë Ørsted", date(2025, 5, 1)),
                ],
            },
        ),
        id="cp1252-latin1-and-utf16-with-bom",
    ),
    pytest.param(
        replace("crm/accounts.csv", "Beta KK", '"Beta ""Best"" KK, Tokyo\nBranch"'),
        Expect(
            0,
            raw={
                "select account_id, account_name, segment from raw.accounts order by _source_row": [
                    ("A1", "Acme, Ltd", "Mid-Market"),
                    ("A2", 'Beta "Best" KK, Tokyo\nBranch', "SMB"),
                ]
            },
        ),
        id="quoted-comma-doubled-quotes-newline",
    ),
    pytest.param(
        # An Excel workbook saved under a .csv name: a zip file, NUL at byte 5.
        write_bytes("supply/products.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
        Expect(
            1,
            errors={
                "supply/products": "supply/products.csv: not a text CSV in a supported "
                "encoding (invalid byte 0x00 at byte offset 5); save it as UTF-8 CSV",
                "supply/orders": "supply/orders: not checked, it refers to supply/products, "
                "which cannot be loaded",
                "supply/inventory": "supply/inventory: not checked, it refers to "
                "supply/products, which cannot be loaded",
                "supply/open_supply": "supply/open_supply: not checked, it refers to "
                "supply/products, which cannot be loaded",
            },
            not_run=frozenset(
                {
                    "gx_raw_products",
                    "gx_raw_products_warnings",
                    "gx_raw_orders",
                    "gx_raw_orders_warnings",
                    "gx_raw_inventory",
                    "gx_raw_inventory_warnings",
                    "gx_raw_open_supply",
                    "gx_raw_opportunities_warnings",  # reads raw.products
                }
            ),
        ),
        id="binary-xlsx-named-csv",
    ),
    # --- file level ----------------------------------------------------------------------
    pytest.param(
        delete("crm/territories.csv"),
        Expect(
            1,
            errors={
                "crm/territories": "crm/territories.csv: missing landing file (neither .csv "
                "nor .parquet is in {landing})"
            },
            not_run=frozenset(
                {"gx_raw_territories", "gx_raw_territories_warnings", "gx_raw_accounts_warnings"}
            ),
        ),
        id="missing-file",
    ),
    pytest.param(
        replace("crm/quotas.csv", "quota_amount", "target"),
        Expect(
            1,
            errors={
                "crm/quotas": "crm/quotas.csv: missing required column(s) quota_amount "
                "(found: rep_id, month, target)"
            },
            not_run=frozenset({"gx_raw_quotas"}),
        ),
        id="missing-required-column",
    ),
    pytest.param(
        write_bytes("supply/inventory.csv", b""),
        Expect(
            1,
            errors={
                "supply/inventory": "supply/inventory.csv: the file is empty (0 bytes); "
                "expected at least a header row"
            },
            not_run=frozenset({"gx_raw_inventory", "gx_raw_inventory_warnings"}),
        ),
        id="zero-byte-file",
    ),
    pytest.param(
        header_only(ORDERS),
        Expect(
            1,
            rows_read={ORDERS: 0},
            failed_checks={
                "gx_raw_orders": (
                    "error",
                    "1 of 11 expectations failed on 0 rows: "
                    "expect_table_row_count_to_be_between(min_value=1): observed 0",
                )
            },
        ),
        id="header-only-orders-blocks",
    ),
    pytest.param(
        header_only("supply/open_supply.csv"),
        Expect(0, rows_read={"supply/open_supply.csv": 0}),
        id="header-only-open-supply-passes",
    ),
    pytest.param(
        # The name's quotes were lost: "Acme, Ltd" is now two fields.
        replace("crm/accounts.csv", '"Acme, Ltd"', "Acme, Ltd"),
        Expect(
            1,
            errors={
                "crm/accounts": "crm/accounts.csv: line 2 has 9 fields, the header has 8 "
                "(an unquoted comma?); put values that contain commas in double quotes"
            },
            not_run=frozenset(
                {
                    "gx_raw_accounts",
                    "gx_raw_accounts_warnings",
                    # These three compare account ids with raw.accounts.
                    "gx_raw_opportunities_warnings",
                    "gx_raw_activities_warnings",
                    "gx_raw_orders_warnings",
                }
            ),
        ),
        id="too-many-fields",
    ),
    # --- row level -----------------------------------------------------------------------
    pytest.param(
        append(
            ORDERS,
            "SO1,2025-03-05,A1,P1,EMEA,10,100.00",  # row 8: row 1 again
            "SO2,2025-03-21,A1,P1,EMEA,6,60.00",  # row 9: row 2's key, other values
        ),
        Expect(
            0,
            rows_read={ORDERS: 9},
            quarantined=(
                Q(
                    ORDERS,
                    8,
                    "order_id, product_id",
                    "duplicate_key",
                    "duplicate key order_id='SO1', product_id='P1': the same record as row 1; "
                    "the first row is kept",
                    "SO1,2025-03-05,A1,P1,EMEA,10,100.00",
                ),
                Q(
                    ORDERS,
                    9,
                    "order_id, product_id",
                    "duplicate_key",
                    "duplicate key order_id='SO2', product_id='P1': also at row 2 with other "
                    "values; the first row is kept",
                    "SO2,2025-03-21,A1,P1,EMEA,6,60.00",
                ),
            ),
            raw={
                "select order_id, order_date, quantity from raw.orders "
                "where order_id in ('SO1', 'SO2') order by _source_row": [
                    ("SO1", date(2025, 3, 5), 10.0),
                    ("SO2", date(2025, 3, 20), 5.0),
                ]
            },
        ),
        id="duplicate-key-identical-and-conflicting",
    ),
    pytest.param(
        replace(OPPORTUNITIES, O6, O6.replace("Proposal", "Verbal Commit")),
        Expect(
            0,
            quarantined=opportunity_cascade(
                STAGE_REASON.format("Verbal Commit"),
                "stage",
                "not_allowed",
                O6.replace("Proposal", "Verbal Commit"),
            ),
        ),
        id="unknown-stage",
    ),
    pytest.param(
        chain(
            replace(OPPORTUNITIES, O5, O5.replace("Closed Won", " closed-won ")),
            replace(OPPORTUNITIES, O1, O1.replace("Closed Won", "CLOSED_WON")),
            replace(HISTORY, "O5,Closed Won,", "O5,Closed-Won,"),
        ),
        Expect(
            0,
            raw={
                # raw keeps the text as landed (trimmed); staging spells it canonically.
                "select opportunity_id, stage from raw.opportunities "
                "where opportunity_id in ('O1', 'O5') order by _source_row": [
                    ("O1", "CLOSED_WON"),
                    ("O5", "closed-won"),
                ],
            },
        ),
        id="stage-spelled-differently-is-accepted",
    ),
    pytest.param(
        replace(OPPORTUNITIES, O6, O6.replace(",R2,", ",R9,")),
        Expect(
            0,
            quarantined=opportunity_cascade(
                UNKNOWN_REP.format("owner_rep_id", "R9"),
                "owner_rep_id",
                "unknown_reference",
                O6.replace(",R2,", ",R9,"),
            ),
        ),
        id="orphan-rep-on-opportunity",
    ),
    pytest.param(
        replace(OPPORTUNITIES, O6, O6.replace(",A2,", ",A9,")),
        Expect(
            3,
            failed_checks={
                "gx_raw_opportunities_warnings": (
                    "warn",
                    "1 of 3 expectations failed on 7 rows: expect_column_values_to_be_null("
                    "column=account_id_not_in_accounts): 1 unexpected (e.g. 'A9')",
                )
            },
            raw={"select account_id from raw.opportunities where opportunity_id = 'O6'": [("A9",)]},
        ),
        id="orphan-account-on-opportunity-warns",
    ),
    pytest.param(
        replace(OPPORTUNITIES, O6, O6.replace(",2025-06-25,", ",2025-06-01,")),
        Expect(
            0,
            quarantined=opportunity_cascade(
                "close_date: '2025-06-01' is before created_date '2025-06-05'",
                "close_date",
                "date_order",
                O6.replace(",2025-06-25,", ",2025-06-01,"),
            ),
        ),
        id="close-date-before-created-date",
    ),
    pytest.param(
        replace(OPPORTUNITIES, O6, O6.replace(",700.00,", ",-700.00,")),
        Expect(
            0,
            quarantined=opportunity_cascade(
                "amount: '-700.00' is out of range (must be at least 0)",
                "amount",
                "out_of_range",
                O6.replace(",700.00,", ",-700.00,"),
            ),
        ),
        id="negative-opportunity-amount",
    ),
    pytest.param(
        replace(OPPORTUNITIES, O6, O6.replace(",50,", ",150,")),
        Expect(
            0,
            quarantined=opportunity_cascade(
                "probability: '150' is out of range (must be at least 0 and at most 100)",
                "probability",
                "out_of_range",
                O6.replace(",50,", ",150,"),
            ),
        ),
        id="probability-150",
    ),
    pytest.param(
        replace(
            OPPORTUNITIES,
            O6,
            "O6,A2,R2,P2,2025-06-31,2025-06-25,Verbal Commit,-700.00,7,false,false,150,Pipeline,",
        ),
        Expect(
            0,
            # Contract rules (types) come first, then the suite's rules in its order; the
            # date-order rule is silent because created_date has no valid value.
            quarantined=opportunity_cascade(
                "created_date: '2025-06-31' is not a valid date; "
                + STAGE_REASON.format("Verbal Commit")
                + "; amount: '-700.00' is out of range (must be at least 0); "
                "probability: '150' is out of range (must be at least 0 and at most 100)",
                "created_date",
                "invalid_value",
                "O6,A2,R2,P2,2025-06-31,2025-06-25,Verbal Commit,-700.00,7,false,false,150,"
                "Pipeline,",
            ),
        ),
        id="several-problems-in-one-row",
    ),
    pytest.param(
        replace("supply/inventory.csv", "2025-06-30,P2,DC1,4", "2025-06-30,P2,  ,4"),
        Expect(
            0,
            quarantined=(
                Q(
                    "supply/inventory.csv",
                    2,
                    "location",
                    "missing_value",
                    "location: required value is empty",
                    "2025-06-30,P2,  ,4",
                ),
            ),
        ),
        id="required-value-empty",
    ),
    pytest.param(
        # A decimal comma (the cell was quoted, so it is one field) and a day that does not exist.
        chain(
            replace(
                ORDERS, "SO3,2025-05-10,A1,P1,EMEA,7,70.00", 'SO3,2025-05-10,A1,P1,EMEA,7,"70,00"'
            ),
            replace(ORDERS, "SO5,2025-04-15,", "SO5,2025-02-30,"),
        ),
        Expect(
            0,
            quarantined=(
                Q(
                    ORDERS,
                    3,
                    "net_amount",
                    "invalid_value",
                    "net_amount: '70,00' is not a valid decimal",
                    'SO3,2025-05-10,A1,P1,EMEA,7,"70,00"',
                ),
                Q(
                    ORDERS,
                    5,
                    "order_date",
                    "invalid_value",
                    "order_date: '2025-02-30' is not a valid date",
                    "SO5,2025-02-30,A1,P2,EMEA,2,40.00",
                ),
            ),
        ),
        id="non-numeric-amount-and-impossible-date",
    ),
    pytest.param(
        chain(
            replace("crm/activities.csv", "2025-03-07T10:00:00", "2025-03-07T12:00:00+02:00"),
            replace("crm/activities.csv", "2025-04-01T10:00:00", "2025-04-01 23:30:00-05:00"),
            append(
                "crm/activities.csv",
                "X4,R1,A1,,meeting,2025-06-11T09:15:00,15",
                "X5,R1,A1,,call,2025-06-11T25:00:00,5",
            ),
        ),
        Expect(
            0,
            rows_read={"crm/activities.csv": 5},
            quarantined=(
                Q(
                    "crm/activities.csv",
                    5,
                    "activity_at",
                    "invalid_value",
                    "activity_at: '2025-06-11T25:00:00' is not a valid timestamp",
                    "X5,R1,A1,,call,2025-06-11T25:00:00,5",
                ),
            ),
            raw={
                # +02:00 and -05:00 converted to UTC (across midnight); Z and none are UTC.
                "select activity_id, activity_at from raw.activities order by _source_row": [
                    ("X1", datetime(2025, 3, 7, 10, 0)),
                    ("X2", datetime(2025, 4, 2, 4, 30)),
                    ("X3", datetime(2025, 6, 10, 14, 0)),
                    ("X4", datetime(2025, 6, 11, 9, 15)),
                ],
                "select lead_id, created_at from raw.leads order by _source_row": [
                    ("L1", datetime(2025, 3, 1, 9, 0)),
                    ("L2", datetime(2025, 6, 10, 6, 0)),  # landed as 08:00+02:00
                ],
            },
        ),
        id="timestamps-with-and-without-offsets",
    ),
    pytest.param(
        # A return (SPEC.md section 1): a normal ERP fact, neither quarantined nor warned.
        append(ORDERS, "RT1,2025-03-28,A1,P1,EMEA,-5,-50.00"),
        Expect(
            0,
            rows_read={ORDERS: 8},
            raw={
                "select quantity, net_amount from raw.orders where order_id = 'RT1'": [
                    (-5.0, Decimal("-50.00"))
                ]
            },
        ),
        id="return-line-is-demand-data",
    ),
    pytest.param(
        # A placeholder is not a return: the row is quarantined as before.
        append(ORDERS, "RT1,2025-03-28,A1,P1,EMEA,-N/A,-50.00"),
        Expect(
            0,
            rows_read={ORDERS: 8},
            quarantined=(
                Q(
                    ORDERS,
                    8,
                    "quantity",
                    "invalid_value",
                    "quantity: '-N/A' is not a valid double",
                    "RT1,2025-03-28,A1,P1,EMEA,-N/A,-50.00",
                ),
            ),
        ),
        id="non-numeric-return-quantity-is-quarantined",
    ),
    pytest.param(
        replace(
            "crm/reps.csv",
            "R2,Ravi Rep,EMEA Team 1,EMEA,AE,",
            "R2,Ravi Rep,EMEA Team 1,EMEA,Intern,",
        ),
        Expect(
            # Everything of rep R2 is quarantined; account A2 (owner R2) only warns.
            3,
            quarantined=(
                Q(
                    "crm/reps.csv",
                    3,
                    "role",
                    "not_allowed",
                    f"role: 'Intern' is not one of AE, SDR, Manager {SPELLING}",
                    "R2,Ravi Rep,EMEA Team 1,EMEA,Intern,M1,2025-05-01,",
                ),
                Q(
                    "crm/leads.csv",
                    2,
                    "owner_rep_id",
                    "unknown_reference",
                    UNKNOWN_REP.format("owner_rep_id", "R2"),
                    "L2,2025-06-10T08:00:00+02:00,Event,R2,,open,,",
                ),
                Q(
                    OPPORTUNITIES,
                    5,
                    "owner_rep_id",
                    "unknown_reference",
                    UNKNOWN_REP.format("owner_rep_id", "R2"),
                    O5,
                ),
                Q(
                    OPPORTUNITIES,
                    6,
                    "owner_rep_id",
                    "unknown_reference",
                    UNKNOWN_REP.format("owner_rep_id", "R2"),
                    O6,
                ),
                Q(
                    HISTORY,
                    9,
                    "opportunity_id",
                    "unknown_reference",
                    UNKNOWN_OPPORTUNITY.format("O5"),
                    "O5,Proposal,2025-06-01T09:00:00,300.00,2025-06-30",
                ),
                Q(
                    HISTORY,
                    10,
                    "opportunity_id",
                    "unknown_reference",
                    UNKNOWN_OPPORTUNITY.format("O5"),
                    "O5,Closed Won,2025-06-30T17:00:00,300.00,2025-06-30",
                ),
                Q(
                    HISTORY,
                    11,
                    "opportunity_id",
                    "unknown_reference",
                    UNKNOWN_OPPORTUNITY.format("O6"),
                    O6_HISTORY,
                ),
                Q(
                    "crm/activities.csv",
                    3,
                    "rep_id",
                    "unknown_reference",
                    UNKNOWN_REP.format("rep_id", "R2"),
                    "X3,R2,A2,O5,demo,2025-06-10T14:00:00Z,45",
                ),
                Q(
                    "crm/quotas.csv",
                    5,
                    "rep_id",
                    "unknown_reference",
                    UNKNOWN_REP.format("rep_id", "R2"),
                    "R2,2025-05-01,500.00",
                ),
            ),
            failed_checks={
                "gx_raw_accounts_warnings": (
                    "warn",
                    "1 of 2 expectations failed on 2 rows: expect_column_values_to_be_null("
                    "column=owner_rep_id_not_in_reps): 1 unexpected (e.g. 'R2')",
                )
            },
        ),
        id="cascade-from-a-quarantined-rep",
    ),
]


# --- the test ----------------------------------------------------------------------------


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(".*".join(map(re.escape, pattern.split(ANY))), text, re.S) is not None


def _record(q: Q) -> dict[str, str | None]:
    """The values of `q.line` by column of the file's header, as written; empty is None."""
    header = (TINY_LANDING / q.file).read_text().splitlines()[0].split(",")
    (values,) = list(csv.reader(io.StringIO(q.line)))
    return {
        name: value if value != "" else None for name, value in zip(header, values, strict=True)
    }


def _landing_checks() -> set[str]:
    return {f"gx_{s.name}" for s in list_suites() if s.table.startswith("raw.")}


@pytest.fixture
def validated():
    """`validate_landing`, and the in-memory database it loaded (raw and quarantine tables).

    The report and the tables then come from the same load, and no case pays for a
    second load of every file (GX already takes most of the ~2.5 s of a case).
    """
    connections: list[duckdb.DuckDBPyConnection] = []

    def run(landing: Path):
        con = duckdb.connect()
        connections.append(con)
        return validate_landing(landing, con=con), con

    yield run
    for con in connections:
        con.close()


def _expected_problems(rows: list[Q]) -> list[tuple[str, str, int, list[str]]]:
    """What the report lists for a file's quarantined rows: by (rule, column), most first."""
    counts = Counter((q.rule, q.column) for q in rows)
    return [
        (
            rule,
            column,
            n,
            [f"row {q.row}: {q.reason}" for q in rows if (q.rule, q.column) == (rule, column)][:3],
        )
        for (rule, column), n in counts.most_common()
    ]


@pytest.mark.parametrize(("mutate", "expect"), CASES)
def test_bad_input(tiny_landing: Path, validated, mutate: Mutation, expect: Expect) -> None:
    mutate(tiny_landing)

    report, con = validated(tiny_landing)

    assert report.exit_code == expect.exit_code, report.render()
    errors = {f.name: f.error for f in report.files if f.error}
    assert errors == {
        name: message.replace("{landing}", str(tiny_landing))
        for name, message in expect.errors.items()
    }

    checks = {f"gx_{c.name}": c for f in report.files for c in f.checks}
    assert _landing_checks() - checks.keys() == expect.not_run
    assert {name for f in report.files for name in f.not_run} == expect.not_run  # and says so
    failed = {name: c for name, c in checks.items() if not c.passed}
    assert failed.keys() == expect.failed_checks.keys(), report.render()
    for name, (severity, observed) in expect.failed_checks.items():
        assert failed[name].severity == severity
        assert _matches(observed, failed[name].observed), failed[name].observed

    # Nothing lost: every record of a file that loads is in raw or in the quarantine.
    loads = {f.load.source_file: f for f in report.files if f.load}
    assert set(loads) == {f"{s.relative_stem}.csv" for s in LANDING_FILES} - {
        f"{name}.csv" for name in expect.errors
    }
    for name, file_report in loads.items():
        rows = sorted((q for q in expect.quarantined if q.file == name), key=lambda q: q.row)
        read = expect.rows_read.get(name, BASELINE_ROWS[name])
        load = file_report.load
        assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (
            read,
            read - len(rows),
            len(rows),
        ), name
        assert load.encoding == expect.encodings.get(name, "utf-8"), name
        assert load.extra_columns == ()
        assert file_report.problems == _expected_problems(rows), name

    quarantine = con.execute(
        "select source_file, row_number, table_name, column_name, rule, reason, raw_record "
        "from quality.quarantine order by table_name, row_number"
    ).fetchall()
    assert [(*row[:6], json.loads(row[6])) for row in quarantine] == [
        (q.file, q.row, f"raw.{Path(q.file).stem}", q.column, q.rule, q.reason, _record(q))
        for q in sorted(expect.quarantined, key=lambda q: (Path(q.file).stem, q.row))
    ]
    for sql, rows in expect.raw.items():
        assert con.execute(sql).fetchall() == rows, sql


# --- end to end: the real monthly run ----------------------------------------------------
# `monthly_run` is imported in these tests only: importing it (dbt, the Dagster job) takes
# seconds that the cases above do not need.


def test_run_quarantines_bad_rows_publishes_them_and_succeeds(
    tiny_landing: Path, tmp_path: Path
) -> None:
    from orchestration.monthly_run import run_monthly_job

    bad = [
        Q(
            OPPORTUNITIES,
            6,
            "probability",
            "out_of_range",
            "probability: '150' is out of range (must be at least 0 and at most 100)",
            O6.replace(",50,", ",150,"),
        ),
        Q(
            HISTORY,
            11,
            "opportunity_id",
            "unknown_reference",
            UNKNOWN_OPPORTUNITY.format("O6"),
            O6_HISTORY,
        ),
        Q(
            "crm/quotas.csv",
            6,
            "quota_amount",
            "out_of_range",
            "quota_amount: '-100.00' is out of range (must be at least 0)",
            "R1,2025-08-01,-100.00",
        ),
        Q(
            "supply/open_supply.csv",
            2,
            "supply_type",
            "not_allowed",
            f"supply_type: 'transfer' is not one of purchase, production {SPELLING}",
            "PO2,P2,2025-08-01,5,transfer",
        ),
        Q(
            ORDERS,
            5,
            "order_date",
            "invalid_value",
            "order_date: '2025-02-30' is not a valid date",
            "SO5,2025-02-30,A1,P2,EMEA,2,40.00",
        ),
    ]
    chain(
        replace(OPPORTUNITIES, O6, bad[0].line),
        append("crm/quotas.csv", bad[2].line),
        append("supply/open_supply.csv", bad[3].line),
        replace(ORDERS, "SO5,2025-04-15,", "SO5,2025-02-30,"),
    )(tiny_landing)
    settings = make_settings(tmp_path, tiny_landing)

    report = run_monthly_job(settings, None)

    assert report.success, report.render()
    assert report.month == date(2025, 6, 1)
    assert report.quarantined == {
        OPPORTUNITIES: 1,
        HISTORY: 1,
        "crm/quotas.csv": 1,
        "supply/open_supply.csv": 1,
        ORDERS: 1,
    }
    con = duckdb.connect(str(settings.published_db_path), read_only=True)
    try:
        published = con.execute(
            "select source_file, row_number, table_name, column_name, rule, reason, raw_record "
            "from marts.dq_quarantine order by table_name, row_number"
        ).fetchall()
    finally:
        con.close()
    assert [(*row[:6], json.loads(row[6])) for row in published] == [
        (q.file, q.row, f"raw.{Path(q.file).stem}", q.column, q.rule, q.reason, _record(q))
        for q in sorted(bad, key=lambda q: (Path(q.file).stem, q.row))
    ]
    index = settings.quality_docs_dir / "index.html"
    assert index.is_file()
    assert index.as_uri() in report.render()


def test_run_with_header_only_orders_stops_at_the_blocking_check(
    tiny_landing: Path, tmp_path: Path
) -> None:
    from orchestration.monthly_run import run_monthly_job

    header_only(ORDERS)(tiny_landing)

    report = run_monthly_job(make_settings(tmp_path, tiny_landing), None)

    assert not report.success
    # Without orders the last complete month of the data comes from activities (2025-06-10).
    assert report.month == date(2025, 5, 1)
    assert report.checks_failed == ["raw/orders:gx_raw_orders"]
    assert report.failure_reason == (
        "blocking check(s) failed: raw/orders:gx_raw_orders (1 of 11 expectations failed on "
        "0 rows: expect_table_row_count_to_be_between(min_value=1): observed 0). The assets "
        "that depend on them did not run and the published tables were left as they were."
    )
    assert report.quarantined == {}
    assert not report.published_counts
