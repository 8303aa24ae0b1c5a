"""What-if scenarios: parsing planning/scenarios.yml, the command line, applying and comparing.

The inputs are three products on two resources over March to May 2026:

| product | family | resource | demand Mar, Apr, May | capacity Mar, Apr, May |
| ------- | ------ | -------- | -------------------- | ---------------------- |
| P1      | Pumps  | R1       | 10, 20, 30           | R1: 100, 100, 100      |
| P2      | Pumps  | R1       | 40, 40, 40           |                        |
| P3      | Valves | R2       | 5, 5, 5              | R2: 50, 50, 50         |
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.planning.scenarios import (
    BASELINE,
    COMPARISON_COLUMNS,
    CapacityChange,
    DemandChange,
    Launch,
    Scenario,
    ScenarioError,
    apply_scenario,
    compare_to_baseline,
    format_comparison,
    parse_adhoc_scenario,
    parse_scenarios,
    validate_scenarios,
)
from orchestration.demo import stream
from orchestration.demo.catalog import build_catalog
from orchestration.demo.planning_inputs import scenarios_yaml
from orchestration.demo.timeline import Timeline

MAR, APR, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
MONTHS = (MAR, APR, MAY)
SRC = "planning/scenarios.yml"


@dataclass(frozen=True)
class Inputs:
    """Stands in for supply_plan.PlanInputs: apply_scenario only relies on its fields."""

    run_month: date
    months: tuple[date, ...]
    products: pd.DataFrame
    demand: pd.DataFrame
    opening: pd.DataFrame
    open_supply: pd.DataFrame
    capacity: pd.DataFrame
    safety_stock: pd.DataFrame


def _inputs() -> Inputs:
    products = pd.DataFrame(
        {
            "product_id": ["P1", "P2", "P3"],
            "family": ["Pumps", "Pumps", "Valves"],
            "unit_price": [100.0, 50.0, 200.0],
            "unit_cost": [60.0, 30.0, 120.0],
            "resource_id": ["R1", "R1", "R2"],
            "hours_per_unit": [0.5, 1.0, 2.0],
            "lead_time_days": [10, 10, 20],
        }
    )
    demand = pd.DataFrame(
        {
            "product_id": ["P1"] * 3 + ["P2"] * 3 + ["P3"] * 3,
            "target_month": list(MONTHS) * 3,
            "demand_qty": [10.0, 20.0, 30.0, 40.0, 40.0, 40.0, 5.0, 5.0, 5.0],
        }
    )
    capacity = pd.DataFrame(
        {
            "resource_id": ["R1"] * 3 + ["R2"] * 3,
            "target_month": list(MONTHS) * 2,
            "available_hours": [100.0] * 3 + [50.0] * 3,
        }
    )
    safety_stock = demand[["product_id", "target_month"]].assign(safety_stock_qty=2.0)
    return Inputs(
        run_month=date(2026, 2, 1),
        months=MONTHS,
        products=products,
        demand=demand,
        opening=pd.DataFrame({"product_id": ["P1", "P2", "P3"], "opening_qty": [5.0, 0.0, 1.0]}),
        open_supply=pd.DataFrame(columns=["supply_id", "product_id", "due_month", "quantity"]),
        capacity=capacity,
        safety_stock=safety_stock,
    )


def _yaml(body: str, version: int = 1) -> str:
    return f"version: {version}\nscenarios:\n" + textwrap.indent(textwrap.dedent(body), "  ")


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenarios(text)
    return str(caught.value)


def _demand_lookup(frame: pd.DataFrame) -> dict[tuple[str, date], float]:
    months = pd.to_datetime(frame["target_month"]).dt.date
    return dict(
        zip(zip(frame["product_id"], months, strict=True), frame["demand_qty"], strict=True)
    )


# parsing


def test_parse_reads_every_kind_of_entry() -> None:
    text = _yaml(
        """\
        pumps_surge:
          description: >-
            Pumps up 30%
          demand:
            - family: Pumps
              from_month: '2026-03'
              to_month: '2026-08'
              multiplier: 1.3
            - product_id: 1001
              from_month: '2026-04'
              to_month: '2026-04'
              multiplier: 0
        r1_down:
          capacity:
            - resource_id: R1
              from_month: '2026-04'
              to_month: '2026-05'
              multiplier: 0.6
          launches:
            - product_id: NEW1
              family: Pumps
              resource_id: R1
              hours_per_unit: 0.5
              unit_price: 100
              unit_cost: 60
              from_month: '2026-05'
              monthly_qty: 40
        """
    )
    surge, down = parse_scenarios(text)
    assert surge == Scenario(
        "pumps_surge",
        "Pumps up 30%",
        (
            DemandChange("Pumps", None, MAR, date(2026, 8, 1), 1.3),
            DemandChange(None, "1001", APR, APR, 0.0),
        ),
    )
    assert down == Scenario(
        "r1_down",
        "",
        capacity=(CapacityChange("R1", APR, MAY, 0.6),),
        launches=(Launch("NEW1", "Pumps", "R1", 0.5, 100.0, 60.0, 0, MAY, 40.0),),
    )


def test_parse_empty_scenarios_gives_none() -> None:
    assert parse_scenarios("version: 1\nscenarios: {}\n") == []
    assert parse_scenarios("version: 1\n") == []


def test_the_demo_file_parses_and_names_things_the_demo_catalog_has() -> None:
    timeline = Timeline.build(date(2025, 6, 1))
    catalog = build_catalog(stream(0, "catalog"), timeline, 0.2)
    scenarios = parse_scenarios(scenarios_yaml(stream(0, "scenarios"), timeline, catalog))
    products = pd.DataFrame({k: catalog.table[k] for k in ("product_id", "family", "resource_id")})
    validate_scenarios(scenarios, products, products["resource_id"])
    assert len(scenarios) == 4
    assert [s.launches[0].product_id for s in scenarios if s.launches] == ["SKU-NEW1"]
    assert scenarios[0].demand[0].multiplier == 1.3
    assert scenarios[0].demand[0].from_month == date(2025, 10, 1)


SURGE = """\
x_surge:
  demand:
    - family: Pumps
      from_month: '2026-03'
      to_month: '2026-08'
      multiplier: 1.3
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "to_month: '2026-08'",
            "to_month: '2026-01'",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "to_month '2026-01' is before from_month '2026-03'",
        ),
        (
            "multiplier: 1.3",
            "multipler: 1.3",
            f"{SRC}, scenario 'x_surge', demand entry 1: unknown key(s) multipler; "
            "expected family, from_month, multiplier, product_id, to_month",
        ),
        (
            "      multiplier: 1.3",
            "      to_mnth: '2026-09'",
            f"{SRC}, scenario 'x_surge', demand entry 1: unknown key(s) to_mnth; "
            "expected family, from_month, multiplier, product_id, to_month",
        ),
        (
            "      to_month: '2026-08'\n",
            "",
            f"{SRC}, scenario 'x_surge', demand entry 1: missing to_month",
        ),
        (
            "  demand:",
            "  demands:",
            f"{SRC}, scenario 'x_surge': unknown key(s) demands; "
            "expected capacity, demand, description, launches",
        ),
        (
            "x_surge:",
            "baseline:",
            f"{SRC}, scenario 'baseline': the name is reserved for the plan without changes; "
            "pick another",
        ),
        (
            "x_surge:",
            "Pumps Surge:",
            f"{SRC}, scenario 'Pumps Surge': the name must be lower_snake_case "
            "(a-z, digits and underscores, starting with a letter)",
        ),
        (
            "x_surge:",
            "2026:",
            f"{SRC}, scenario 2026: the name must be text",
        ),
        (
            "    - family: Pumps",
            "    - family: Pumps\n      product_id: P1",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "give exactly one of family or product_id, got both",
        ),
        (
            "    - family: Pumps\n",
            "    -\n",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "give exactly one of family or product_id, got neither",
        ),
        (
            "multiplier: 1.3",
            "multiplier: -1",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "multiplier must be a finite number >= 0, got -1",
        ),
        (
            "multiplier: 1.3",
            "multiplier: .nan",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "multiplier must be a finite number >= 0, got nan",
        ),
        (
            "multiplier: 1.3",
            "multiplier: '1.3'",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "multiplier must be a finite number >= 0, got '1.3'",
        ),
        (
            "multiplier: 1.3",
            "multiplier: true",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "multiplier must be a finite number >= 0, got True",
        ),
        (
            "from_month: '2026-03'",
            "from_month: '2026-3'",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "from_month must be a month 'YYYY-MM', got '2026-3'",
        ),
        (
            "from_month: '2026-03'",
            "from_month: '2026-13'",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "from_month must be a month 'YYYY-MM', got '2026-13'",
        ),
        (
            "from_month: '2026-03'",
            "from_month: 2026-03-01",
            f"{SRC}, scenario 'x_surge', demand entry 1: "
            "from_month must be a month 'YYYY-MM', got 2026-03-01",
        ),
        (
            "    - family: Pumps",
            "    - family: ''",
            f"{SRC}, scenario 'x_surge', demand entry 1: family must be non-empty text, got ''",
        ),
        (
            "  demand:\n",
            "  description: nothing\n  demand:\n",
            None,
        ),
    ],
)
def test_parse_errors_name_file_scenario_and_entry(old: str, new: str, message: str | None) -> None:
    text = _yaml(SURGE.replace(old, new))
    if message is None:
        assert parse_scenarios(text)[0].description == "nothing"
    else:
        assert _error(text) == message


