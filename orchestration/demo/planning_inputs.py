"""The optional human inputs of `planning/`: overrides, scenarios, action items, comp plan.

These are what planners and sales ops would type in, so they are few and
named after things in the demo data (its biggest family, its busiest
resource, a real account for a tender). The YAML files carry comments that
document their structure, because people edit them by hand.

overrides.csv: one row per adjustment, with either product_id or family
filled (never both), month as the first day of a month within the next 18
months, adjustment_type `pct` (value in percent: 15 means +15%, -30 means
-30%) or `units` (value added to the month's quantity), a reason and who
submitted it.

action_items.csv: the follow-ups of the last S&OP meetings (the columns
`orchestration.meeting_pack.action_items.read_action_items` reads), a few of
them overdue at the as-of month's end, some due after it and one done.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import date

import numpy as np

from orchestration.demo.catalog import Catalog
from orchestration.demo.names import PLANNERS
from orchestration.demo.org import ROLE_AE, ROLE_MGR, Org
from orchestration.demo.timeline import Timeline, next_weekday
from orchestration.landing_contract import Column, LandingFile

OVERRIDES = LandingFile(
    "planning",
    "overrides",
    (
        Column("product_id", nullable=True),
        Column("family", nullable=True),
        Column("month", "DATE"),
        Column("adjustment_type"),
        Column("value", "DOUBLE"),
        Column("reason"),
        Column("submitted_by"),
    ),
    key=("product_id", "family", "month"),
)

#: planning/action_items.csv, in the column order of the meeting pack's reader.
ACTION_ITEMS = LandingFile(
    "planning",
    "action_items",
    (
        Column("action_id"),
        Column("title"),
        Column("owner"),
        Column("due_date", "DATE"),
        Column("status"),
        Column("notes", nullable=True),
    ),
    key=("action_id",),
)


def _future_demand(tl: Timeline, catalog: Catalog) -> np.ndarray:
    """Mean units per product and month over the 12 months after the as-of month."""
    nxt = tl.n_hist
    return catalog.mean_demand[:, :, nxt : nxt + 12].sum(axis=1)


def _active(tl: Timeline, catalog: Catalog) -> np.ndarray:
    """Products on sale at the as-of month and for at least six more months."""
    return (catalog.end_month > tl.n_hist + 6) & (catalog.launch_month < tl.n_hist)


def _fading_product(tl: Timeline, catalog: Catalog) -> int:
    """The product whose customers move to a successor: the first to reach end of life
    within the next 18 months, else the active product with the least demand."""
    nxt = tl.n_hist
    ending = np.flatnonzero((catalog.end_month > nxt + 2) & (catalog.end_month < nxt + 18))
    if ending.size:
        return int(ending[0])
    future = _future_demand(tl, catalog)
    return int(np.argmin(np.where(_active(tl, catalog), future[:, 0], np.inf)))


def _busiest_resource(tl: Timeline, catalog: Catalog) -> int:
    """The resource with the most planned hours in the next 12 months."""
    hours = np.zeros((catalog.resource_ids.size, 12))
    np.add.at(hours, catalog.resource, _future_demand(tl, catalog) * catalog.hours[:, None])
    return int(np.argmax(hours.sum(axis=1)))


def _managers(tl: Timeline, org: Org) -> np.ndarray:
    """Names of the sales managers who lead a team (still employed at the as-of date if any)."""
    leads = (org.rep_role == ROLE_MGR) & (org.rep_team >= 0)
    current = leads & (org.rep_end > tl.as_of_day)
    return org.reps["rep_name"][current if current.any() else leads]


@dataclass(frozen=True)
class DemoLaunch:
    """The new product of the launch scenario: a successor in the fading product's family.

    Its numbers are the medians of the family's products on sale (price with a
    5% premium for the new model, rounded like catalog prices), its resource
    the one most of the family is made on, and its monthly quantity about the
    median product's demand over the next 12 months. `month` is a grid month,
    nxt + 3 with nxt the month after the as-of month (the surge scenario's
    start, counted the same way); `predecessor` the catalog row it succeeds.
    """

    product_id: str
    family: str
    resource_id: str
    hours_per_unit: float
    unit_price: float
    unit_cost: float
    lead_time_days: int
    month: int
    monthly_qty: int
    predecessor: int


def _round_qty(qty: float) -> int:
    """Whole units, to two significant digits from 10 on (a planner's round number)."""
    if qty < 10:
        return max(1, round(qty))
    step = 10 ** (int(np.floor(np.log10(qty))) - 1)
    return int(round(qty / step) * step)


def successor_launch(tl: Timeline, catalog: Catalog) -> DemoLaunch:
    """The launch of `scenarios.yml`, derived from the catalog alone (no randomness)."""
    old = _fading_product(tl, catalog)
    fam = int(catalog.family[old])
    members = catalog.family == fam
    on_sale = members & catalog.sellable(tl.n_hist)
    peers = np.flatnonzero(on_sale if on_sale.any() else members)

    price = 1.05 * float(np.median(catalog.price[peers]))
    step = 5.0 * 10.0 ** (np.floor(np.log10(price)) - 2)
    price = round(float(np.ceil(price / step) * step), 2)
    cost_share = (
        np.asarray(catalog.table["unit_cost"], dtype=np.float64)[peers] / catalog.price[peers]
    )
    resource = int(np.argmax(np.bincount(catalog.resource[peers])))
    # Catalog ids are the prefix and digits only (SKU-10001), so a letter cannot collide.
    prefix = str(catalog.table["product_id"][0]).rsplit("-", 1)[0]
    return DemoLaunch(
        product_id=f"{prefix}-NEW1",
        family=catalog.families[fam],
        resource_id=str(catalog.resource_ids[resource]),
        hours_per_unit=round(float(np.median(catalog.hours[peers])), 3),
        unit_price=price,
        unit_cost=round(price * float(np.median(cost_share)), 2),
        lead_time_days=round(float(np.median(catalog.lead_time[peers]))),
        month=tl.n_hist + 3,
        monthly_qty=_round_qty(float(np.median(_future_demand(tl, catalog)[peers].mean(axis=1)))),
        predecessor=old,
    )


def build_overrides(
    rng: np.random.Generator, tl: Timeline, org: Org, catalog: Catalog
) -> dict[str, np.ndarray]:
    """A handful of plausible consensus adjustments in the months after the as-of month."""
    nxt = tl.n_hist
    future = _future_demand(tl, catalog)  # [product, month]
    value = future.sum(axis=1) * catalog.price
    fam_value = np.bincount(catalog.family, value, minlength=len(catalog.families))
    fam_order = np.argsort(-fam_value, kind="stable")
    active = _active(tl, catalog)
    managers = org.reps["rep_name"][(org.rep_role == ROLE_MGR) & (org.rep_team >= 0)]
    aes = org.reps["rep_name"][(org.rep_role == ROLE_AE) & (org.rep_end > tl.as_of_day)]
    big_accounts = org.accounts["account_name"][org.acct_segment == 2]
    if big_accounts.size == 0:
        big_accounts = org.accounts["account_name"]

    rows: list[tuple[str, str, int, str, float, str, str]] = []

    def add(
        product: str, family: str, month: int, kind: str, val: float, reason: str, who: str
    ) -> None:
        rows.append((product, family, int(tl.month_start[month]), kind, float(val), reason, who))

    top_family = catalog.families[fam_order[0]]
    manager = str(managers[rng.integers(0, managers.size)])
    for k in (2, 3, 4):
        add("", top_family, nxt + k, "pct", 15, "Promotion campaign agreed with marketing", manager)

    top = int(np.argmax(np.where(active, future[:, 0], -1)))
    lot = 10.0 ** np.floor(np.log10(max(future[top, 0], 1.0)))
    units = max(lot, np.round(0.6 * future[top, 0] / lot) * lot)
    account = str(big_accounts[rng.integers(0, big_accounts.size)])
    add(
        str(catalog.table["product_id"][top]),
        "",
        nxt + 1,
        "units",
        units,
        f"Tender won at {account}",
        str(aes[rng.integers(0, aes.size)]),
    )

    fading = _fading_product(tl, catalog)
    for k in (1, 2):
        add(
            str(catalog.table["product_id"][fading]),
            "",
            nxt + k,
            "pct",
            -30,
            "Customers moving to the successor model ahead of end of life",
            PLANNERS[0],
        )

    launched = np.flatnonzero((catalog.launch_month >= nxt - 12) & (catalog.launch_month < nxt))
    if launched.size:
        new = int(launched[-1])
        stock = max(10.0, np.round(future[new, 2] * 1.5 / 10) * 10)
        add(
            str(catalog.table["product_id"][new]),
            "",
            nxt + 3,
            "units",
            stock,
            "Distributor stocking order for the launch",
            manager,
        )

    second = catalog.families[fam_order[1 % fam_order.size]]
    add(
        "",
        second,
        nxt + 6,
        "pct",
        8,
        "Pull-forward before the announced price increase",
        PLANNERS[1],
    )
    add("", second, nxt + 7, "pct", -8, "Dip after the price increase takes effect", PLANNERS[1])

    cols = list(zip(*rows, strict=True))
    text = np.dtypes.StringDType()
    return {
        "product_id": np.asarray(cols[0], dtype=text),
        "family": np.asarray(cols[1], dtype=text),
        "month": np.asarray(cols[2], dtype=np.int64),
        "adjustment_type": np.asarray(cols[3], dtype=text),
        "value": np.asarray(cols[4], dtype=np.float64),
        "reason": np.asarray(cols[5], dtype=text),
        "submitted_by": np.asarray(cols[6], dtype=text),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _ym(d: date) -> str:
    return f"'{d:%Y-%m}'"


def scenarios_yaml(rng: np.random.Generator, tl: Timeline, catalog: Catalog) -> str:
    """planning/scenarios.yml: a demand surge, a breakdown, growth with a second shift, and
    the launch of a successor model (`successor_launch`)."""
    nxt = tl.n_hist
    busiest = _busiest_resource(tl, catalog)
    on_busiest = np.bincount(
        catalog.family[catalog.resource == busiest], minlength=len(catalog.families)
    )
    surge_family = catalog.families[int(np.argmax(on_busiest))]
    other = [catalog.families[f] for f in np.flatnonzero(on_busiest)][:2]
    other_res = int(
        (busiest + 1 + rng.integers(0, max(catalog.resource_ids.size - 1, 1)))
        % catalog.resource_ids.size
    )
    res = str(catalog.resource_ids[busiest])
    res2 = str(catalog.resource_ids[other_res])
    m = tl.month_date
    launch = successor_launch(tl, catalog)
    pred = launch.predecessor
    launch_description = textwrap.fill(
        f"{launch.product_id}, the successor to {catalog.table['product_name'][pred]} "
        f"({catalog.table['product_id'][pred]}), launches in {m(launch.month):%B %Y} at "
        f"{launch.monthly_qty:,} units a month; can {launch.resource_id} make it next to "
        f"the rest of {launch.family}?",
        width=84,
        initial_indent=" " * 6,
        subsequent_indent=" " * 6,
    )

    growth_demand = "\n".join(
        f"      - family: {f}\n"
        f"        from_month: {_ym(m(nxt + 4))}\n"
        f"        to_month: {_ym(m(nxt + 17))}\n"
        "        multiplier: 1.1"
        for f in other
    )
    return f"""\
# What-if scenarios for the supply plan (SPEC.md section 1, planning/scenarios.yml).
#
# The baseline plan, with demand and capacity as they are, always runs and is
# named `baseline` (a reserved name). Every scenario below is planned next to it.
#
# Structure:
#   version: 1
#   scenarios:                     # mapping: scenario name -> definition
#     <name>:                      # lower_snake_case, unique, not `baseline`
#       description: <text>
#       demand:                    # optional list of demand multipliers
#         - family: <family>       # exactly one of `family` or `product_id`
#           from_month: 'YYYY-MM'  # first month, inclusive
#           to_month: 'YYYY-MM'    # last month, inclusive
#           multiplier: <number>   # 1.3 = 30% more demand in those months
#       capacity:                  # optional list of capacity multipliers
#         - resource_id: <resource>
#           from_month: 'YYYY-MM'
#           to_month: 'YYYY-MM'
#           multiplier: <number>   # 0.6 = 40% fewer available hours
#       launches:                  # optional list of products new to the catalog
#         - product_id: <new id>   # must not be in products.csv yet
#           family: <family>       # an existing family, or a new product line
#           resource_id: <resource>  # must exist: its hours make the product
#           hours_per_unit: <number>
#           unit_price: <number>
#           unit_cost: <number>
#           lead_time_days: <days> # optional, 0 when left out
#           from_month: 'YYYY-MM'  # first month with demand
#           monthly_qty: <units>   # demand of every month from from_month on
#
# A scenario needs at least one demand, capacity or launches entry. Entries
# that touch the same family (or product, or resource) in the same month
# multiply; a launch's monthly_qty is its own and is not scaled by them.
# Months are quoted so that YAML keeps them as text.
version: 1
scenarios:
  {_slug(surge_family)}_surge:
    description: >-
      A large infrastructure programme lifts {surge_family} demand by 30% for
      six months; does {res} keep up?
    demand:
      - family: {surge_family}
        from_month: {_ym(m(nxt + 3))}
        to_month: {_ym(m(nxt + 8))}
        multiplier: 1.3
  {_slug(res)}_breakdown:
    description: >-
      An unplanned overhaul takes 80% of {res}'s hours for four months; what
      is short, and what is the revenue at risk?
    capacity:
      - resource_id: {res}
        from_month: {_ym(m(nxt + 4))}
        to_month: {_ym(m(nxt + 7))}
        multiplier: 0.2
  growth_with_second_shift:
    description: >-
      Demand of {" and ".join(other)} grows 10% from {m(nxt + 4):%B %Y}; a second
      shift adds 25% to {res} from the same month, while {res2} loses 10% to a
      hiring freeze.
    demand:
{growth_demand}
    capacity:
      - resource_id: {res}
        from_month: {_ym(m(nxt + 4))}
        to_month: {_ym(m(nxt + 17))}
        multiplier: 1.25
      - resource_id: {res2}
        from_month: {_ym(m(nxt + 4))}
        to_month: {_ym(m(nxt + 17))}
        multiplier: 0.9
  {_slug(launch.family)}_successor_launch:
    description: >-
{launch_description}
    launches:
      - product_id: {launch.product_id}
        family: {launch.family}
        resource_id: {launch.resource_id}
        hours_per_unit: {launch.hours_per_unit:.3f}
        unit_price: {launch.unit_price:.2f}
        unit_cost: {launch.unit_cost:.2f}
        lead_time_days: {launch.lead_time_days}
        from_month: {_ym(m(launch.month))}
        monthly_qty: {launch.monthly_qty}
"""


def _day(tl: Timeline, offset: int) -> int:
    """Day number `offset` days after the as-of month's last day, moved off a weekend."""
    return int(next_weekday(np.asarray(tl.as_of_day + offset)))


def build_action_items(
    rng: np.random.Generator,
    tl: Timeline,
    org: Org,
    catalog: Catalog,
    overrides: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The follow-ups of the last S&OP meetings, about this demo's scenarios and overrides.

    Against the as-of month's last day (the day the meeting pack flags overdue
    items against) two items are overdue (one open, one in progress), three
    are due later and one is done. Owners are the planners and the sales
    managers (the one who submitted the promotion override owns its review).
    """
    nxt = tl.n_hist
    m = tl.month_date
    future = _future_demand(tl, catalog)
    res = str(catalog.resource_ids[_busiest_resource(tl, catalog)])
    launch = successor_launch(tl, catalog)
    fading = _fading_product(tl, catalog)
    ids = catalog.table["product_id"]

    managers = _managers(tl, org)
    promo = np.flatnonzero(
        (overrides["family"] != "")
        & (overrides["adjustment_type"] == "pct")
        & (overrides["value"] > 0)
    )[0]
    promo_family = str(overrides["family"][promo])
    promo_months = tl.month_of_day(overrides["month"][overrides["family"] == promo_family])
    promo_owner = str(overrides["submitted_by"][promo])
    if promo_owner not in managers:
        promo_owner = str(managers[rng.integers(0, managers.size)])
    others = managers[managers != promo_owner]
    others = others if others.size else managers
    launch_owner = str(others[rng.integers(0, others.size)])

    # The purchased product with the most demand ahead, else the top product made in-house.
    sellable = catalog.sellable(nxt)
    bought = sellable & catalog.buy
    pool = bought if bought.any() else sellable
    expedite = int(np.argmax(np.where(pool, future[:, :3].sum(axis=1), -1.0)))
    order = "PO" if catalog.buy[expedite] else "production order"

    rows = [
        (
            f"Review promotion uplift for {promo_family} with marketing",
            promo_owner,
            _day(tl, -12),
            "open",
            f"The {overrides['value'][promo]:+g}% override for {m(int(promo_months.min())):%b}-"
            f"{m(int(promo_months.max())):%b %Y} still waits for marketing's sell-in plan.",
        ),
        (
            f"Expedite {order} for {ids[expedite]}",
            PLANNERS[2],
            _day(tl, -4),
            "in progress",
            f"{catalog.table['product_name'][expedite]}: about "
            f"{_round_qty(float(future[expedite, :3].sum())):,} units due over the next three "
            "months; supplier confirmed a partial delivery only.",
        ),
        (
            f"Confirm end-of-life date of {ids[fading]} with product management",
            PLANNERS[1],
            _day(tl, -26),
            "done",
            "Date confirmed; the overrides for it cover customers moving to the successor.",
        ),
        (
            f"Confirm second shift on {res} from {m(nxt + 4):%B %Y}",
            PLANNERS[0],
            _day(tl, 10),
            "open",
            "Scenario growth_with_second_shift assumes 25% more hours; HR to confirm hiring.",
        ),
        (
            f"Line up overtime or subcontracting in case {res} breaks down",
            PLANNERS[1],
            _day(tl, 24),
            "open",
            f"See scenario {_slug(res)}_breakdown: 80% of the hours lost for four months.",
        ),
        (
            f"Confirm launch date and ramp-up of {launch.product_id} ({launch.family})",
            launch_owner,
            _day(tl, 38),
            "in progress",
            f"Scenario {_slug(launch.family)}_successor_launch plans {launch.monthly_qty:,} "
            f"units a month on {launch.resource_id} from {m(launch.month):%B %Y}.",
        ),
    ]
    cols = list(zip(*rows, strict=True))
    text = np.dtypes.StringDType()
    return {
        "action_id": np.asarray([f"A-{k:02d}" for k in range(1, len(rows) + 1)], dtype=text),
        "title": np.asarray(cols[0], dtype=text),
        "owner": np.asarray(cols[1], dtype=text),
        "due_date": np.asarray(cols[2], dtype=np.int64),
        "status": np.asarray(cols[3], dtype=text),
        "notes": np.asarray(cols[4], dtype=text),
    }


COMP_PLAN_YAML = """\
# Commission plan (SPEC.md section 1, planning/comp_plan.yml), read for fct_commissions.
#
# Commission is computed per rep and month from that month's bookings and
# attainment (bookings / quota_amount, SPEC.md section 2):
#   * tiers: bookings are paid in slices, like income-tax brackets. The slice
#     of bookings between from_attainment x quota and to_attainment x quota is
#     paid at the tier's rate. Tiers are ordered, contiguous, non-overlapping,
#     start at 0 and the last one is open-ended (to_attainment: null).
#   * accelerator: the rate of every slice above from_attainment x quota is
#     multiplied by multiplier (over-performance pays more).
#   * cap: bookings above max_attainment x quota earn no commission.
#   * base_rate: the on-target rate, also paid flat on all bookings of a month
#     without a quota (zero or missing quota: attainment is undefined).
#
# Example, quota 100,000 and bookings 130,000:
#   50,000 x 0.02 + 50,000 x 0.05 + 30,000 x 0.05 x 1.5 = 5,750.
version: 1
base_rate: 0.05
tiers:
  - from_attainment: 0.0
    to_attainment: 0.5
    rate: 0.02
  - from_attainment: 0.5
    to_attainment: 1.0
    rate: 0.05
  - from_attainment: 1.0
    to_attainment: 1.5
    rate: 0.05
  - from_attainment: 1.5
    to_attainment: null
    rate: 0.06
accelerator:
  from_attainment: 1.0
  multiplier: 1.5
cap:
  max_attainment: 2.5
"""

__all__ = [
    "ACTION_ITEMS",
    "COMP_PLAN_YAML",
    "OVERRIDES",
    "DemoLaunch",
    "build_action_items",
    "build_overrides",
    "scenarios_yaml",
    "successor_launch",
]
