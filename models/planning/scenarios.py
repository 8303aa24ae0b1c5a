"""What-if scenarios of ``planning/scenarios.yml``: parsing, checking, applying, comparing.

A scenario changes the inputs of the supply plan, never the planning logic:
the same plan is then run on the changed inputs next to the baseline (the
plan on the inputs as they are, named ``baseline``), and the two are compared
family by family. Three kinds of change exist:

* ``demand``: multiply the demand of a family or of a product in a range of
  months (1.3 is 30% more);
* ``capacity``: multiply the available hours of a resource in a range of
  months (0.6 takes 40% of the hours away);
* ``launches``: a product that is not in the catalog yet, with its
  resource, price, cost and a flat demand of ``monthly_qty`` every month
  from ``from_month`` to the end of the horizon.

Entries that touch the same cell (product and month, or resource and month)
multiply. Multipliers apply to the catalog's demand only: a launch's
``monthly_qty`` is the launch's own stated demand and is not scaled by a
family multiplier in the same scenario. A launch may open a new family (a
new product line is a real S&OP question), but its resource must exist,
since the plan needs that resource's hours to make it.

The file is typed by people, so every problem is raised as a
:class:`ScenarioError` whose message names the file, the scenario and the
entry (numbered from 1 in file order within its list), e.g.
``planning/scenarios.yml, scenario 'x_surge', demand entry 1: to_month
'2026-01' is before from_month '2026-03'``. Checks that need the catalog
(unknown family, product or resource; a launch whose product_id exists)
happen in :func:`validate_scenarios`, which :func:`apply_scenario` calls.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

if TYPE_CHECKING:
    from models.planning.supply_plan import PlanInputs

BASELINE = "baseline"
SOURCE = "planning/scenarios.yml"
ADHOC = "adhoc"
ADHOC_SOURCE = "command line"
SUPPORTED_VERSION = 1

# Metrics of `compare_to_baseline`, in display order.
COMPARISON_METRICS = (
    "demand_qty",
    "fulfilled_qty",
    "shortage_qty",
    "fill_rate",
    "revenue_at_risk",
    "closing_qty_last_month",
)
COMPARISON_COLUMNS = ["family", "metric", "baseline", "scenario", "delta"]
ALL_FAMILIES = "ALL"

_FILE_KEYS = {"version", "scenarios"}
_SCENARIO_KEYS = {"description", "demand", "capacity", "launches"}
_DEMAND_KEYS = {"family", "product_id", "from_month", "to_month", "multiplier"}
_CAPACITY_KEYS = {"resource_id", "from_month", "to_month", "multiplier"}
_LAUNCH_KEYS = {
    "product_id",
    "family",
    "resource_id",
    "hours_per_unit",
    "unit_price",
    "unit_cost",
    "lead_time_days",
    "from_month",
    "monthly_qty",
}
_LAUNCH_OPTIONAL = {"lead_time_days"}
_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The command-line spelling of a launch's fields -> the YAML key.
_ADHOC_LAUNCH_KEYS = {
    "product": "product_id",
    "family": "family",
    "resource": "resource_id",
    "hours": "hours_per_unit",
    "price": "unit_price",
    "cost": "unit_cost",
    "lead": "lead_time_days",
    "from": "from_month",
    "qty": "monthly_qty",
}
# The command-line selector of a demand or capacity change -> the YAML key.
_ADHOC_SELECTORS = {
    "demand": {"family": "family", "product": "product_id"},
    "capacity": {"resource": "resource_id"},
}
_ADHOC_FORMS = (
    "demand:family=<family>:<YYYY-MM>..<YYYY-MM>:<multiplier>, "
    "demand:product=<product_id>:<YYYY-MM>..<YYYY-MM>:<multiplier>, "
    "capacity:resource=<resource_id>:<YYYY-MM>..<YYYY-MM>:<multiplier> or "
    "launch:product=<id>,family=<family>,resource=<id>,hours=<h>,price=<p>,cost=<c>,"
    "from=<YYYY-MM>,qty=<units>[,lead=<days>]"
)


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, the scenario and the entry."""