def test_parse_errors_at_file_level() -> None:
    assert _error(_yaml(SURGE, version=2)) == f"{SRC}: version must be 1, got 2"
    assert _error("scenarios: {}\n") == f"{SRC}: missing version"
    assert _error("- a\n- b\n") == (
        f"{SRC}: the file must be a mapping with keys scenarios, version"
    )
    assert _error("version: 1\nscenario: {}\n") == (
        f"{SRC}: unknown key(s) scenario; expected scenarios, version"
    )
    assert _error("version: 1\nscenarios: [a]\n") == (
        f"{SRC}: scenarios must be a mapping of scenario name to its definition"
    )
    assert _error("version: 1\nscenarios: {a: [}\n").startswith(f"{SRC}: not valid YAML: ")


def test_parse_refuses_a_scenario_given_twice() -> None:
    message = _error(_yaml(SURGE + SURGE))
    assert message.startswith(f"{SRC}: not valid YAML: ")
    assert "the key 'x_surge' is given twice" in message


def test_parse_refuses_a_scenario_that_changes_nothing() -> None:
    assert _error(_yaml("quiet:\n  description: nothing at all\n")) == (
        f"{SRC}, scenario 'quiet': changes nothing; "
        "give at least one demand, capacity or launches entry"
    )
    assert _error(_yaml("quiet:\n")) == (
        f"{SRC}, scenario 'quiet': the scenario must be a mapping with keys "
        "capacity, demand, description, launches"
    )


