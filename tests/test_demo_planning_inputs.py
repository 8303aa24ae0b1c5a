"""The demo's planning inputs are usable as written: the scenarios, with their launch, pass
the scenario checks against the demo catalog, and the action items pass the meeting
pack's reader with overdue, future and done items."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from models.planning.scenarios import parse_scenarios, validate_scenarios
from orchestration.demo import DemoSummary, generate_demo_landing
from orchestration.demo.names import PLANNERS
from orchestration.meeting_pack.action_items import COLUMNS, flag_overdue, read_action_items

END_MONTH = date(2025, 6, 1)
AS_OF = date(2025, 6, 30)  # the as-of month's last day: the meeting pack's overdue cut-off
SCALE = 0.01  # the smallest demo: 20 products, about a dozen reps
Demo = tuple[Path, DemoSummary]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    return landing, generate_demo_landing(landing, scale=SCALE, seed=7, end_month=END_MONTH)


def _read(landing: Path, relative: str) -> pd.DataFrame:
    return pd.read_csv(landing / relative, dtype=str, keep_default_na=False)


def test_scenarios_with_a_launch_pass_the_scenario_checks(demo: Demo) -> None:
    landing, _ = demo
    products = _read(landing, "supply/products.csv")
    capacity = _read(landing, "supply/capacity.csv")
    text = (landing / "planning" / "scenarios.yml").read_text(encoding="utf-8")

    scenarios = parse_scenarios(text)
    validate_scenarios(scenarios, products, capacity)

    assert len(scenarios) == 4
    launches = [launch for s in scenarios for launch in s.launches]
    assert len(launches) == 1
    (launch,) = launches
    assert launch.product_id not in set(products["product_id"])
    assert launch.family in set(products["family"])
    family = products[products["family"] == launch.family]
    # Made where that family is made, and priced and sized like it.
    assert launch.resource_id in set(family["resource_id"])
    prices = family["unit_price"].astype(float)
    assert prices.min() <= launch.unit_price <= 1.5 * prices.max()
    assert 0 < launch.unit_cost < launch.unit_price
    assert launch.hours_per_unit > 0 and launch.monthly_qty >= 1
    # Grid month nxt + 3, nxt being the month after the as-of month (as the surge counts).
    assert launch.from_month == date(2025, 10, 1)
    assert "#       launches:" in text  # the comment block documents the kind


def test_action_items_pass_the_meeting_pack_reader(demo: Demo) -> None:
    landing, summary = demo
    items = read_action_items(landing / "planning" / "action_items.csv")

    assert list(items.columns) == list(COLUMNS)
    assert summary.row_counts["action_items"] == len(items)
    assert 5 <= len(items) <= 7
    assert items["action_id"].is_unique and (items["title"] != "").all()
    assert items["due_date"].notna().all()

    flagged = flag_overdue(items, AS_OF)
    overdue_open = flagged[flagged["overdue"] & (flagged["status"] == "open")]
    assert len(overdue_open) >= 1
    assert (flagged["due_date"] > AS_OF).sum() >= 2
    assert (flagged["status"] == "done").sum() == 1

    reps = _read(landing, "crm/reps.csv")
    managers = set(reps.loc[reps["role"] == "Manager", "rep_name"])
    owners = set(items["owner"])
    assert owners <= managers | set(PLANNERS)
    assert owners & managers and owners & set(PLANNERS)
    # The follow-ups name the demo's scenarios, e.g. the launch's.
    text = (landing / "planning" / "scenarios.yml").read_text(encoding="utf-8")
    (launch,) = (s for s in parse_scenarios(text) if s.launches)
    assert items["notes"].str.contains(launch.name).any()


def test_same_seed_same_planning_files(demo: Demo, tmp_path: Path) -> None:
    landing, _ = demo
    generate_demo_landing(tmp_path, scale=SCALE, seed=7, end_month=END_MONTH, bad_rows=False)
    for name in ("scenarios.yml", "action_items.csv", "overrides.csv"):
        again = (tmp_path / "planning" / name).read_bytes()
        assert again == (landing / "planning" / name).read_bytes(), name
