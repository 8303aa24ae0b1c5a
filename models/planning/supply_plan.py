"""The capacity-constrained supply plan, solved as a linear program with HiGHS.

Given the consensus demand, the opening stock, the confirmed open supply, the
hours each production resource has and a safety stock per product, the plan
decides how much of each product to produce in each month. It is the source
of ``fct_supply_plan`` and ``fct_capacity_utilization`` (SPEC.md section 3),
whose numbers follow SPEC.md section 2, "Inventory projection", "Capacity"
and "Revenue at risk".

The linear program
------------------
Per product ``p`` and month ``t`` there are four variables: production
``x >= 0``, fulfilled demand ``0 <= f <= demand``, closing stock ``I >= 0``
and safety-stock shortfall ``s >= 0``, tied by::

    I[p,t] = I[p,t-1] + receipts[p,t] + x[p,t] - f[p,t]        I[p,0-1] = opening[p]
    I[p,t] + s[p,t] >= safety_stock[p,t]
    sum over p on resource r of hours_per_unit[p] * x[p,t] <= available_hours[r,t]

It is always feasible (``x = 0``, ``f = 0``, ``s = safety_stock``), so a
solver failure is a real error and is raised, never papered over.

The objective is lexicographic: three stages, each solved with the optimum of
the previous ones kept as a constraint, relaxed by a relative
``stage_tolerance`` so that rounding cannot make the next stage infeasible:

1. **Serve demand**: minimize ``sum (demand - f) * w[p]`` with the margin
   weight ``w = max(unit_price - unit_cost, 0.01 * unit_price, 1e-6)``. When
   products compete for a resource the LP gives the hours to the product that
   earns the most margin per hour. The floors keep a zero- or negative-margin
   product wanted (a product sold at a loss is still an order to ship), with
   the least priority. Of two months of one product the earlier is served
   first (a 1e-5 relative bonus per month, far below any margin difference
   that matters): SPEC's projection serves months in order, so the LP must
   plan with the same rule for its later stages to optimize the stock the
   published rows will show; and a shortage is better placed in a far month,
   which the monthly replan can still fix, than in the next one.
2. **Protect safety stock**: minimize ``sum s * w[p]``, the shortfall below
   safety stock weighted by the same margin, because safety stock exists to
   protect that margin against the forecast's error (a unit-cost weight
   would favour stocking expensive items, whatever they earn).
3. **Hold the least stock**: minimize the holding cost ``sum I * unit_cost *
   holding_rate_per_year / 12`` plus a tiny cost per unit produced that grows
   the earlier the month (``later_production_weight``), so production is not
   built earlier than needed and no unit is produced that nothing asks for
   even when its holding cost is zero.

A single weighted objective would make "demand before safety stock before
inventory" depend on how large the weights happen to be relative to each
other and to the data (a big enough holding cost would start trading demand
for inventory); stages make the priority exact whatever the numbers. The
result is the plan a planner would write: meet demand where capacity allows,
build ahead in the latest earlier months with spare hours when a month is
short, then fill safety stock, then keep as little stock as that takes.

Two details keep the stages honest. A later stage would spend the tolerance
on un-serving a month served in full, or on un-protecting a month whose
safety stock is met, to save a little holding cost: a sliver of shortage
where hours are spare. So after stage 1 the months served in full stay
served in full, and after stage 2 the months at safety stock stay there. And
HiGHS can call a stage infeasible (or give up on it) because of the nearly
tight rows that keep the previous optima, although the previous solution
satisfies every row; such a stage is solved again without presolve, then
with more slack (``_RETRIES``), and only then is the failure raised.

Products on different resources share no constraint, so the LP is solved as
one independent problem per resource. The staged optimum of the whole is the
union of the parts' (a stage's total is minimal only if each part is), and
twenty problems of fifty products solve much faster than one of a thousand.

From the LP's production to the published plan
-----------------------------------------------
Only the LP's production is kept, cleaned of solver noise: values below
1e-9 units (and negatives) become 0 and, where HiGHS's tolerance leaves a
resource a hair over its hours, the month's production on it is scaled down
to fit. It is not rounded: the plan is in fractional units, lot sizing is a
different problem. The projection is then recomputed month by month exactly
as SPEC.md defines it (opening = previous closing, fulfilled = min(demand,
opening + receipts + production), shortage = demand - fulfilled, closing =
opening + receipts + production - fulfilled), so the published rows satisfy
the balance equations by construction rather than up to the solver's
tolerance. Production meant to cover demand exactly can miss it by a few
units in the last place of a float (the solver computes ``demand - stock``,
the projection ``stock + production``); such a gap, at most 1e-12 of the
demand, is floating-point dust, not a shortage, and production is raised by
it.

Input conventions
-----------------
* Every product of ``products`` is planned for every month, even with no
  demand. Rows of the other inputs for products not in ``products``, or for
  months outside the plan, are ignored.
* A missing row or an empty value counts as 0: no demand, no opening stock,
  no capacity, no safety stock. A resource that products use but
  ``capacity`` does not list has 0 hours, so those products cannot be
  produced.
* **Purchased items**: a product without a resource_id or with
  hours_per_unit 0 is bought, not made. Its production is 0 and it relies
  on its opening stock and open supply; lead_time_days only enters through
  the safety stock (see :mod:`models.planning.safety_stock`).
* **Open supply** lands in the month it is due. Supply due before the first
  plan month is late but still expected, so it is received in the first
  plan month; supply due after the horizon is outside the plan and ignored.
* Production planned in a month is available in that month: the plan works
  in monthly buckets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

PLAN_COLUMNS = [
    "run_month",
    "product_id",
    "family",
    "resource_id",
    "target_month",
    "opening_qty",
    "receipts_qty",
    "production_qty",
    "demand_qty",
    "fulfilled_qty",
    "shortage_qty",
    "closing_qty",
    "safety_stock_qty",
    "production_hours",
    "unit_price",
    "revenue_at_risk",
]
UTILIZATION_COLUMNS = [
    "run_month",
    "resource_id",
    "target_month",
    "available_hours",
    "planned_hours",
    "utilization",
]

_SOLVER_NOISE = 1e-9
"""Production below this many units is solver noise (HiGHS's tolerances are 1e-7), not a plan."""

_FLOAT_DUST = 1e-12
"""A shortage below this fraction of demand is floating-point rounding, not a shortage."""

_DUST_STEPS = 4
"""Raising production by the gap and one ulp closes it in one step; a few more are a margin."""

_SERVE_EARLIER = 1e-5
"""Relative bonus per month for serving a month earlier: breaks ties, not margins."""

_RETRIES = ((1.0, True), (1.0, False), (1e3, True), (1e3, False))
"""(Slack as a multiple of stage_tolerance, presolve) of each attempt at a stage.

The rows that keep earlier optima are nearly tight at the previous solution,
and on about one LP in a thousand (random tests) HiGHS then calls a feasible
stage infeasible or gives up: first its presolve, rarely the solver itself. So
a stage that fails is solved again without presolve, then with a thousand
times the slack.
"""

_PRODUCT_COLUMNS = [
    "product_id",
    "family",
    "unit_price",
    "unit_cost",
    "resource_id",
    "hours_per_unit",
]


@dataclass(frozen=True)
class PlanInputs:
    """Everything one supply plan is computed from, for one run and one scenario.

    Attributes
    ----------
    run_month : date
        The month the plan is made in; the plan months follow it.
    months : tuple of date
        The target months: first day of the month, ascending, consecutive,
        starting the month after ``run_month``.
    products : DataFrame
        product_id, family, unit_price, unit_cost, resource_id (empty for a
        purchased item), hours_per_unit, lead_time_days. One row per product.
    demand : DataFrame
        product_id, target_month, demand_qty: the consensus plan.
    opening : DataFrame
        product_id, opening_qty. Several rows of a product (locations) add up.
    open_supply : DataFrame
        supply_id, product_id, due_month (first of month), quantity.
    capacity : DataFrame
        resource_id, target_month, available_hours.
    safety_stock : DataFrame
        product_id, target_month, safety_stock_qty.
    """

    run_month: date
    months: tuple[date, ...]
    products: pd.DataFrame
    demand: pd.DataFrame
    opening: pd.DataFrame
    open_supply: pd.DataFrame
    capacity: pd.DataFrame
    safety_stock: pd.DataFrame


@dataclass(frozen=True)
class PlanSettings:
    """How the plan trades off its goals; the defaults suit monthly S&OP.

    Attributes
    ----------
    holding_rate_per_year : float
        Cost of holding one unit for a year as a fraction of its unit_cost
        (capital, storage, obsolescence); a unit-month costs
        ``holding_rate_per_year / 12 * unit_cost``.
    stage_tolerance : float
        Relative slack on an earlier stage's optimum when it becomes a
        constraint of the next stage. Smaller is purer but makes HiGHS's
        presolve call more stages infeasible (at 1e-12 some fail even without
        presolve); at 1e-9 a later stage can move at most a billionth of the
        served margin, a few millionths of a unit in a month already short.
    later_production_weight : float
        Cost of producing a unit one month earlier, as a fraction of the mean
        holding cost per unit-month of the products (1 currency unit when no
        product has a holding cost). Small, so it only breaks ties and stops
        production nothing needs.
    """

    holding_rate_per_year: float = 0.20
    stage_tolerance: float = 1e-9
    later_production_weight: float = 1e-3


@dataclass(frozen=True)
class SupplyPlan:
    """The plan's rows for ``fct_supply_plan`` and ``fct_capacity_utilization``.

    Attributes
    ----------
    plan : DataFrame
        Columns :data:`PLAN_COLUMNS`, one row per product and month.
    utilization : DataFrame
        Columns :data:`UTILIZATION_COLUMNS`, one row per resource and month.
    """

    plan: pd.DataFrame
    utilization: pd.DataFrame


@dataclass(frozen=True)
class _Grid:
    """The inputs as dense product x month arrays, indexed like ``products``."""

    product_ids: np.ndarray
    families: np.ndarray
    resource_ids: np.ndarray
    unit_price: np.ndarray
    unit_cost: np.ndarray
    hours_per_unit: np.ndarray
    produced: np.ndarray
    resource_of: np.ndarray
    resources: list[object]
    demand: np.ndarray
    receipts: np.ndarray
    opening: np.ndarray
    safety_stock: np.ndarray
    available_hours: np.ndarray


def plan_supply(inputs: PlanInputs, settings: PlanSettings = PlanSettings()) -> SupplyPlan:
    """Plan production under capacity and project inventory, shortage and revenue at risk.

    See the module docstring for the linear program, its three stages and the
    input conventions.

    Parameters
    ----------
    inputs : PlanInputs
        The run month, the plan months and the input tables.
    settings : PlanSettings
        Holding rate and solver tolerances.

    Returns
    -------
    SupplyPlan
        ``plan`` with :data:`PLAN_COLUMNS` (sorted by product and month) and
        ``utilization`` with :data:`UTILIZATION_COLUMNS` (every resource that
        has capacity or is used by a product, every month; utilization is
        NaN where no hours are available). The caller adds the scenario.

    Raises
    ------
    ValueError
        If the months are not consecutive first days of months following the
        run month, a required column is missing, a key is duplicated, or a
        price, cost, quantity or number of hours is negative.
    RuntimeError
        If HiGHS does not find an optimum, with its message.

    Examples
    --------
    One product on a resource with 14 hours a month at 1 hour a unit, demand
    10, 10 and 16: the third month needs 2 units more than it can make, so
    they are built in the second month, the latest one with spare hours.

    >>> from datetime import date
    >>> months = (date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1))
    >>> inputs = PlanInputs(
    ...     run_month=date(2025, 6, 1),
    ...     months=months,
    ...     products=pd.DataFrame({
    ...         "product_id": ["P1"], "family": ["F"], "unit_price": [10.0],
    ...         "unit_cost": [6.0], "resource_id": ["R1"], "hours_per_unit": [1.0],
    ...         "lead_time_days": [30.0]}),
    ...     demand=pd.DataFrame({"product_id": ["P1"] * 3, "target_month": list(months),
    ...                          "demand_qty": [10.0, 10.0, 16.0]}),
    ...     opening=pd.DataFrame({"product_id": ["P1"], "opening_qty": [0.0]}),
    ...     open_supply=pd.DataFrame(columns=["supply_id", "product_id", "due_month", "quantity"]),
    ...     capacity=pd.DataFrame({"resource_id": ["R1"] * 3, "target_month": list(months),
    ...                            "available_hours": [14.0, 14.0, 14.0]}),
    ...     safety_stock=pd.DataFrame(columns=["product_id", "target_month", "safety_stock_qty"]),
    ... )
    >>> result = plan_supply(inputs)
    >>> result.plan[["production_qty", "closing_qty", "shortage_qty"]].to_dict("list")
    {'production_qty': [10.0, 12.0, 14.0], 'closing_qty': [0.0, 2.0, 0.0],
     'shortage_qty': [0.0, 0.0, 0.0]}
    >>> result.utilization["utilization"].round(4).tolist()
    [0.7143, 0.8571, 1.0]
    """
    if settings.holding_rate_per_year < 0:
        raise ValueError("holding_rate_per_year must not be negative")
    grid = _grid_from_inputs(inputs)
    production, projection = _project(
        grid, _clean_production(_solve_production(grid, settings), grid)
    )
    planned_hours = _hours_by_resource(grid, production)
    return SupplyPlan(
        plan=_plan_frame(inputs, grid, production, projection),
        utilization=_utilization_frame(inputs, grid, planned_hours),
    )


def _solve_production(grid: _Grid, settings: PlanSettings) -> np.ndarray:
    """The LP's production per product and month: one LP per resource.

    Products on different resources share no constraint, so the problem splits
    exactly into one LP per resource: a stage's total is at its minimum only
    if every resource's part is, so the staged optimum of the whole is the
    union of the parts'. Many small LPs also solve much faster than one large
    one. Purchased items need no LP at all: their production is 0.
    """
    production = np.zeros_like(grid.demand)
    margin = np.maximum.reduce(
        [
            grid.unit_price - grid.unit_cost,
            0.01 * grid.unit_price,
            np.full(len(grid.unit_price), 1e-6),
        ]
    )
    holding = settings.holding_rate_per_year / 12 * grid.unit_cost
    positive = holding[holding > 0]
    earliness = settings.later_production_weight * (positive.mean() if positive.size else 1.0)
    for resource in np.unique(grid.resource_of[grid.produced]):
        members = np.flatnonzero(grid.produced & (grid.resource_of == resource))
        production[members] = _solve_resource(
            grid,
            members,
            grid.available_hours[resource],
            margin[members],
            holding[members],
            earliness,
            settings.stage_tolerance,
        )
    return production


def _solve_resource(
    grid: _Grid,
    members: np.ndarray,
    available_hours: np.ndarray,
    margin: np.ndarray,
    holding: np.ndarray,
    earliness: float,
    tolerance: float,
) -> np.ndarray:
    """The three stages of the LP for the products ``members`` of one resource."""
    n_products, n_months = len(members), grid.demand.shape[1]
    n = n_products * n_months
    # Variable blocks, each indexed by cell k = product * n_months + month.
    x_at, f_at, i_at, s_at = 0, n, 2 * n, 3 * n
    cell = np.arange(n)
    month = np.tile(np.arange(n_months), n_products)
    product = np.repeat(np.arange(n_products), n_months)
    ones = np.ones(n)
    later = month > 0

    balance = sparse.csr_array(
        (
            np.concatenate([ones, -ones, ones, -ones[later]]),
            (
                np.concatenate([cell, cell, cell, cell[later]]),
                np.concatenate([i_at + cell, x_at + cell, f_at + cell, i_at + cell[later] - 1]),
            ),
        ),
        shape=(n, 4 * n),
    )
    balance_rhs = grid.receipts[members].ravel()
    balance_rhs[month == 0] += grid.opening[members]

    target = grid.safety_stock[members].ravel()
    protected = np.flatnonzero(target > 0)
    n_protected = len(protected)
    stock_rows = sparse.csr_array(
        (
            -np.ones(2 * n_protected),
            (
                np.tile(np.arange(n_protected), 2),
                np.concatenate([i_at + protected, s_at + protected]),
            ),
        ),
        shape=(n_protected, 4 * n),
    )
    capacity_rows = sparse.csr_array(
        (grid.hours_per_unit[members][product], (month, x_at + cell)),
        shape=(n_months, 4 * n),
    )
    a_ub = sparse.vstack([stock_rows, capacity_rows], format="csr")
    b_ub = np.concatenate([-target[protected], available_hours])

    demand = grid.demand[members].ravel()
    shortfall_allowed = np.zeros(n)
    shortfall_allowed[protected] = np.inf
    bounds = np.column_stack(
        [
            np.zeros(4 * n),
            np.concatenate([np.full(n, np.inf), demand, np.full(n, np.inf), shortfall_allowed]),
        ]
    )

    kept_rows: list[np.ndarray] = []
    kept_optima: list[float] = []

    def solve(stage: str, cost: np.ndarray) -> np.ndarray:
        a_kept = sparse.vstack([a_ub, *(sparse.csr_array(row[None, :]) for row in kept_rows)])
        optima = np.array(kept_optima)
        attempts = _RETRIES if kept_rows else _RETRIES[:1]
        for looseness, presolve in attempts:
            slack = tolerance * looseness * np.maximum(np.abs(optima), 1.0)
            result = linprog(
                cost,
                A_ub=a_kept.tocsr(),
                b_ub=np.concatenate([b_ub, optima + slack]),
                A_eq=balance,
                b_eq=balance_rhs,
                bounds=bounds,
                method="highs",
                options={"presolve": presolve},
            )
            if result.status == 0:
                return result.x
        # Stage 1 is feasible by construction (x = 0, f = 0 and s = safety stock satisfy
        # every row) and each later stage by the previous stage's solution, so running
        # out of attempts is a solver failure worth stopping the run for.
        raise RuntimeError(f"HiGHS found no optimal supply plan ({stage}): {result.message}")

    def keep_optimum(weights: np.ndarray, solution: np.ndarray) -> None:
        kept_rows.append(weights)
        kept_optima.append(float(weights @ solution))

    # Stage 1: sum margin * (demand - f) is minimized as -sum margin * f, a constant apart.
    # The earlier of two months of a product is served first, as SPEC's projection does,
    # so that the later stages plan the stock the published rows will show.
    served = np.zeros(4 * n)
    served[f_at + cell] = -margin[product] * (1 + _SERVE_EARLIER * (n_months - month))
    solution = solve("demand", served)
    keep_optimum(served, solution)
    # A later stage would spend the tolerance on un-serving a cell served in full (it saves
    # holding cost), a visible sliver of shortage where hours are spare; so those stay served.
    fulfilled = solution[f_at : f_at + n]
    in_full = np.isclose(fulfilled, demand, rtol=1e-9, atol=1e-9)
    bounds[f_at + cell[in_full], 0] = np.minimum(fulfilled[in_full], demand[in_full])

    if n_protected:
        shortfall = np.zeros(4 * n)
        shortfall[s_at + protected] = margin[product[protected]]
        solution = solve("safety stock", shortfall)
        keep_optimum(shortfall, solution)
        # Likewise a month whose safety stock is met stays met.
        missing = solution[s_at + protected]
        covered = missing <= 1e-9 * np.maximum(target[protected], 1.0)
        bounds[s_at + protected[covered], 1] = np.maximum(missing[covered], 0.0)

    inventory = np.zeros(4 * n)
    inventory[i_at + cell] = holding[product]
    inventory[x_at + cell] = earliness * (n_months - month)
    solution = solve("inventory", inventory)
    return solution[x_at : x_at + n].reshape(n_products, n_months)


def _clean_production(production: np.ndarray, grid: _Grid) -> np.ndarray:
    """Production without solver noise and never over a resource's hours."""
    cleaned = np.where(production < _SOLVER_NOISE, 0.0, production)
    cleaned[~grid.produced] = 0.0
    planned = _hours_by_resource(grid, cleaned)
    available = grid.available_hours
    over = planned > available
    if over.any():
        factor = np.divide(available, planned, out=np.ones_like(planned), where=over)
        made = np.flatnonzero(grid.produced)
        cleaned[made] *= factor[grid.resource_of[made]]
    return cleaned


def _hours_by_resource(grid: _Grid, production: np.ndarray) -> np.ndarray:
    """Planned hours per resource and month."""
    planned = np.zeros_like(grid.available_hours)
    made = np.flatnonzero(grid.produced)
    np.add.at(planned, grid.resource_of[made], production[made] * grid.hours_per_unit[made, None])
    return planned


def _project(grid: _Grid, production: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """SPEC.md's inventory projection, month by month, for all products at once.

    Production meant to cover demand exactly can fall a few ulps short of it in
    floating point (the solver computes ``demand - stock``, the projection
    ``stock + production``): such a shortage of 1e-14 units would still flag the
    month as short, so production is raised by that dust. Only dust: a gap above
    ``_FLOAT_DUST`` of the demand is a real shortage and stays.
    """
    production = production.copy()
    opening = np.empty_like(grid.demand)
    fulfilled = np.empty_like(grid.demand)
    closing = np.empty_like(grid.demand)
    stock = grid.opening.astype(float)
    for t in range(grid.demand.shape[1]):
        demand = grid.demand[:, t]
        before_production = stock + grid.receipts[:, t]
        available = before_production + production[:, t]
        gap = demand - available
        dust = grid.produced & (gap > 0) & (gap <= _FLOAT_DUST * np.maximum(demand, 1.0))
        for _ in range(_DUST_STEPS):
            if not dust.any():
                break
            production[dust, t] = np.nextafter(production[dust, t] + gap[dust], np.inf)
            available = before_production + production[:, t]
            gap = demand - available
            dust &= gap > 0
        opening[:, t] = stock
        fulfilled[:, t] = np.minimum(demand, available)
        closing[:, t] = available - fulfilled[:, t]
        stock = closing[:, t]
    return production, {
        "opening_qty": opening,
        "fulfilled_qty": fulfilled,
        "shortage_qty": grid.demand - fulfilled,
        "closing_qty": closing,
    }


def _plan_frame(
    inputs: PlanInputs, grid: _Grid, production: np.ndarray, projection: dict[str, np.ndarray]
) -> pd.DataFrame:
    n_products, n_months = grid.demand.shape
    frame = pd.DataFrame(
        {
            "run_month": [inputs.run_month] * (n_products * n_months),
            "product_id": np.repeat(grid.product_ids, n_months),
            "family": np.repeat(grid.families, n_months),
            "resource_id": np.repeat(grid.resource_ids, n_months),
            "target_month": list(inputs.months) * n_products,
            "opening_qty": projection["opening_qty"].ravel(),
            "receipts_qty": grid.receipts.ravel(),
            "production_qty": production.ravel(),
            "demand_qty": grid.demand.ravel(),
            "fulfilled_qty": projection["fulfilled_qty"].ravel(),
            "shortage_qty": projection["shortage_qty"].ravel(),
            "closing_qty": projection["closing_qty"].ravel(),
            "safety_stock_qty": grid.safety_stock.ravel(),
            "production_hours": (production * grid.hours_per_unit[:, None]).ravel(),
            "unit_price": np.repeat(grid.unit_price, n_months),
            "revenue_at_risk": (projection["shortage_qty"] * grid.unit_price[:, None]).ravel(),
        },
        columns=PLAN_COLUMNS,
    )
    return frame


def _utilization_frame(inputs: PlanInputs, grid: _Grid, planned: np.ndarray) -> pd.DataFrame:
    n_resources, n_months = grid.available_hours.shape
    available = grid.available_hours
    utilization = np.divide(
        planned, available, out=np.full_like(planned, np.nan), where=available > 0
    )
    return pd.DataFrame(
        {
            "run_month": [inputs.run_month] * (n_resources * n_months),
            "resource_id": np.repeat(np.array(grid.resources, dtype=object), n_months),
            "target_month": list(inputs.months) * n_resources,
            "available_hours": available.ravel(),
            "planned_hours": planned.ravel(),
            "utilization": utilization.ravel(),
        },
        columns=UTILIZATION_COLUMNS,
    )


def _grid_from_inputs(inputs: PlanInputs) -> _Grid:
    """Validate the inputs and lay them out as product x month arrays."""
    first = _validated_first_month(inputs.run_month, inputs.months)
    n_months = len(inputs.months)

    products = _with_columns(inputs.products, "products", _PRODUCT_COLUMNS)
    products = products.sort_values("product_id", kind="stable").reset_index(drop=True)
    if products["product_id"].duplicated().any():
        raise ValueError("products has more than one row for a product_id")
    product_index = pd.Index(products["product_id"])
    unit_price = _non_negative(products["unit_price"], "products.unit_price", allow_missing=False)
    unit_cost = _non_negative(products["unit_cost"], "products.unit_cost", allow_missing=False)
    hours = _non_negative(products["hours_per_unit"], "products.hours_per_unit")
    resource_ids = np.array(
        [None if _is_blank(value) else value for value in products["resource_id"]], dtype=object
    )
    has_resource = np.array([value is not None for value in resource_ids], dtype=bool)

    capacity = _with_columns(
        inputs.capacity, "capacity", ["resource_id", "target_month", "available_hours"]
    )
    listed = [value for value in capacity["resource_id"] if not _is_blank(value)]
    resources = sorted(set(listed) | set(resource_ids[has_resource].tolist()), key=str)
    resource_index = pd.Index(resources, dtype=object)
    resource_of = np.where(has_resource, resource_index.get_indexer(resource_ids), -1)

    opening_rows = _with_columns(inputs.opening, "opening", ["product_id", "opening_qty"])
    opening = np.zeros(len(products))
    known = product_index.get_indexer(opening_rows["product_id"])
    quantity = _non_negative(opening_rows["opening_qty"], "opening.opening_qty")
    np.add.at(opening, known[known >= 0], quantity[known >= 0])

    by_month = partial(_month_grid, first=first, n_months=n_months)
    return _Grid(
        product_ids=products["product_id"].to_numpy(dtype=object),
        families=products["family"].to_numpy(dtype=object),
        resource_ids=resource_ids,
        unit_price=unit_price,
        unit_cost=unit_cost,
        hours_per_unit=hours,
        produced=has_resource & (hours > 0),
        resource_of=resource_of,
        resources=resources,
        demand=by_month(
            inputs.demand, "demand", "product_id", product_index, "target_month", "demand_qty"
        ),
        receipts=by_month(
            inputs.open_supply,
            "open_supply",
            "product_id",
            product_index,
            "due_month",
            "quantity",
            late_to_first=True,
        ),
        opening=opening,
        safety_stock=by_month(
            inputs.safety_stock,
            "safety_stock",
            "product_id",
            product_index,
            "target_month",
            "safety_stock_qty",
        ),
        available_hours=by_month(
            capacity, "capacity", "resource_id", resource_index, "target_month", "available_hours"
        ),
    )


def _month_grid(
    frame: pd.DataFrame,
    name: str,
    key: str,
    keys: pd.Index,
    month_column: str,
    value_column: str,
    first: int,
    n_months: int,
    *,
    late_to_first: bool = False,
) -> np.ndarray:
    """A (key x month) array of one input's values, 0 where it has no row.

    With ``late_to_first`` (open supply) rows due before the first month land
    in it and rows of the same cell add up (several orders); otherwise a cell
    may have one row only, since two rows would be a contradiction.
    """
    frame = _with_columns(frame, name, [key, month_column, value_column])
    index = keys.get_indexer(frame[key])
    month = _month_ordinals(frame[month_column], f"{name}.{month_column}") - first
    values = _non_negative(frame[value_column], f"{name}.{value_column}")
    if late_to_first:
        month = np.maximum(month, 0)
    keep = (index >= 0) & (month >= 0) & (month < n_months)
    index, month, values = index[keep], month[keep], values[keep]
    if not late_to_first:
        cells = index * n_months + month
        if len(np.unique(cells)) < len(cells):
            raise ValueError(f"{name} has more than one row per {key} and {month_column}")
    grid = np.zeros((len(keys), n_months))
    np.add.at(grid, (index, month), values)
    return grid


def _validated_first_month(run_month: date, months: Sequence[date]) -> int:
    """The first plan month as a month ordinal, after checking the months' shape."""
    if len(months) == 0:
        raise ValueError("months must not be empty")
    stamps = pd.to_datetime(pd.Series(list(months)))
    ordinals = _month_ordinals(stamps, "months")
    if (stamps.dt.day != 1).any() or not np.array_equal(
        ordinals, ordinals[0] + np.arange(len(months))
    ):
        raise ValueError("months must be consecutive first days of months, ascending")
    if ordinals[0] != _month_ordinals(pd.Series([run_month]), "run_month")[0] + 1:
        raise ValueError("the first plan month must be the month after run_month")
    return int(ordinals[0])


def _month_ordinals(values: pd.Series, name: str) -> np.ndarray:
    """Months counted from year 0, so month arithmetic is integer arithmetic."""
    stamps = pd.to_datetime(pd.Series(values).reset_index(drop=True))
    if stamps.isna().any():
        raise ValueError(f"{name} has an empty date")
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype=np.int64)


def _non_negative(values: pd.Series, name: str, *, allow_missing: bool = True) -> np.ndarray:
    """Numbers of a column, empty as 0 where allowed; a negative one is an input error."""
    numbers = pd.to_numeric(pd.Series(values)).to_numpy(dtype=float)
    missing = np.isnan(numbers)
    if missing.any() and not allow_missing:
        raise ValueError(f"{name} has empty values")
    numbers = np.where(missing, 0.0, numbers)
    if (numbers < 0).any():
        raise ValueError(f"{name} has negative values")
    return numbers


def _with_columns(frame: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    """The frame, or an empty one with the columns when it has no rows at all."""
    missing = [column for column in columns if column not in frame.columns]
    if missing and len(frame) == 0:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")
    return frame


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return value.strip() == ""
    return bool(pd.isna(value))
