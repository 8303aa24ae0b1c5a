"""The code location loads, and its asset graph matches the reviewed snapshot.

When the graph changes on purpose, regenerate the snapshot with
`SOP_UPDATE_SNAPSHOTS=1 pytest tests/test_definitions.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from orchestration.dbt_assets import SopDbtCliResource, SopDbtTranslator
from orchestration.definitions import build_definitions
from tests.conftest import make_settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def _graph_snapshot(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
        }
    checks = sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys)
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in defs.schedules),
        "sensors": sorted(s.name for s in defs.sensors),
    }


def test_definitions_load_and_validate(tmp_path: Path) -> None:
    defs = build_definitions(make_settings(tmp_path))
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("monthly_sop_job")
    assert job.partitions_def is not None
    assert "2025-06-01" in job.partitions_def.get_partition_keys()


def test_asset_graph_matches_snapshot(tmp_path: Path) -> None:
    snapshot = _graph_snapshot(build_definitions(make_settings(tmp_path)))
    if os.environ.get("SOP_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(snapshot, indent=2) + "\n")
    assert SNAPSHOT.exists(), "no snapshot yet: run with SOP_UPDATE_SNAPSHOTS=1 and review it"
    assert snapshot == json.loads(SNAPSHOT.read_text())


# Where each group stands in the flow of data; quality audits ingest, so it sits beside staging.
STAGE_RANK = {
    "ingest": 0,
    "staging": 1,
    "quality": 1,
    "intermediate": 2,
    "marts": 3,
    "forecasting": 4,
    "planning": 5,
    "publish": 6,
    "reports": 7,
}


def test_graph_has_every_stage_group_and_flows_one_way(tmp_path: Path) -> None:
    snapshot = _graph_snapshot(build_definitions(make_settings(tmp_path)))
    assets = snapshot["assets"]
    assert {a["group"] for a in assets.values()} == set(STAGE_RANK)
    backwards = [
        (key, dep)
        for key, asset in assets.items()
        for dep in asset["deps"]
        if STAGE_RANK[assets[dep]["group"]] > STAGE_RANK[asset["group"]]
    ]
    assert backwards == []
    assert "raw/orders" in assets["staging/stg_supply__orders"]["deps"]
    assert assets["forecasting/fct_demand_forecast"]["deps"] == [
        "marts/dim_products",
        "marts/fct_demand_history",
    ]
    assert "planning/fct_demand_plan" in assets["publish/published_marts"]["deps"]
    assert {"planning/fct_supply_plan", "planning/fct_sop_summary"} <= set(
        assets["publish/published_marts"]["deps"]
    )
    assert assets["reports/sop_meeting_pack"]["deps"] == ["publish/published_marts"]
    assert "planning/fct_supply_plan:gx_planning_fct_supply_plan" in snapshot["checks"]
    assert "raw/orders:gx_raw_orders" in snapshot["checks"]
    assert snapshot["schedules"] == ["monthly_sop"]


def test_translator_maps_dbt_sources_and_models_to_schema_keys_and_folder_groups() -> None:
    translator = SopDbtTranslator()
    source = {"resource_type": "source", "schema": "raw", "name": "orders"}
    model = {
        "resource_type": "model",
        "name": "fct_demand_history",
        "config": {"schema": "marts"},
        "fqn": ["sop", "marts", "supply", "fct_demand_history"],
    }
    assert translator.get_asset_key(source) == dg.AssetKey(["raw", "orders"])
    assert translator.get_asset_key(model) == dg.AssetKey(["marts", "fct_demand_history"])
    assert translator.get_group_name(model) == "marts"
    staging = {**model, "fqn": ["sop", "staging", "supply", "stg_supply__orders"]}
    assert translator.get_group_name(staging) == "staging"


def test_the_dbt_resource_knows_dbt_core_s_version_without_running_dbt(
    tmp_path: Path, monkeypatch
) -> None:
    """dagster-dbt runs `dbt --version` (which asks pypi.org for the latest release) in every
    run to learn the version; ours reads the installed dbt-core instead."""
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dbt.version import __version__ as dbt_core_version
    from packaging import version

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"ran a subprocess: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = build_definitions(make_settings(tmp_path)).resources["dbt"]
    assert isinstance(resource, SopDbtCliResource)
    assert resource._cli_version == version.parse(dbt_core_version)
