"""GX suites: they agree with the landing contract, pass on clean data, and name bad data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from expectations import list_suites, run_suite
from expectations.row_rules import canonical_sql, match_key, quarantine_rules
from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_FILES
from orchestration.quality import validate_suite
from orchestration.warehouse import connect
from tests.conftest import TINY_LANDING

SUITES = {s.name: s for s in list_suites()}
RUN_MONTH = date(2025, 6, 1)


@pytest.fixture(scope="module")
def tiny_warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gx") / "w.duckdb"
    with connect(path) as con:
        for spec in LANDING_FILES:
            load_landing_file(con, TINY_LANDING, spec)
    return path


def _expectations(suite_name: str, kind: str) -> list[dict]:
    return [e["kwargs"] for e in SUITES[suite_name].expectations if e["type"] == kind]


@pytest.mark.parametrize("spec", LANDING_FILES, ids=lambda s: s.name)
def test_every_landing_file_has_a_blocking_suite_that_matches_the_contract(spec) -> None:
    suite = SUITES[f"raw_{spec.name}"]
    assert (suite.table, suite.asset_key, suite.severity) == (
        f"raw.{spec.name}",
        ("raw", spec.name),
        "error",
    )
    columns = _expectations(suite.name, "expect_table_columns_to_match_set")
    assert columns == [{"column_set": spec.column_names, "exact_match": False}]
    not_null = {
        k["column"] for k in _expectations(suite.name, "expect_column_values_to_not_be_null")
    }
    assert not_null == {c.name for c in spec.columns if not c.nullable}
    unique = _expectations(suite.name, "expect_column_values_to_be_unique") + _expectations(
        suite.name, "expect_compound_columns_to_be_unique"
    )
    assert unique in ([{"column": spec.key[0]}], [{"column_list": list(spec.key)}])


def test_suites_guard_the_key_marts_with_the_expected_severities() -> None:
    severities = {name: s.severity for name, s in SUITES.items() if not name.startswith("raw_")}
    assert severities == {
        "marts_fct_quota_attainment": "error",
        "marts_fct_demand_history": "error",
        "forecasting_fct_demand_forecast": "error",
        "forecasting_fct_demand_forecast_coverage": "error",
        "forecasting_fct_demand_forecast_reconciled": "error",
        "forecasting_fct_demand_forecast_family": "error",
        "forecasting_fct_forecast_accuracy": "error",
        "forecasting_fct_pipeline_demand_signal": "error",
        "forecasting_fct_sales_forecast": "error",
        "forecasting_fct_sales_forecast_coverage": "error",
        "planning_fct_demand_plan": "error",
        "planning_override_rejections": "warn",
        "planning_fct_supply_plan": "error",
        "planning_fct_capacity_utilization": "error",
        "planning_fct_sop_summary": "error",
    }


@pytest.mark.parametrize("name", sorted(n for n in SUITES if n.startswith("raw_")))
def test_every_landing_suite_passes_on_the_clean_tiny_landing(tiny_warehouse, name) -> None:
    with connect(tiny_warehouse, read_only=True) as con:
        outcome = validate_suite(con, SUITES[name], RUN_MONTH, 18)
    assert outcome.passed, outcome.observed
    assert outcome.observed.startswith(f"all {outcome.evaluated} expectations passed on ")


def _frame(warehouse: Path, suite_name: str) -> pd.DataFrame:
    """What the check validates: the table, plus a derived column per reference."""
    sql = SUITES[suite_name].frame_sql(RUN_MONTH, {})
    with connect(warehouse, read_only=True) as con:
        return con.execute(f"select * from ({sql}) order by all").df()


def test_a_duplicated_order_line_fails_the_blocking_suite(tiny_warehouse) -> None:
    frame = _frame(tiny_warehouse, "raw_orders")
    frame.loc[1, ["order_id", "product_id"]] = frame.loc[2, ["order_id", "product_id"]].to_numpy()
    outcome = run_suite(SUITES["raw_orders"], frame)
    assert not outcome.passed
    assert outcome.observed == (
        "1 of 11 expectations failed on 7 rows: expect_compound_columns_to_be_unique("
        "column_list=['order_id', 'product_id']): 2 unexpected (e.g. "
        "{'order_id': 'SO3', 'product_id': 'P1'}, {'order_id': 'SO3', 'product_id': 'P1'})"
    )


def test_a_return_passes_every_orders_suite(tiny_warehouse) -> None:
    """A negative order line is a return (SPEC.md section 1): no suite on orders flags it."""
    for name in ("raw_orders", "raw_orders_warnings"):
        frame = _frame(tiny_warehouse, name)
        frame.loc[0, ["quantity", "net_amount"]] = [-4.0, -40.0]
        outcome = run_suite(SUITES[name], frame)
        assert outcome.passed, outcome.observed
        assert outcome.observed == f"all {outcome.evaluated} expectations passed on 7 rows"


def test_negative_demand_history_is_a_blocking_defect() -> None:
    """Gross demand and returned units each sum one sign of order lines: never negative."""
    history = pd.DataFrame(
        {
            "product_id": ["P1", "P1"],
            "region": ["EMEA", "EMEA"],
            "month": pd.to_datetime(["2025-05-01", "2025-06-01"]),
            "quantity": [0.0, -3.0],
            "returned_qty": [2.0, -1.0],
            "net_amount": [-20.0, 5.0],
        }
    )
    suite = SUITES["marts_fct_demand_history"]
    assert suite.severity == "error"
    assert run_suite(suite, history.iloc[[0]]).passed  # a month of returns only is sound
    assert run_suite(suite, history).observed == (
        "2 of 10 expectations failed on 2 rows: expect_column_values_to_be_between("
        "column=quantity, min_value=0.0): 1 unexpected (e.g. -3.0); "
        "expect_column_values_to_be_between(column=returned_qty, min_value=0.0): "
        "1 unexpected (e.g. -1.0)"
    )


def test_a_reference_runs_as_a_derived_column_that_names_the_missing_values(
    tiny_warehouse,
) -> None:
    frame = _frame(tiny_warehouse, "raw_orders_warnings")
    assert frame["account_id_not_in_accounts"].isna().all()
    frame.loc[2, "account_id_not_in_accounts"] = "A404"
    outcome = run_suite(SUITES["raw_orders_warnings"], frame)
    assert outcome.observed == (
        "1 of 1 expectations failed on 7 rows: expect_column_values_to_be_null("
        "column=account_id_not_in_accounts): 1 unexpected (e.g. 'A404')"
    )


def test_spelling_insensitive_values_are_read_as_staging_reads_them() -> None:
    assert match_key(" Mid Market ") == match_key("mid-market") == "midmarket"
    sql = canonical_sql("v", ["SMB", "Mid-Market"], {"Discovery": "Prospecting"})
    values = ["mid_market", " smb ", "DISCOVERY", "Gold"]
    got = duckdb.sql(f"select {sql} from unnest(?) as t(v)", params=[values]).fetchall()
    assert [r[0] for r in got] == ["Mid-Market", "SMB", "Prospecting", "Gold"]


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        (
            {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "a"}},
            "expect_column_values_to_match_regex cannot be a quarantine rule",
        ),
        (
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "a", "column_B": "b", "or_equal": True},
            },
            "set ignore_row_if to 'either_value_is_missing'",
        ),
        (
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "a", "min_value": 0, "mostly": 0.9},
            },
            "a quarantine rule cannot use 'mostly'",
        ),
    ],
)
def test_a_rule_that_cannot_be_applied_row_by_row_is_refused(expectation, message) -> None:
    expectation["meta"] = {"quarantine": True}
    with pytest.raises(ValueError, match=message):
        quarantine_rules([expectation], str, str, {})


def _forecast_warehouse(forecast: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """A warehouse with a one-product history and the given forecast rows."""
    con = duckdb.connect()
    con.execute("create schema marts; create schema forecasting; create schema planning")
    con.execute(
        "create table marts.dim_products as select 'P1' as product_id, 'F1' as family, "
        "date '2024-01-01' as launch_date, null::date as end_date"
    )
    con.execute(
        "create table marts.fct_demand_history as select 'P1' as product_id, region, "
        "date '2025-06-01' as month, 1.0 as quantity from unnest(['EU', 'US']) as t(region)"
    )
    con.register("_forecast", forecast)
    con.execute(
        "create table forecasting.fct_demand_forecast as select cast(run_month as date) as "
        "run_month, product_id, region, cast(target_month as date) as target_month, "
        "forecast_qty, lower_80, upper_80, lower_80 - 1 as lower_95, upper_80 + 1 as upper_95, "
        "model, forecast_qty as naive_qty from _forecast"
    )
    # The family and portfolio levels are the product totals, as reconciliation leaves them.
    con.execute(
        "create table forecasting.fct_demand_forecast_family as select run_month, family, "
        "target_month, sum(forecast_qty) as forecast_qty, sum(lower_80) as lower_80, "
        "sum(upper_80) as upper_80, sum(lower_95) as lower_95, sum(upper_95) as upper_95, "
        "'snaive' as model, sum(naive_qty) as naive_qty from forecasting.fct_demand_forecast "
        "cross join (values ('F1'), ('ALL')) as t(family) where region = 'ALL' group by all"
    )
    return con


def _forecast(horizon: int = 2) -> pd.DataFrame:
    rows = []
    for step in range(1, horizon + 1):
        target = pd.Timestamp(RUN_MONTH) + pd.DateOffset(months=step)
        for region, qty in (("ALL", 5.0), ("EU", 2.0), ("US", 3.0)):
            rows.append(("2025-06-01", "P1", region, target, qty, qty - 1, qty + 1, "snaive"))
    return pd.DataFrame(
        rows,
        columns=[
            "run_month",
            "product_id",
            "region",
            "target_month",
            "forecast_qty",
            "lower_80",
            "upper_80",
            "model",
        ],
    )


def _forecast_failures(forecast: pd.DataFrame) -> dict[str, str]:
    con = _forecast_warehouse(forecast)
    outcomes = {
        name: validate_suite(con, SUITES[name], RUN_MONTH, 2)
        for name in SUITES
        if name.startswith("forecasting_fct_demand_forecast")
    }
    return {name: o.observed for name, o in outcomes.items() if not o.passed}


def test_a_sound_forecast_passes_every_forecast_suite() -> None:
    assert _forecast_failures(_forecast()) == {}


def test_forecast_suites_name_each_broken_invariant() -> None:
    duplicated = pd.concat([_forecast(), _forecast().iloc[[0]]])
    assert (
        "expect_compound_columns_to_be_unique"
        in (_forecast_failures(duplicated)["forecasting_fct_demand_forecast"])
    )

    short = _forecast().iloc[:-3]  # the second month of every series is missing
    assert _forecast_failures(short) == {
        "forecasting_fct_demand_forecast_coverage": (
            "2 of 4 expectations failed on 3 rows: expect_column_values_to_be_between("
            "column=months_forecast, min_value=2.0, max_value=2.0): 3 unexpected "
            "(e.g. 1, 1, 1); expect_column_values_to_be_between(column=distinct_months, "
            "min_value=2.0, max_value=2.0): 3 unexpected (e.g. 1, 1, 1)"
        )
    }

    unreconciled = _forecast()
    unreconciled.loc[0, ["forecast_qty", "upper_80"]] = [6.0, 7.0]
    assert list(_forecast_failures(unreconciled)) == ["forecasting_fct_demand_forecast_reconciled"]

    disordered = _forecast()
    disordered.loc[1, "lower_80"] = 2.5  # above its forecast of 2.0
    assert (
        "expect_column_pair_values_a_to_be_greater_than_b(column_A=forecast_qty"
        in (_forecast_failures(disordered)["forecasting_fct_demand_forecast"])
    )


def test_the_family_suite_fails_when_a_family_does_not_add_up() -> None:
    con = _forecast_warehouse(_forecast())
    con.execute(
        "update forecasting.fct_demand_forecast_family set forecast_qty = forecast_qty + 1, "
        "upper_80 = upper_80 + 1, upper_95 = upper_95 + 1 "
        "where family = 'F1' and target_month = '2025-07-01'"
    )
    outcome = validate_suite(con, SUITES["forecasting_fct_demand_forecast_family"], RUN_MONTH, 2)
    # F1 is now 6 against its product's 5; the portfolio (still 5) no longer equals F1's 6.
    assert not outcome.passed
    assert "column=relative_gap" in outcome.observed
    assert "2 unexpected" in outcome.observed


def test_the_plan_suite_fails_when_the_plan_does_not_balance() -> None:
    con = _forecast_warehouse(_forecast())
    con.execute(
        "create table planning.fct_demand_plan as select run_month, product_id, target_month, "
        "forecast_qty as statistical_qty, 0.0 as override_qty, forecast_qty as consensus_qty "
        "from forecasting.fct_demand_forecast where region = 'ALL'"
    )
    assert validate_suite(con, SUITES["planning_fct_demand_plan"], RUN_MONTH, 2).passed
    con.execute(
        "update planning.fct_demand_plan set consensus_qty = 9 where target_month = '2025-07-01'"
    )
    outcome = validate_suite(con, SUITES["planning_fct_demand_plan"], RUN_MONTH, 2)
    assert outcome.observed == (
        "1 of 10 expectations failed on 2 rows: expect_column_values_to_be_between("
        "column=balance_gap, min_value=-1e-06, max_value=1e-06): 1 unexpected (e.g. 4.0)"
    )


def test_the_accuracy_suite_checks_grain_lag_and_error_arithmetic() -> None:
    con = duckdb.connect()
    con.execute("create schema forecasting")
    con.execute(
        "create table forecasting.fct_forecast_accuracy as select * from (values "
        "('P1', date '2025-06-01', 1, 7.0, 3.0, 4.0, 4.0), "
        "('P2', date '2025-06-01', 1, 0.0, 2.0, -2.0, 2.0)) "
        "as t(product_id, target_month, lag, forecast_qty, actual_qty, error, abs_error)"
    )
    suite = SUITES["forecasting_fct_forecast_accuracy"]
    assert validate_suite(con, suite, RUN_MONTH, 18).passed
    con.execute(
        "update forecasting.fct_forecast_accuracy set abs_error = -2.0 where product_id = 'P2'"
    )
    con.execute(
        "insert into forecasting.fct_forecast_accuracy values "
        "('P1', date '2025-07-01', 0, 1.0, 1.0, 0.0, 0.0)"
    )
    outcome = validate_suite(con, suite, RUN_MONTH, 18)
    assert outcome.observed == (
        "3 of 7 expectations failed on 3 rows: expect_column_values_to_be_between(column=lag, "
        "min_value=1.0): 1 unexpected (e.g. 0); expect_column_values_to_be_null(column="
        "target_after_run_month): 1 unexpected (e.g. Timestamp('2025-07-01 00:00:00')); "
        "expect_column_values_to_be_between(column=abs_error_gap, min_value=-1e-06, "
        "max_value=1e-06): 1 unexpected (e.g. -4.0)"
    )