@dataclass(frozen=True)
class DemandChange:
    """Multiply the demand of one family or one product from `from_month` to `to_month`.

    Attributes
    ----------
    family, product_id : str or None
        Exactly one is set.
    from_month, to_month : date
        First days of the first and last months changed, inclusive.
    multiplier : float
        Finite, at least 0.
    """

    family: str | None
    product_id: str | None
    from_month: date
    to_month: date
    multiplier: float


@dataclass(frozen=True)
class CapacityChange:
    """Multiply the available hours of one resource from `from_month` to `to_month` (inclusive)."""

    resource_id: str
    from_month: date
    to_month: date
    multiplier: float


@dataclass(frozen=True)
class Launch:
    """A product new to the catalog, with a flat demand from its first month to the horizon's end.

    Attributes
    ----------
    product_id : str
        Must not be in the catalog yet.
    family : str
        May be a family the catalog does not have yet.
    resource_id : str
        The resource that makes it; must exist.
    hours_per_unit, unit_price, unit_cost : float
        As in the product master.
    lead_time_days : int
        As in the product master; 0 when not given.
    from_month : date
        First day of the first month with demand.
    monthly_qty : float
        Demand of every month from `from_month` on.
    """

    product_id: str
    family: str
    resource_id: str
    hours_per_unit: float
    unit_price: float
    unit_cost: float
    lead_time_days: int
    from_month: date
    monthly_qty: float


@dataclass(frozen=True)
class Scenario:
    """One named what-if: the changes to apply to the baseline inputs.

    Attributes
    ----------
    name : str
        lower_snake_case, never ``baseline``.
    description : str
        What the scenario asks, for the meeting pack.
    demand, capacity, launches : tuple
        The entries in file order; entry numbers in messages are positions + 1.
    source : str
        Where the scenario was written (the file, or the command line), for messages.
    """

    name: str
    description: str = ""
    demand: tuple[DemandChange, ...] = ()
    capacity: tuple[CapacityChange, ...] = ()
    launches: tuple[Launch, ...] = ()
    source: str = SOURCE


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in a mapping is an error.

    `yaml.safe_load` keeps the last of two equal keys, so a scenario pasted
    twice under the same name, or an entry with two multipliers, would
    silently lose one of them.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """The mapping of `node`, after checking that no key repeats."""
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _fail(where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}")


def _mapping(
    value: object, keys: set[str], optional: set[str], where: str, what: str
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, f"{what} must be a mapping with keys {', '.join(sorted(keys))}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise _fail(
            where,
            f"unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(keys))}",
        )
    missing = sorted(keys - optional - set(value))
    if missing:
        raise _fail(where, f"missing {', '.join(missing)}")
    return value


def _text(value: object, where: str, field: str) -> str:
    # YAML reads an unquoted id such as 1001 as a number; ids are text (SPEC.md section 1).
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"{field} must be non-empty text, got {_show(value)}")
    return value.strip()


def _number(value: object, where: str, field: str) -> float:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value < 0:
        raise _fail(where, f"{field} must be a finite number >= 0, got {_show(value)}")
    return float(value)


def _whole(value: object, where: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, f"{field} must be a whole number >= 0, got {_show(value)}")
    return value