def test_parse_errors_count_entries_within_their_list() -> None:
    text = _yaml(
        """\
        r1_down:
          capacity:
            - {resource_id: R1, from_month: '2026-04', to_month: '2026-05', multiplier: 0.6}
            - {resource_id: R2, from_month: '2026-04', to_month: '2026-05', multiplier: -0.5}
        """
    )
    assert _error(text) == (
        f"{SRC}, scenario 'r1_down', capacity entry 2: "
        "multiplier must be a finite number >= 0, got -0.5"
    )


LAUNCH = """\
new_pump:
  launches:
    - product_id: NEW1
      family: Pumps
      resource_id: R1
      hours_per_unit: 0.5
      unit_price: 100
      unit_cost: 60
      lead_time_days: 14
      from_month: '2026-05'
      monthly_qty: 40
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "      lead_time_days: 14\n",
            "",
            None,
        ),
        (
            "lead_time_days: 14",
            "lead_time_days: 1.5",
            f"{SRC}, scenario 'new_pump', launches entry 1: "
            "lead_time_days must be a whole number >= 0, got 1.5",
        ),
        (
            "      monthly_qty: 40\n",
            "",
            f"{SRC}, scenario 'new_pump', launches entry 1: missing monthly_qty",
        ),
        (
            "unit_price: 100",
            "unit_price: -100",
            f"{SRC}, scenario 'new_pump', launches entry 1: "
            "unit_price must be a finite number >= 0, got -100",
        ),
        (
            "      monthly_qty: 40\n",
            "      monthly_qty: 40\n      to_month: '2026-08'\n",
            f"{SRC}, scenario 'new_pump', launches entry 1: unknown key(s) to_month; expected "
            "family, from_month, hours_per_unit, lead_time_days, monthly_qty, product_id, "
            "resource_id, unit_cost, unit_price",
        ),
    ],
)
def test_parse_launch_errors(old: str, new: str, message: str | None) -> None:
    text = _yaml(LAUNCH.replace(old, new))
    if message is None:
        assert parse_scenarios(text)[0].launches[0].lead_time_days == 0
    else:
        assert _error(text) == message


def test_parse_refuses_a_product_launched_twice() -> None:
    entry = LAUNCH.split("  launches:\n")[1]
    assert _error(_yaml(LAUNCH + entry)) == (
        f"{SRC}, scenario 'new_pump', launches entry 2: product_id 'NEW1' is launched twice"
    )


# validation against the catalog


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            Scenario("x", demand=(DemandChange("Pipes", None, MAR, MAR, 2.0),)),
            f"{SRC}, scenario 'x', demand entry 1: unknown family 'Pipes'; "
            "known families: Pumps, Valves",
        ),
        (
            Scenario(
                "x",
                demand=(
                    DemandChange("Pumps", None, MAR, MAR, 2.0),
                    DemandChange(None, "P9", MAR, MAR, 2.0),
                ),
            ),
            f"{SRC}, scenario 'x', demand entry 2: unknown product_id 'P9'; "
            "known products: P1, P2, P3",
        ),
        (
            Scenario("x", capacity=(CapacityChange("R3", MAR, MAR, 0.5),)),
            f"{SRC}, scenario 'x', capacity entry 1: unknown resource_id 'R3'; "
            "known resources: R1, R2",
        ),
        (
            Scenario("x", launches=(Launch("P1", "Pumps", "R1", 1.0, 1.0, 1.0, 0, MAR, 1.0),)),
            f"{SRC}, scenario 'x', launches entry 1: product_id 'P1' is already in the catalog; "
            "a launch needs a new product_id",
        ),
        (
            Scenario("x", launches=(Launch("N1", "Pumps", "R9", 1.0, 1.0, 1.0, 0, MAR, 1.0),)),
            f"{SRC}, scenario 'x', launches entry 1: unknown resource_id 'R9'; "
            "known resources: R1, R2",
        ),
    ],
)
def test_validate_names_what_is_unknown(scenario: Scenario, message: str) -> None:
    inputs = _inputs()
    with pytest.raises(ScenarioError) as caught:
        validate_scenarios([scenario], inputs.products, inputs.capacity)
    assert str(caught.value) == message
    with pytest.raises(ScenarioError):
        apply_scenario(inputs, scenario)


def test_a_launch_may_open_a_new_family() -> None:
    launch = Launch("N1", "Gadgets", "R2", 1.0, 1.0, 1.0, 0, MAR, 1.0)
    validate_scenarios([Scenario("x", launches=(launch,))], _inputs().products, ["R1", "R2"])


# applying


def test_apply_multiplies_demand_and_capacity_and_overlapping_entries_multiply() -> None:
    inputs = _inputs()
    before = {name: getattr(inputs, name).copy() for name in ("products", "demand", "capacity")}
    scenario = Scenario(
        "mix",
        demand=(
            DemandChange("Pumps", None, APR, MAY, 1.5),
            DemandChange(None, "P1", MAY, MAY, 2.0),
        ),
        capacity=(
            CapacityChange("R1", MAR, APR, 0.5),
            CapacityChange("R1", APR, APR, 0.8),
        ),
    )
    changed = apply_scenario(inputs, scenario)

    assert _demand_lookup(changed.demand) == {
        ("P1", MAR): 10.0,
        ("P1", APR): 30.0,  # 20 x 1.5
        ("P1", MAY): 90.0,  # 30 x 1.5 x 2
        ("P2", MAR): 40.0,
        ("P2", APR): 60.0,
        ("P2", MAY): 60.0,
        ("P3", MAR): 5.0,
        ("P3", APR): 5.0,
        ("P3", MAY): 5.0,
    }
    assert changed.capacity["available_hours"].tolist() == [
        50.0,  # 100 x 0.5
        40.0,  # 100 x 0.5 x 0.8
        100.0,
        50.0,
        50.0,
        50.0,
    ]
    assert type(changed) is Inputs
    assert changed.run_month == inputs.run_month
    assert changed.months == inputs.months
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(inputs, name), frame)
    pd.testing.assert_frame_equal(changed.products, inputs.products)


def test_apply_a_launch_adds_product_demand_safety_stock_and_opening() -> None:
    inputs = _inputs()
    launch = Launch("NEW1", "Pumps", "R1", 0.25, 80.0, 40.0, 7, APR, 15.0)
    scenario = Scenario(
        "launch",
        demand=(DemandChange("Pumps", None, MAR, MAY, 2.0),),
        launches=(launch,),
    )
    changed = apply_scenario(inputs, scenario)

    new = changed.products[changed.products["product_id"] == "NEW1"]
    assert new.drop(columns="product_id").to_dict("records") == [
        {
            "family": "Pumps",
            "unit_price": 80.0,
            "unit_cost": 40.0,
            "resource_id": "R1",
            "hours_per_unit": 0.25,
            "lead_time_days": 7,
        }
    ]
    demand = _demand_lookup(changed.demand)
    # The launch's own quantity is not scaled by the family's multiplier.
    assert {k: v for k, v in demand.items() if k[0] == "NEW1"} == {
        ("NEW1", APR): 15.0,
        ("NEW1", MAY): 15.0,
    }
    assert demand[("P2", MAR)] == 80.0
    stock = changed.safety_stock[changed.safety_stock["product_id"] == "NEW1"]
    assert stock["target_month"].tolist() == list(MONTHS)
    assert stock["safety_stock_qty"].tolist() == [0.0, 0.0, 0.0]
    assert changed.opening.to_dict("records")[-1] == {"product_id": "NEW1", "opening_qty": 0.0}
    assert len(inputs.products) == 3
    assert len(inputs.demand) == 9


def test_apply_keeps_a_timestamp_month_column_as_timestamps() -> None:
    inputs = _inputs()
    demand = inputs.demand.assign(target_month=pd.to_datetime(inputs.demand["target_month"]))
    inputs = Inputs(**{**inputs.__dict__, "demand": demand})
    launch = Launch("NEW1", "Pumps", "R1", 0.25, 80.0, 40.0, 0, MAY, 15.0)
    changed = apply_scenario(inputs, Scenario("launch", launches=(launch,)))
    assert changed.demand["target_month"].dtype == demand["target_month"].dtype
    assert changed.demand["target_month"].iloc[-1] == pd.Timestamp("2026-05-01")


def test_apply_works_on_the_supply_plan_inputs() -> None:
    supply_plan = pytest.importorskip("models.planning.supply_plan")
    inputs = supply_plan.PlanInputs(**_inputs().__dict__)
    changed = apply_scenario(inputs, Scenario("x", capacity=(CapacityChange("R2", MAY, MAY, 0),)))
    assert type(changed) is supply_plan.PlanInputs
    assert changed.capacity["available_hours"].tolist()[-1] == 0.0


# the command line


def test_adhoc_reads_every_kind_of_change() -> None:
    args = [
        "demand:family=Pumps:2026-03..2026-08:1.3",
        "demand:product=P001:2026-03:0.5",
        "capacity:resource=R1:2026-04..2026-05:0.6",
        "launch:product=NEW1,family=Pumps,resource=R1,hours=0.5,price=100,cost=60,"
        "from=2026-05,qty=40,lead=21",
    ]
    assert parse_adhoc_scenario(args) == Scenario(
        "adhoc",
        " ".join(args),
        (
            DemandChange("Pumps", None, MAR, date(2026, 8, 1), 1.3),
            DemandChange(None, "P001", MAR, MAR, 0.5),
        ),
        (CapacityChange("R1", APR, MAY, 0.6),),
        (Launch("NEW1", "Pumps", "R1", 0.5, 100.0, 60.0, 21, MAY, 40.0),),
        "command line",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["capacity:resource=R1:2026-05..2026-04:0.6"],
            "command line, argument 1 'capacity:resource=R1:2026-05..2026-04:0.6': "
            "to_month '2026-04' is before from_month '2026-05'",
        ),
        (
            ["demand:family=Pumps:2026-03..2026-04:1.1", "demand:region=EU:2026-03..2026-04:1.2"],
            "command line, argument 2 'demand:region=EU:2026-03..2026-04:1.2': "
            "demand needs family= or product= before the months, got 'region=EU'",
        ),
        (
            ["capacity:product=P1:2026-03:0.5"],
            "command line, argument 1 'capacity:product=P1:2026-03:0.5': "
            "capacity needs resource= before the months, got 'product=P1'",
        ),
        (
            ["demand:family=Pumps:2026-03..2026-04:lots"],
            "command line, argument 1 'demand:family=Pumps:2026-03..2026-04:lots': "
            "multiplier must be a finite number >= 0, got 'lots'",
        ),
        (
            ["demand:family=Pumps:March..2026-04:2"],
            "command line, argument 1 'demand:family=Pumps:March..2026-04:2': "
            "from_month must be a month 'YYYY-MM', got 'March'",
        ),
        (
            ["launch:product=NEW1,family=Pumps"],
            "command line, argument 1 'launch:product=NEW1,family=Pumps': "
            "launch is missing resource, hours, price, cost, from, qty",
        ),
        (
            ["launch:product=NEW1,colour=red"],
            "command line, argument 1 'launch:product=NEW1,colour=red': "
            "launch fields are product, family, resource, hours, price, cost, lead, from, qty "
            "as name=value, got 'colour=red'",
        ),
        (
            ["launch:product=NEW1,product=NEW2"],
            "command line, argument 1 'launch:product=NEW1,product=NEW2': "
            "launch field product is given twice",
        ),
        (
            [
                "launch:product=N1,family=F,resource=R1,hours=1,price=1,cost=1,from=2026-05,"
                "qty=1,lead=1.5"
            ],
            "command line, argument 1 'launch:product=N1,family=F,resource=R1,hours=1,price=1,"
            "cost=1,from=2026-05,qty=1,lead=1.5': lead_time_days must be a whole number >= 0, "
            "got '1.5'",
        ),
        (
            ["launch:product=N1,family=F,resource=R1,hours=1,price=1,cost=1,from=2026-05,qty=1"]
            * 2,
            "command line, scenario 'adhoc', launches entry 2: product_id 'N1' is launched twice",
        ),
    ],
)
def test_adhoc_errors_quote_the_argument(args: list[str], message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_adhoc_scenario(args)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        ([], "command line: give at least one change: demand:family=<family>:"),
        (
            ["demand:family=Pumps:2026-03"],
            "command line, argument 1 'demand:family=Pumps:2026-03': expected one of "
            "demand:family=<family>:<YYYY-MM>..<YYYY-MM>:<multiplier>, ",
        ),
        (
            ["supply:resource=R1:2026-03:2"],
            "command line, argument 1 'supply:resource=R1:2026-03:2': expected one of ",
        ),
    ],
)
def test_adhoc_malformed_arguments_show_the_forms(args: list[str], prefix: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_adhoc_scenario(args)
    assert str(caught.value).startswith(prefix)
    assert str(caught.value).endswith(",from=<YYYY-MM>,qty=<units>[,lead=<days>]")


# comparison


def _plan(rows: list[tuple[str, str, date, float, float, float, float]]) -> pd.DataFrame:
    columns = [
        "product_id",
        "family",
        "target_month",
        "demand_qty",
        "fulfilled_qty",
        "revenue_at_risk",
        "closing_qty",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["shortage_qty"] = frame["demand_qty"] - frame["fulfilled_qty"]
    return frame


BASELINE_PLAN = _plan(
    [
        ("P1", "Pumps", MAR, 10, 10, 0, 5),
        ("P1", "Pumps", APR, 20, 20, 0, 3),
        ("P2", "Pumps", MAR, 40, 40, 0, 0),
        ("P2", "Pumps", APR, 40, 30, 500, 0),
        ("P3", "Valves", MAR, 5, 5, 0, 4),
        ("P3", "Valves", APR, 5, 5, 0, 2),
    ]
)
SCENARIO_PLAN = _plan(
    [
        ("P1", "Pumps", MAR, 15, 15, 0, 0),
        ("P1", "Pumps", APR, 30, 25, 500, 0),
        ("P2", "Pumps", MAR, 60, 50, 500, 0),
        ("P2", "Pumps", APR, 60, 40, 1000, 0),
        ("P3", "Valves", MAR, 5, 5, 0, 4),
        ("P3", "Valves", APR, 5, 5, 0, 2),
        ("NEW1", "Gadgets", APR, 15, 15, 0, 5),
    ]
)


def test_compare_to_baseline_sums_families_and_all() -> None:
    frame = compare_to_baseline(BASELINE_PLAN, SCENARIO_PLAN)
    assert list(frame.columns) == COMPARISON_COLUMNS
    assert frame["family"].unique().tolist() == ["Gadgets", "Pumps", "Valves", "ALL"]
    got = {
        (family, metric): (baseline, scenario, delta)
        for family, metric, baseline, scenario, delta in frame.itertuples(index=False)
    }
    nan = math.nan
    expected = {
        # Pumps: demand 10 + 20 + 40 + 40 vs 15 + 30 + 60 + 60; stock of April only.
        ("Pumps", "demand_qty"): (110.0, 165.0, 55.0),
        ("Pumps", "fulfilled_qty"): (100.0, 130.0, 30.0),
        ("Pumps", "shortage_qty"): (10.0, 35.0, 25.0),
        ("Pumps", "fill_rate"): (100 / 110, 130 / 165, 130 / 165 - 100 / 110),
        ("Pumps", "revenue_at_risk"): (500.0, 2000.0, 1500.0),
        ("Pumps", "closing_qty_last_month"): (3.0, 0.0, -3.0),
        ("Valves", "demand_qty"): (10.0, 10.0, 0.0),
        ("Valves", "fulfilled_qty"): (10.0, 10.0, 0.0),
        ("Valves", "shortage_qty"): (0.0, 0.0, 0.0),
        ("Valves", "fill_rate"): (1.0, 1.0, 0.0),
        ("Valves", "revenue_at_risk"): (0.0, 0.0, 0.0),
        ("Valves", "closing_qty_last_month"): (2.0, 2.0, 0.0),
        # A family of the scenario only counts as 0 in the baseline; no fill rate there.
        ("Gadgets", "demand_qty"): (0.0, 15.0, 15.0),
        ("Gadgets", "fulfilled_qty"): (0.0, 15.0, 15.0),
        ("Gadgets", "shortage_qty"): (0.0, 0.0, 0.0),
        ("Gadgets", "fill_rate"): (nan, 1.0, nan),
        ("Gadgets", "revenue_at_risk"): (0.0, 0.0, 0.0),
        ("Gadgets", "closing_qty_last_month"): (0.0, 5.0, 5.0),
        ("ALL", "demand_qty"): (120.0, 190.0, 70.0),
        ("ALL", "fulfilled_qty"): (110.0, 155.0, 45.0),
        ("ALL", "shortage_qty"): (10.0, 35.0, 25.0),
        ("ALL", "fill_rate"): (110 / 120, 155 / 190, 155 / 190 - 110 / 120),
        ("ALL", "revenue_at_risk"): (500.0, 2000.0, 1500.0),
        ("ALL", "closing_qty_last_month"): (5.0, 7.0, 2.0),
    }
    assert got.keys() == expected.keys()
    for key, values in expected.items():
        np.testing.assert_allclose(got[key], values, rtol=1e-12, err_msg=str(key))


def test_compare_a_plan_with_itself_has_no_delta() -> None:
    frame = compare_to_baseline(BASELINE_PLAN, BASELINE_PLAN)
    assert (frame["delta"] == 0).all()


def test_format_comparison_rounds_and_shows_points() -> None:
    frame = compare_to_baseline(BASELINE_PLAN, SCENARIO_PLAN)
    text = format_comparison(frame[frame["family"].isin(["Gadgets", "ALL"])])
    assert text.splitlines() == [
        " family                 metric baseline scenario     delta",
        "Gadgets             demand_qty        0       15       +15",
        "Gadgets          fulfilled_qty        0       15       +15",
        "Gadgets           shortage_qty        0        0        +0",
        "Gadgets              fill_rate        -   100.0%         -",
        "Gadgets        revenue_at_risk        0        0        +0",
        "Gadgets closing_qty_last_month        0        5        +5",
        "    ALL             demand_qty      120      190       +70",
        "    ALL          fulfilled_qty      110      155       +45",
        "    ALL           shortage_qty       10       35       +25",
        "    ALL              fill_rate    91.7%    81.6% -10.1 pts",
        "    ALL        revenue_at_risk      500    2,000    +1,500",
        "    ALL closing_qty_last_month        5        7        +2",
    ]


def test_baseline_is_the_reserved_name() -> None:
    assert BASELINE == "baseline"


def test_a_scenario_that_cuts_capacity_is_planned_with_its_shortage() -> None:
    from models.planning.supply_plan import PlanInputs, plan_supply

    months = (date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1))
    inputs = PlanInputs(
        run_month=date(2026, 3, 1),
        months=months,
        products=pd.DataFrame(
            {
                "product_id": ["P1"],
                "family": ["Pumps"],
                "unit_price": [50.0],
                "unit_cost": [30.0],
                "resource_id": ["R1"],
                "hours_per_unit": [2.0],
                "lead_time_days": [0],
            }
        ),
        demand=pd.DataFrame(
            {"product_id": "P1", "target_month": list(months), "demand_qty": [10.0, 10.0, 10.0]}
        ),
        opening=pd.DataFrame({"product_id": ["P1"], "opening_qty": [0.0]}),
        open_supply=pd.DataFrame(columns=["supply_id", "product_id", "due_month", "quantity"]),
        capacity=pd.DataFrame(
            {"resource_id": "R1", "target_month": list(months), "available_hours": [24.0] * 3}
        ),
        safety_stock=pd.DataFrame(columns=["product_id", "target_month", "safety_stock_qty"]),
    )
    overhaul = parse_scenarios(
        "version: 1\nscenarios:\n  overhaul:\n    capacity:\n      - resource_id: R1\n"
        "        from_month: '2026-05'\n        to_month: '2026-06'\n        multiplier: 0.25\n"
    )[0]

    baseline = plan_supply(inputs).plan
    cut = plan_supply(apply_scenario(inputs, overhaul)).plan

    # Baseline: 24 h = 12 units a month against 10 asked, no shortage, built just in time.
    assert baseline["production_qty"].tolist() == pytest.approx([10.0, 10.0, 10.0])
    assert baseline["shortage_qty"].sum() == 0
    # Overhaul: May and June keep 6 h = 3 units each. April builds its 12 (2 ahead for May);
    # May has 2 + 3 = 5 of 10, June 3 of 10: 5 + 7 = 12 short, 12 x 50 = 600 at risk.
    assert cut["production_qty"].tolist() == pytest.approx([12.0, 3.0, 3.0])
    assert cut["shortage_qty"].tolist() == pytest.approx([0.0, 5.0, 7.0])
    assert cut["revenue_at_risk"].sum() == pytest.approx(600.0)
    comparison = compare_to_baseline(baseline, cut)
    total = comparison[(comparison["family"] == "ALL") & (comparison["metric"] == "shortage_qty")]
    assert total[["baseline", "scenario", "delta"]].to_numpy()[0] == pytest.approx([0, 12, 12])
