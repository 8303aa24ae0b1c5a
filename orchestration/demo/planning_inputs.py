"""The optional human inputs of `planning/`: overrides, scenarios and the comp plan.

These are what planners and sales ops would type in, so they are few and
named after things in the demo data (its biggest family, its busiest
resource, a real account for a tender). The YAML files carry comments that
document their structure, because people edit them by hand.

overrides.csv: one row per adjustment, with either product_id or family
filled (never both), month as the first day of a month within the next 18
months, adjustment_type `pct` (value in percent: 15 means +15%, -30 means
-30%) or `units` (value added to the month's quantity), a reason and who
submitted it.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np

from orchestration.demo.catalog import Catalog
from orchestration.demo.names import PLANNERS
from orchestration.demo.org import ROLE_AE, ROLE_MGR, Org
from orchestration.demo.timeline import Timeline
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


def build_overrides(
    rng: np.random.Generator, tl: Timeline, org: Org, catalog: Catalog
) -> dict[str, np.ndarray]:
    """A handful of plausible consensus adjustments in the months after the as-of month."""
    nxt = tl.n_hist
    future = catalog.mean_demand[:, :, nxt : nxt + 12].sum(axis=1)  # [product, month]
    value = future.sum(axis=1) * catalog.price
    fam_value = np.bincount(catalog.family, value, minlength=len(catalog.families))
    fam_order = np.argsort(-fam_value, kind="stable")
    active = (catalog.end_month > nxt + 6) & (catalog.launch_month < nxt)
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

    ending = np.flatnonzero((catalog.end_month > nxt + 2) & (catalog.end_month < nxt + 18))
    fading = (
        int(ending[0]) if ending.size else int(np.argmin(np.where(active, future[:, 0], np.inf)))
    )
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
    """planning/scenarios.yml: a demand surge, a breakdown, and growth with a second shift."""
    nxt = tl.n_hist
    hours = np.zeros((catalog.resource_ids.size, 12))
    np.add.at(
        hours,
        catalog.resource,
        catalog.mean_demand[:, :, nxt : nxt + 12].sum(axis=1) * catalog.hours[:, None],
    )
    busiest = int(np.argmax(hours.sum(axis=1)))
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
#
# Entries that touch the same family (or product, or resource) in the same
# month multiply. Months are quoted so that YAML keeps them as text.
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
      An unplanned overhaul takes 40% of {res}'s hours for two months.
    capacity:
      - resource_id: {res}
        from_month: {_ym(m(nxt + 4))}
        to_month: {_ym(m(nxt + 5))}
        multiplier: 0.6
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
"""


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

__all__ = ["COMP_PLAN_YAML", "OVERRIDES", "build_overrides", "scenarios_yaml"]