def _month(value: object, where: str, field: str) -> date:
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise _fail(where, f"{field} must be a month 'YYYY-MM', got {_show(value)}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _month_range(item: dict[str, Any], where: str) -> tuple[date, date]:
    start = _month(item["from_month"], where, "from_month")
    end = _month(item["to_month"], where, "to_month")
    if end < start:
        raise _fail(
            where,
            f"to_month '{end:%Y-%m}' is before from_month '{start:%Y-%m}'",
        )
    return start, end


def _demand_change(value: object, where: str) -> DemandChange:
    item = _mapping(value, _DEMAND_KEYS, {"family", "product_id"}, where, "a demand entry")
    has_family, has_product = "family" in item, "product_id" in item
    if has_family == has_product:
        given = "both" if has_family else "neither"
        raise _fail(where, f"give exactly one of family or product_id, got {given}")
    family = _text(item["family"], where, "family") if has_family else None
    product = _text(item["product_id"], where, "product_id") if has_product else None
    start, end = _month_range(item, where)
    return DemandChange(
        family, product, start, end, _number(item["multiplier"], where, "multiplier")
    )


def _capacity_change(value: object, where: str) -> CapacityChange:
    item = _mapping(value, _CAPACITY_KEYS, set(), where, "a capacity entry")
    resource = _text(item["resource_id"], where, "resource_id")
    start, end = _month_range(item, where)
    return CapacityChange(resource, start, end, _number(item["multiplier"], where, "multiplier"))


def _launch(value: object, where: str) -> Launch:
    item = _mapping(value, _LAUNCH_KEYS, _LAUNCH_OPTIONAL, where, "a launch entry")
    return Launch(
        product_id=_text(item["product_id"], where, "product_id"),
        family=_text(item["family"], where, "family"),
        resource_id=_text(item["resource_id"], where, "resource_id"),
        hours_per_unit=_number(item["hours_per_unit"], where, "hours_per_unit"),
        unit_price=_number(item["unit_price"], where, "unit_price"),
        unit_cost=_number(item["unit_cost"], where, "unit_cost"),
        lead_time_days=_whole(item.get("lead_time_days", 0), where, "lead_time_days"),
        from_month=_month(item["from_month"], where, "from_month"),
        monthly_qty=_number(item["monthly_qty"], where, "monthly_qty"),
    )


def _entries(value: object, where: str, kind: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(where, f"{kind} must be a list of entries")
    return value


def _check_launch_ids(launches: Iterable[Launch], where: str) -> None:
    seen: set[str] = set()
    for number, launch in enumerate(launches, start=1):
        if launch.product_id in seen:
            raise _fail(
                f"{where}, launches entry {number}",
                f"product_id '{launch.product_id}' is launched twice",
            )
        seen.add(launch.product_id)


def _scenario(name: object, value: object, source: str) -> Scenario:
    if not isinstance(name, str):
        raise _fail(f"{source}, scenario {_show(name)}", "the name must be text")
    where = f"{source}, scenario '{name}'"
    if name == BASELINE:
        raise _fail(where, "the name is reserved for the plan without changes; pick another")
    if not _NAME.fullmatch(name):
        raise _fail(
            where,
            "the name must be lower_snake_case "
            "(a-z, digits and underscores, starting with a letter)",
        )
    body = _mapping(value, _SCENARIO_KEYS, _SCENARIO_KEYS, where, "the scenario")
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise _fail(where, f"description must be text, got {_show(description)}")
    demand = tuple(
        _demand_change(item, f"{where}, demand entry {number}")
        for number, item in enumerate(_entries(body.get("demand"), where, "demand"), start=1)
    )
    capacity = tuple(
        _capacity_change(item, f"{where}, capacity entry {number}")
        for number, item in enumerate(_entries(body.get("capacity"), where, "capacity"), start=1)
    )
    launches = tuple(
        _launch(item, f"{where}, launches entry {number}")
        for number, item in enumerate(_entries(body.get("launches"), where, "launches"), start=1)
    )
    if not (demand or capacity or launches):
        raise _fail(where, "changes nothing; give at least one demand, capacity or launches entry")
    _check_launch_ids(launches, where)
    return Scenario(name, description.strip(), demand, capacity, launches, source)


def parse_scenarios(text: str, source: str = SOURCE) -> list[Scenario]:
    """The scenarios of the text of ``planning/scenarios.yml``, in file order.

    Parameters
    ----------
    text : str
        The whole file: ``version: 1`` and ``scenarios:``, a mapping of
        scenario name to ``description`` and optional ``demand``,
        ``capacity`` and ``launches`` lists (see the module docstring and
        the comments of the demo file). An empty ``scenarios:`` gives no
        scenario.
    source : str
        The file name used in messages.

    Raises
    ------
    ScenarioError
        When the text is not YAML, repeats a key, has an unknown or missing
        key, a version other than 1, a scenario named ``baseline`` or not in
        lower_snake_case, a scenario without changes, a demand entry with
        both or neither of family and product_id, a month not written
        'YYYY-MM', a range that ends before it starts, a multiplier or a
        launch number that is not a finite number >= 0, or a product
        launched twice in one scenario.

    Examples
    --------
    >>> text = '''
    ... version: 1
    ... scenarios:
    ...   pumps_surge:
    ...     description: Pumps demand up 30% in spring
    ...     demand:
    ...       - {family: Pumps, from_month: '2026-03', to_month: '2026-05', multiplier: 1.3}
    ... '''
    >>> [(s.name, s.demand[0].family, s.demand[0].multiplier) for s in parse_scenarios(text)]
    [('pumps_surge', 'Pumps', 1.3)]
    >>> parse_scenarios(text.replace("'2026-05'", "'2026-01'"))
    Traceback (most recent call last):
    ...
    models.planning.scenarios.ScenarioError: planning/scenarios.yml, scenario 'pumps_surge', demand entry 1: to_month '2026-01' is before from_month '2026-03'
    """  # noqa: E501
    try:
        # As safe as yaml.safe_load: the loader only adds the repeated-key check.
        document = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise _fail(source, f"not valid YAML: {exc}") from exc
    top = _mapping(document, _FILE_KEYS, {"scenarios"}, source, "the file")
    if top["version"] != SUPPORTED_VERSION:
        raise _fail(source, f"version must be {SUPPORTED_VERSION}, got {_show(top['version'])}")
    scenarios = top.get("scenarios") or {}
    if not isinstance(scenarios, dict):
        raise _fail(source, "scenarios must be a mapping of scenario name to its definition")
    return [_scenario(name, body, source) for name, body in scenarios.items()]


def _known(kind: str, values: set[str]) -> str:
    shown = sorted(values)[:10]
    more = ", ..." if len(values) > len(shown) else ""
    return f"known {kind}: {', '.join(shown)}{more}" if shown else f"there are no {kind}"


def _filled(value: object) -> bool:
    """Whether an id field holds an id: frames read back from storage carry NaN for None."""
    return isinstance(value, str) and value != ""


def validate_scenarios(
    scenarios: Iterable[Scenario],
    products: pd.DataFrame,
    resources: Iterable[str] | pd.DataFrame,
) -> None:
    """Check that every family, product and resource a scenario names exists.

    An entry naming something unknown would silently change nothing, and a
    launch reusing a catalog product_id would give one product two rows.

    Parameters
    ----------
    scenarios : iterable of Scenario
        Parsed scenarios.
    products : DataFrame
        The catalog: product_id, family.
    resources : iterable of str, or DataFrame with a resource_id column
        The resources that have capacity (e.g. the capacity frame).

    Raises
    ------
    ScenarioError
        Naming the source, the scenario, the entry and the unknown (or, for a
        launch, already existing) id.

    Examples
    --------
    >>> s = Scenario("r9_down", capacity=(CapacityChange("R9", date(2026, 3, 1),
    ...                                                  date(2026, 3, 1), 0.5),))
    >>> validate_scenarios([s], pd.DataFrame({"product_id": ["P1"], "family": ["Pumps"]}), ["R1"])
    Traceback (most recent call last):
    ...
    models.planning.scenarios.ScenarioError: planning/scenarios.yml, scenario 'r9_down', capacity entry 1: unknown resource_id 'R9'; known resources: R1
    """  # noqa: E501
    if isinstance(resources, pd.DataFrame):
        resources = resources["resource_id"]
    known_resources = {r for r in resources if _filled(r)}
    known_products = {p for p in products["product_id"] if _filled(p)}
    known_families = {f for f in products["family"] if _filled(f)}
    for scenario in scenarios:
        where = f"{scenario.source}, scenario '{scenario.name}'"
        for number, change in enumerate(scenario.demand, start=1):
            entry = f"{where}, demand entry {number}"
            if change.family is not None and change.family not in known_families:
                raise _fail(
                    entry,
                    f"unknown family '{change.family}'; {_known('families', known_families)}",
                )
            if change.product_id is not None and change.product_id not in known_products:
                raise _fail(
                    entry,
                    f"unknown product_id '{change.product_id}'; "
                    f"{_known('products', known_products)}",
                )
        for number, change in enumerate(scenario.capacity, start=1):
            if change.resource_id not in known_resources:
                raise _fail(
                    f"{where}, capacity entry {number}",
                    f"unknown resource_id '{change.resource_id}'; "
                    f"{_known('resources', known_resources)}",
                )
        for number, launch in enumerate(scenario.launches, start=1):
            entry = f"{where}, launches entry {number}"
            if launch.product_id in known_products:
                raise _fail(
                    entry,
                    f"product_id '{launch.product_id}' is already in the catalog; "
                    "a launch needs a new product_id",
                )
            if launch.resource_id not in known_resources:
                raise _fail(
                    entry,
                    f"unknown resource_id '{launch.resource_id}'; "
                    f"{_known('resources', known_resources)}",
                )


def _as_months(values: pd.Series) -> pd.Series:
    """Months as Timestamps, whether the frame holds dates, Timestamps or ISO text."""
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()


def _factors(months: pd.Series, keys: pd.Series, changes: Iterable[tuple]) -> np.ndarray:
    """Per row, the product of the multipliers of the (key, from, to, multiplier) changes on it."""
    factor = np.ones(len(months))
    for key, start, end, multiplier in changes:
        hit = (keys == key) & months.between(pd.Timestamp(start), pd.Timestamp(end))
        factor[hit.to_numpy()] *= multiplier
    return factor


def _append(frame: pd.DataFrame, rows: list[dict[str, object]]) -> pd.DataFrame:
    """`frame` with `rows` added, their target_month in the frame's own month type."""
    if not rows:
        return frame
    extra = pd.DataFrame(rows)
    if "target_month" in extra and pd.api.types.is_datetime64_any_dtype(frame["target_month"]):
        extra["target_month"] = pd.to_datetime(extra["target_month"]).astype(
            frame["target_month"].dtype
        )
    return pd.concat([frame, extra], ignore_index=True)


def apply_scenario(inputs: PlanInputs, scenario: Scenario) -> PlanInputs:
    """The plan inputs with the scenario's changes applied; `inputs` is left as it was.

    Demand multipliers scale ``demand.demand_qty`` of the rows whose product
    (or product's family) and target month they cover; capacity multipliers
    scale ``capacity.available_hours``. Several entries on one cell multiply.
    A launch adds its product to ``products``, a demand row of
    ``monthly_qty`` for every plan month from its ``from_month`` on, a safety
    stock of 0 for every plan month and an opening stock of 0.

    Parameters
    ----------
    inputs : PlanInputs
        The baseline inputs of ``models.planning.supply_plan``. Any frozen
        dataclass with the same fields works: the result is built with
        `dataclasses.replace`, so other fields are carried over as they are.
    scenario : Scenario
        The changes; checked with :func:`validate_scenarios` against the
        inputs' products and resources (those of ``capacity`` and of
        ``products``) first.

    Returns
    -------
    PlanInputs
        A new object of the same type with new frames.

    Raises
    ------
    ScenarioError
        When the scenario names an unknown family, product or resource, or
        launches a product_id the catalog has.
    """
    products = inputs.products
    resources = set(inputs.capacity["resource_id"]) | set(products["resource_id"])
    validate_scenarios([scenario], products, resources)

    demand = inputs.demand.copy()
    months = _as_months(demand["target_month"])
    family = demand["product_id"].map(products.set_index("product_id")["family"])
    by_family = [(c.family, c.from_month, c.to_month, c.multiplier) for c in scenario.demand]
    by_product = [(c.product_id, c.from_month, c.to_month, c.multiplier) for c in scenario.demand]
    factor = _factors(months, family, [c for c in by_family if c[0] is not None])
    factor *= _factors(months, demand["product_id"], [c for c in by_product if c[0] is not None])
    demand["demand_qty"] = demand["demand_qty"] * factor

    capacity = inputs.capacity.copy()
    capacity["available_hours"] = capacity["available_hours"] * _factors(
        _as_months(capacity["target_month"]),
        capacity["resource_id"],
        [(c.resource_id, c.from_month, c.to_month, c.multiplier) for c in scenario.capacity],
    )

    new_products, new_demand, new_stock, new_opening = [], [], [], []
    for launch in scenario.launches:
        new_products.append(
            {
                "product_id": launch.product_id,
                "family": launch.family,
                "unit_price": launch.unit_price,
                "unit_cost": launch.unit_cost,
                "resource_id": launch.resource_id,
                "hours_per_unit": launch.hours_per_unit,
                "lead_time_days": launch.lead_time_days,
            }
        )
        for month in inputs.months:
            if month >= launch.from_month:
                new_demand.append(
                    {
                        "product_id": launch.product_id,
                        "target_month": month,
                        "demand_qty": launch.monthly_qty,
                    }
                )
            new_stock.append(
                {"product_id": launch.product_id, "target_month": month, "safety_stock_qty": 0.0}
            )
        new_opening.append({"product_id": launch.product_id, "opening_qty": 0.0})

    return dataclasses.replace(
        inputs,
        products=_append(products.copy(), new_products),
        demand=_append(demand, new_demand),
        capacity=capacity,
        safety_stock=_append(inputs.safety_stock.copy(), new_stock),
        opening=_append(inputs.opening.copy(), new_opening),
    )


def _adhoc_range(text: str) -> tuple[str, str]:
    start, separator, end = text.partition("..")
    return (start.strip(), end.strip()) if separator else (text.strip(), text.strip())


def _adhoc_change(kind: str, rest: str, where: str) -> dict[str, object]:
    parts = rest.rsplit(":", 2)
    if len(parts) != 3:
        raise _fail(where, f"expected one of {_ADHOC_FORMS}")
    selector, months, multiplier = parts
    field, equals, value = selector.partition("=")
    fields = _ADHOC_SELECTORS[kind]
    if not equals or field.strip() not in fields:
        expected = " or ".join(f"{name}=" for name in fields)
        raise _fail(where, f"{kind} needs {expected} before the months, got '{selector}'")
    start, end = _adhoc_range(months)
    try:
        number: object = float(multiplier)
    except ValueError:
        number = multiplier
    return {
        fields[field.strip()]: value.strip(),
        "from_month": start,
        "to_month": end,
        "multiplier": number,
    }


def _adhoc_launch(rest: str, where: str) -> dict[str, object]:
    item: dict[str, object] = {}
    for pair in rest.split(","):
        field, equals, value = pair.partition("=")
        field = field.strip()
        if not equals or field not in _ADHOC_LAUNCH_KEYS:
            raise _fail(
                where,
                f"launch fields are {', '.join(_ADHOC_LAUNCH_KEYS)} as name=value, got '{pair}'",
            )
        key = _ADHOC_LAUNCH_KEYS[field]
        if key in item:
            raise _fail(where, f"launch field {field} is given twice")
        value = value.strip()
        if key in {"hours_per_unit", "unit_price", "unit_cost", "monthly_qty"}:
            try:
                item[key] = float(value)
            except ValueError:
                item[key] = value
        elif key == "lead_time_days" and value.isdigit():
            item[key] = int(value)
        else:
            item[key] = value
    missing = [
        name
        for name, key in _ADHOC_LAUNCH_KEYS.items()
        if key not in item and key not in _LAUNCH_OPTIONAL
    ]
    if missing:
        raise _fail(where, f"launch is missing {', '.join(missing)}")
    return item


def parse_adhoc_scenario(args: list[str]) -> Scenario:
    """A scenario named ``adhoc`` from command-line changes, for a quick what-if.

    Each argument is one change:

    * ``demand:family=Pumps:2026-03..2026-08:1.3`` or
      ``demand:product=P001:2026-03..2026-03:0.5`` (a single month may be
      written alone: ``demand:product=P001:2026-03:0.5``);
    * ``capacity:resource=R1:2026-04..2026-05:0.6``;
    * ``launch:product=NEW1,family=Pumps,resource=R1,hours=0.5,price=100,cost=60,``
      ``from=2026-05,qty=40`` (one argument, no space) with an optional ``lead=<days>``.

    The values are checked by the same rules as the YAML file; entry numbers
    in later messages (:func:`validate_scenarios`) count within each kind.

    Raises
    ------
    ScenarioError
        When no argument is given or one is malformed; the message quotes
        the argument and its position (from 1).

    Examples
    --------
    >>> s = parse_adhoc_scenario(["capacity:resource=R1:2026-04..2026-05:0.6"])
    >>> s.name, s.capacity[0].resource_id, s.capacity[0].to_month, s.capacity[0].multiplier
    ('adhoc', 'R1', datetime.date(2026, 5, 1), 0.6)
    """
    if not args:
        raise _fail(ADHOC_SOURCE, f"give at least one change: {_ADHOC_FORMS}")
    demand: list[DemandChange] = []
    capacity: list[CapacityChange] = []
    launches: list[Launch] = []
    for position, arg in enumerate(args, start=1):
        where = f"{ADHOC_SOURCE}, argument {position} '{arg}'"
        kind, colon, rest = arg.partition(":")
        kind = kind.strip().lower()
        if not colon or kind not in {"demand", "capacity", "launch"}:
            raise _fail(where, f"expected one of {_ADHOC_FORMS}")
        if kind == "demand":
            demand.append(_demand_change(_adhoc_change(kind, rest, where), where))
        elif kind == "capacity":
            capacity.append(_capacity_change(_adhoc_change(kind, rest, where), where))
        else:
            launches.append(_launch(_adhoc_launch(rest, where), where))
    _check_launch_ids(launches, f"{ADHOC_SOURCE}, scenario '{ADHOC}'")
    return Scenario(
        ADHOC, " ".join(args), tuple(demand), tuple(capacity), tuple(launches), ADHOC_SOURCE
    )


def _family_totals(plan: pd.DataFrame) -> pd.DataFrame:
    """Horizon sums by family and an ALL row; closing stock is that of the plan's last month."""
    months = _as_months(plan["target_month"])
    last = plan[months == months.max()]
    sums = plan.groupby("family")[
        ["demand_qty", "fulfilled_qty", "shortage_qty", "revenue_at_risk"]
    ]
    totals = sums.sum().join(
        last.groupby("family")["closing_qty"].sum().rename("closing_qty_last_month")
    )
    totals = totals.fillna({"closing_qty_last_month": 0.0})
    totals.loc[ALL_FAMILIES] = totals.sum()
    totals["fill_rate"] = totals["fulfilled_qty"] / totals["demand_qty"].where(
        totals["demand_qty"] != 0
    )
    return totals


def compare_to_baseline(baseline_plan: pd.DataFrame, scenario_plan: pd.DataFrame) -> pd.DataFrame:
    """Family totals of a scenario's supply plan next to the baseline's, with the difference.

    Parameters
    ----------
    baseline_plan, scenario_plan : DataFrame
        Supply plans (``fct_supply_plan`` rows of one run): family,
        target_month, demand_qty, fulfilled_qty, shortage_qty,
        revenue_at_risk, closing_qty.

    Returns
    -------
    DataFrame
        Columns family, metric, baseline, scenario, delta (scenario -
        baseline); one row per family and metric, families in name order
        and then ``ALL`` (every family), metrics in the order of
        ``COMPARISON_METRICS``: demand_qty, fulfilled_qty, shortage_qty and
        revenue_at_risk are sums over the horizon; fill_rate is
        fulfilled / demand (NaN without demand; the delta is in fractions,
        0.05 = 5 points); closing_qty_last_month is the stock at the end of
        each plan's last month. A family in one plan only (a launch's new
        family) counts as 0 in the other.

    Examples
    --------
    >>> base = pd.DataFrame({"family": ["Pumps"], "target_month": ["2026-03-01"],
    ...     "demand_qty": [100.0], "fulfilled_qty": [100.0], "shortage_qty": [0.0],
    ...     "revenue_at_risk": [0.0], "closing_qty": [20.0]})
    >>> surge = base.assign(demand_qty=130.0, fulfilled_qty=120.0, shortage_qty=10.0,
    ...                     revenue_at_risk=500.0, closing_qty=0.0)
    >>> compare_to_baseline(base, surge).query("family == 'ALL'")[["metric", "delta"]].round(3)
                        metric    delta
    6               demand_qty   30.000
    7            fulfilled_qty   20.000
    8             shortage_qty   10.000
    9                fill_rate   -0.077
    10         revenue_at_risk  500.000
    11  closing_qty_last_month  -20.000
    """
    base = _family_totals(baseline_plan)
    scenario = _family_totals(scenario_plan)
    families = sorted((set(base.index) | set(scenario.index)) - {ALL_FAMILIES})
    order = [*families, ALL_FAMILIES]
    sums = [m for m in COMPARISON_METRICS if m != "fill_rate"]
    base = base.reindex(order).fillna(dict.fromkeys(sums, 0.0))
    scenario = scenario.reindex(order).fillna(dict.fromkeys(sums, 0.0))
    rows = [
        {
            "family": family,
            "metric": metric,
            "baseline": float(base.at[family, metric]),
            "scenario": float(scenario.at[family, metric]),
        }
        for family in order
        for metric in COMPARISON_METRICS
    ]
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS[:-1])
    frame["delta"] = frame["scenario"] - frame["baseline"]
    return frame


def _display(metric: str, value: float, delta: bool) -> str:
    if math.isnan(value):
        return "-"
    # Rounded before formatting, + 0.0: a change that rounds to nothing shows as +0, not -0.
    if metric == "fill_rate":
        points = round(value * 100, 1) + 0.0
        return f"{points:+.1f} pts" if delta else f"{points:.1f}%"
    value = round(value) + 0.0
    return f"{value:+,.0f}" if delta else f"{value:,.0f}"


def format_comparison(frame: pd.DataFrame) -> str:
    """The output of :func:`compare_to_baseline` as a text table for the terminal.

    Quantities and money are rounded to whole numbers with thousands
    separators, fill rates shown in percent and their deltas in points;
    missing values (a fill rate without demand) show as ``-``.

    Examples
    --------
    >>> frame = pd.DataFrame({"family": ["ALL", "ALL"], "metric": ["demand_qty", "fill_rate"],
    ...                       "baseline": [1200.0, 0.95], "scenario": [1500.0, 0.9],
    ...                       "delta": [300.0, -0.05]})
    >>> print(format_comparison(frame))
    family     metric baseline scenario    delta
       ALL demand_qty    1,200    1,500     +300
       ALL  fill_rate    95.0%    90.0% -5.0 pts
    """
    shown = frame[["family", "metric"]].copy()
    for column in ("baseline", "scenario", "delta"):
        shown[column] = [
            _display(metric, float(value), column == "delta")
            for metric, value in zip(frame["metric"], frame[column], strict=True)
        ]
    return shown.to_string(index=False)


__all__ = [
    "ADHOC",
    "BASELINE",
    "COMPARISON_COLUMNS",
    "COMPARISON_METRICS",
    "CapacityChange",
    "DemandChange",
    "Launch",
    "Scenario",
    "ScenarioError",
    "apply_scenario",
    "compare_to_baseline",
    "format_comparison",
    "parse_adhoc_scenario",
    "parse_scenarios",
    "validate_scenarios",
]
