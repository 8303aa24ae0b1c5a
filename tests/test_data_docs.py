"""Stored GX validation results and the offline quality docs built from them (real GX)."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from expectations.data_docs import (
    CheckRecord,
    build_quality_docs,
    save_validation_result,
)

JUNE = date(2025, 6, 1)
MAY = date(2025, 5, 1)


def validate(suite_name: str, frame: pd.DataFrame, expectations: list[dict]):
    """Validate like `run_suite` does: ephemeral context, pandas data source, whole frame."""
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batch = (
        context.data_sources.add_pandas("sop")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = ExpectationSuite(
        name=suite_name,
        expectations=[ExpectationConfiguration(**e).to_domain_obj() for e in expectations],
    )
    return batch.validate(suite, result_format="SUMMARY")


ORDERS = pd.DataFrame({"order_id": [1, 2, 3], "quantity_units": [5, -2, 7]})
NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "order_id"}}
NON_NEGATIVE = {
    "type": "expect_column_values_to_be_between",
    "kwargs": {"column": "quantity_units", "min_value": 0},
}


@pytest.fixture(scope="module")
def failing_result():
    """One passing and one failing expectation: quantity_units has a negative value."""
    result = validate("raw_orders", ORDERS, [NOT_NULL, NON_NEGATIVE])
    assert result.success is False
    assert [r.success for r in result.results] == [True, False]
    return result


@pytest.fixture(scope="module")
def passing_result():
    fixed = ORDERS.assign(quantity_units=[5, 2, 7])
    result = validate("raw_orders", fixed, [NOT_NULL, NON_NEGATIVE])
    assert result.success is True
    return result


@pytest.fixture(scope="module")
def accounts_result():
    accounts = pd.DataFrame({"account_id": ["A1", "A2"]})
    return validate(
        "raw_accounts",
        accounts,
        [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "account_id"}}],
    )


def record(month: date, check: str, table: str, severity: str, passed: bool) -> CheckRecord:
    return CheckRecord(
        run_month=month,
        check_name=check,
        table_name=table,
        severity=severity,
        passed=passed,
        observed=f"{check} {'ok' if passed else '1 of 2 expectations failed'} in {month:%Y-%m}",
    )


class IndexPage(HTMLParser):
    """The parts of our index a test asserts on: rows per month section, and every URL."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, dict]] = {}
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self._section: str | None = None
        self._row: dict | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                self.urls.append((tag, name, attrs[name]))
        if tag == "section":
            self._section = attrs["id"].removeprefix("month-")
            self.sections[self._section] = {}
        elif tag == "tr" and "data-check" in attrs:
            rows = self.sections[self._section]
            assert attrs["data-check"] not in rows, f"{attrs['data-check']} listed twice"
            self._row = rows[attrs["data-check"]] = {"cells": [], "links": []}
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "a" and self._row is not None:
            self._row["links"].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row["cells"].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_index(site_dir: Path) -> IndexPage:
    return IndexPage((site_dir / "index.html").read_text(encoding="utf-8"))


@pytest.fixture
def store(tmp_path, failing_result, accounts_result, passing_result) -> Path:
    validations = tmp_path / "validations"
    save_validation_result(
        validations, record(JUNE, "gx_raw_orders", "raw.orders", "error", False), failing_result
    )
    save_validation_result(
        validations, record(JUNE, "gx_raw_accounts", "raw.accounts", "warn", True), accounts_result
    )
    save_validation_result(
        validations, record(MAY, "gx_raw_orders", "raw.orders", "error", True), passing_result
    )
    return validations


def test_saved_file_is_the_gx_result_with_our_record(store, failing_result):
    from great_expectations.core.expectation_validation_result import (
        expectationSuiteValidationResultSchema,
    )

    assert sorted(p.relative_to(store).as_posix() for p in store.rglob("*")) == [
        "2025-05",
        "2025-05/gx_raw_orders.json",
        "2025-06",
        "2025-06/gx_raw_accounts.json",
        "2025-06/gx_raw_orders.json",
    ]
    payload = json.loads((store / "2025-06" / "gx_raw_orders.json").read_text())
    assert payload["meta"]["sop"] == {
        "run_month": "2025-06-01",
        "check_name": "gx_raw_orders",
        "table_name": "raw.orders",
        "severity": "error",
        "passed": False,
        "observed": "gx_raw_orders 1 of 2 expectations failed in 2025-06",
    }
    assert payload["meta"]["run_id"] == {
        "run_name": "2025-06",
        "run_time": "2025-06-01T00:00:00+00:00",
    }
    loaded = expectationSuiteValidationResultSchema.load(payload)
    assert loaded.suite_name == "raw_orders"
    assert loaded.results == failing_result.results
    assert loaded.statistics["unsuccessful_expectations"] == 1


