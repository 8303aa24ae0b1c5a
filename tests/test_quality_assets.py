"""The load audit recounts the landing files itself, so a lost row fails it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.ingest_loader import load_landing_file
from orchestration.landing_contract import LANDING_FILES
from orchestration.warehouse import connect
from tests.conftest import make_settings

AUDIT_KEY = dg.AssetKey(["quality", "load_audit"])


def _audit(settings) -> dg.ExecuteInProcessResult:
    audit = build_definitions(settings).resolve_assets_def(AUDIT_KEY)
    # The resolved asset already carries the `sop` resource built from `settings`.
    return dg.materialize([audit], partition_key="2025-06-01", raise_on_error=False)


@pytest.fixture
def loaded(tiny_landing: Path, tmp_path: Path):
    settings = make_settings(tmp_path, tiny_landing)
    with connect(settings.warehouse_path) as con:
        for spec in LANDING_FILES:
            load_landing_file(con, tiny_landing, spec)
    return settings


def test_audit_passes_when_every_row_is_in_raw_or_quarantine(loaded) -> None:
    result = _audit(loaded)
    assert result.success
    metadata = result.asset_materializations_for_node("quality__load_audit")[0].metadata
    assert metadata["files"].value == 13
    # reps 3, territories 1, accounts 2, leads 2, opportunities 7, history 13, activities 3,
    # quotas 5, products 3, orders 7, inventory 2, capacity 2, open_supply 1
    assert metadata["rows_in_files"].value == 51
    assert metadata["rows_quarantined"].value == 0


def test_audit_fails_when_a_loaded_row_goes_missing(loaded) -> None:
    with connect(loaded.warehouse_path) as con:
        con.execute("delete from raw.orders where order_id = 'SO3'")
    result = _audit(loaded)
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "rows were lost at ingest" in message and "supply/orders" in message