def test_index_lists_checks_links_locally_and_gx_page_shows_the_failure(store, tmp_path):
    site = tmp_path / "site"
    index = build_quality_docs(store, site)

    assert index == site / "index.html"
    text = index.read_text(encoding="utf-8")
    assert "<title>Data quality checks 2025-06</title>" in text
    assert "3 checks" not in text  # the summary is per month
    assert "2 checks, 1 failed error, 0 failed warn" in text
    assert "<script" not in text
    assert "http://" not in text
    assert "https://" not in text

    page = read_index(site)
    assert list(page.sections) == ["2025-06", "2025-05"]
    june, may = page.sections["2025-06"], page.sections["2025-05"]
    # columns: check, table, severity, result, observed, details
    assert june["gx_raw_orders"]["cells"][:4] == ["gx_raw_orders", "raw.orders", "error", "FAILED"]
    assert june["gx_raw_accounts"]["cells"][:4] == [
        "gx_raw_accounts",
        "raw.accounts",
        "warn",
        "passed",
    ]
    assert may["gx_raw_orders"]["cells"][:4] == ["gx_raw_orders", "raw.orders", "error", "passed"]
    assert list(june) == ["gx_raw_orders", "gx_raw_accounts"]  # failures first

    assert ("a", "href", "#month-2025-05") in page.urls
    for tag, attribute, url in page.urls:
        assert not re.match(r"[a-z]+:", url), f"<{tag} {attribute}={url}> is not local"
        if url.startswith("#"):
            assert f'id="{url[1:]}"' in text, url
        else:
            assert (site / unquote(url)).is_file(), url

    failing_page = site / june["gx_raw_orders"]["links"][0]
    assert failing_page.relative_to(site).as_posix() == (
        "gx/validations/raw_orders/2025-06/20250601T000000.000000Z/gx_raw_orders.html"
    )
    gx_text = " ".join(re.sub(r"<[^>]+>", " ", failing_page.read_text(encoding="utf-8")).split())
    assert "Status: Failed" in gx_text
    assert "Data asset: gx_raw_orders" in gx_text
    assert "Unsuccessful Expectations 1" in gx_text
    assert "quantity_units" in gx_text
    assert "1 unexpected values found" in gx_text
    assert "Run Name 2025-06" in gx_text
    # The May run of the same check has its own page.
    assert may["gx_raw_orders"]["links"][0] != june["gx_raw_orders"]["links"][0]
    # Only our site was built: no GX leftovers next to it.
    assert sorted(p.name for p in site.iterdir()) == ["gx", "index.html"]


def test_rerun_replaces_the_months_result(store, tmp_path, passing_result):
    site = tmp_path / "site"
    build_quality_docs(store, site)
    assert read_index(site).sections["2025-06"]["gx_raw_orders"]["cells"][3] == "FAILED"

    rerun = record(JUNE, "gx_raw_orders", "raw.orders", "error", True)
    save_validation_result(store, rerun, passing_result)
    build_quality_docs(store, site)

    june = read_index(site).sections["2025-06"]
    assert june["gx_raw_orders"]["cells"][3] == "passed"
    assert june["gx_raw_orders"]["cells"][4] == "gx_raw_orders ok in 2025-06"
    assert sorted(p.name for p in (store / "2025-06").iterdir()) == [
        "gx_raw_accounts.json",
        "gx_raw_orders.json",
    ]
    assert "2 checks, 0 failed error, 0 failed warn" in (site / "index.html").read_text()


def test_removed_check_disappears_after_rebuild(store, tmp_path):
    site = tmp_path / "site"
    build_quality_docs(store, site)
    accounts_page = site / read_index(site).sections["2025-06"]["gx_raw_accounts"]["links"][0]
    assert accounts_page.is_file()

    (store / "2025-06" / "gx_raw_accounts.json").unlink()
    build_quality_docs(store, site)

    page = read_index(site)
    assert list(page.sections["2025-06"]) == ["gx_raw_orders"]
    assert not accounts_page.exists()
    assert "gx_raw_accounts" not in (site / "index.html").read_text()


def test_run_month_shows_only_that_month(store, tmp_path):
    site = tmp_path / "site"
    build_quality_docs(store, site, run_month=MAY)

    page = read_index(site)
    assert list(page.sections) == ["2025-05"]
    text = (site / "index.html").read_text()
    assert "<title>Data quality checks 2025-05</title>" in text
    assert "1 check, 0 failed error, 0 failed warn" in text
    assert "2025-06: 2 checks, 1 failed error, 0 failed warn" in text
    # GX pages are still built for every stored result.
    assert len(list((site / "gx" / "validations").rglob("*.html"))) == 3


def test_save_refuses_a_record_that_does_not_match_its_result(tmp_path, failing_result):
    with pytest.raises(ValueError, match="passed=True"):
        save_validation_result(
            tmp_path, record(JUNE, "gx_raw_orders", "raw.orders", "error", True), failing_result
        )
    with pytest.raises(ValueError, match="check name"):
        save_validation_result(
            tmp_path, record(JUNE, "../escape", "raw.orders", "error", False), failing_result
        )
    assert list(tmp_path.iterdir()) == []
