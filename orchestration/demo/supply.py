"""ERP side: order lines, inventory snapshots, resource capacity and open supply.

Everything here is drawn from the catalogue's demand truth so that the files
agree with each other: orders are noisy draws of it (run-rate orders of
repeat customers for the part that won deals do not order, the lines of
`deal_orders` for the rest), inventory covers one to two months of it (a few
items run low), capacity is sized so that planned hours use 70-95% of it
with a few tight months, and open supply replenishes it within each
product's lead time.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from orchestration.demo.catalog import Catalog, sample_units
from orchestration.demo.deal_orders import OrderLines
from orchestration.demo.org import Org
from orchestration.demo.sampling import choice, group_rank, id_strings, lognormal, pick_eligible
from orchestration.demo.timeline import Timeline, weekday
from orchestration.landing_contract import LANDING_BY_NAME, Column

LOCATIONS = ("WH-ATL", "WH-RTM", "WH-SIN")
#: Which warehouse serves which region (NA-East, NA-West, EMEA, APAC).
REGION_LOCATION = np.array([0, 0, 1, 2])
#: Discount range by account segment (SMB, Mid-Market, Enterprise).
ORDER_DISCOUNT = np.array([[0.0, 0.05], [0.04, 0.12], [0.10, 0.25]])
LINES_PER_ORDER = 2.3
PRICE_INCREASE = 0.03  # yearly list-price increase: history was sold a bit cheaper
INVENTORY_MONTHS = 24
CAPACITY_FUTURE = 24
#: The least share of a product's demand that comes from repeat (run-rate) orders.
MIN_RUN_RATE = 0.1


#: The orders file as the demo writes it: the contract's columns plus the CRM opportunity a
#: line comes from (empty for run-rate orders), as ERPs linked to a CRM record it, and the
#: order a return line returns (empty but on returns, see `returns`). The landing contract
#: keeps extra columns and ignores them.
ORDERS = replace(
    LANDING_BY_NAME["orders"],
    columns=(
        *LANDING_BY_NAME["orders"].columns,
        Column("opportunity_id", nullable=True),
        Column("returned_order_id", nullable=True),
    ),
)


def build_orders(
    rng: np.random.Generator,
    tl: Timeline,
    org: Org,
    catalog: Catalog,
    deals: OrderLines | None = None,
) -> dict[str, np.ndarray]:
    """Order lines of the history, in order-number (date) order: run-rate plus won deals.

    `deals` are the won deals' order lines (each release its own order). The
    run-rate part (repeat customers) of each product is its demand less what
    its deals ordered over history (`run_rate_share`), so the total keeps the
    catalogue's level and seasonality; its lines shrink with that share, so
    that there are about as many lines as with the whole demand. Without
    deals the lines are those of a pure run-rate demo.
    """
    if deals is None or deals.day.size == 0:
        return _order_table(org, catalog, _run_rate_lines(rng, tl, org, catalog, 1.0)[0])
    share = run_rate_share(tl, catalog, deals)
    lines, next_header = _run_rate_lines(rng, tl, org, catalog, share)
    return _order_table(org, catalog, _merge(lines, deals, next_header))


def run_rate_share(tl: Timeline, catalog: Catalog, deals: OrderLines) -> np.ndarray:
    """Per product, the share of its demand over history that its won deals did not order.

    At least MIN_RUN_RATE: every product keeps some repeat business, even one
    whose deals alone ordered about all of its demand.
    """
    demand = catalog.mean_demand[:, :, : tl.n_hist].sum(axis=(1, 2))
    ordered = np.bincount(deals.product, deals.quantity, minlength=catalog.n)
    return np.clip(1.0 - ordered / np.maximum(demand, 1e-9), MIN_RUN_RATE, 1.0)


def _order_table(org: Org, catalog: Catalog, lines: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The orders landing table of numbered lines."""
    return {
        "order_id": id_strings("SO-", 1_000_000 + lines["order_no"], 7),
        "order_date": lines["day"],
        "account_id": org.accounts["account_id"][lines["account"]],
        "product_id": catalog.table["product_id"][lines["product"]],
        "region": org.accounts["region"][lines["account"]],
        "quantity": lines["quantity"].astype(np.float64),
        "net_amount": lines["net_amount"],
        "opportunity_id": lines["opportunity_id"],
        "returned_order_id": np.full(lines["day"].size, "", dtype=np.dtypes.StringDType()),
    }


def _run_rate_lines(
    rng: np.random.Generator,
    tl: Timeline,
    org: Org,
    catalog: Catalog,
    share: np.ndarray | float,
) -> tuple[dict[str, np.ndarray], int]:
    """Repeat-customer lines sorted by (date, header, product), priced, numbered from 1.

    Also returns a header key above every one used, for lines added later.
    """
    units = sample_units(rng, catalog, tl.n_hist, share)  # [product, region, month]
    n_prod = catalog.n
    # Lines per product, region and month: cheap items ship in bigger lines.
    line_size = np.clip(45.0 / catalog.price**0.35 * share, 1.0, 50.0)
    l_prod, l_block, qty = _lines_of_cells(rng, units, line_size)

    # Order headers per region and month; each line joins one of its block's headers.
    lines_per_block = np.bincount(l_block, minlength=4 * tl.n_hist)
    headers = np.ceil(lines_per_block / LINES_PER_ORDER).astype(np.int64)
    h_first = np.concatenate([[0], np.cumsum(headers)[:-1]])
    h_block = np.repeat(np.arange(headers.size), headers)
    h_region, h_month = h_block // tl.n_hist, h_block % tl.n_hist
    dim = tl.days_in_month[h_month]
    d1 = tl.month_start[h_month] + (rng.random(h_block.size) * dim).astype(np.int64)
    d2 = tl.month_start[h_month] + (rng.random(h_block.size) * dim).astype(np.int64)
    h_day = np.where((weekday(d1) >= 5) & (weekday(d2) < 5), d2, d1)
    h_account = pick_eligible(
        rng, org.acct_region, org.acct_created, org.acct_weight, h_region, h_day
    )
    line_header = h_first[l_block] + (rng.random(l_block.size) * headers[l_block]).astype(np.int64)
    # The same product twice on one header becomes a separate order (keys stay unique).
    dup = group_rank(line_header * n_prod + l_prod)
    header_key = line_header * 64 + np.minimum(dup, 63)
    l_day = h_day[line_header]
    l_account = h_account[line_header]
    keep = l_account >= 0
    l_prod, qty, l_day, l_account, header_key = (
        a[keep] for a in (l_prod, qty, l_day, l_account, header_key)
    )

    order = np.lexsort((l_prod, header_key, l_day))
    l_prod, qty, l_day, l_account, header_key = (
        a[order] for a in (l_prod, qty, l_day, l_account, header_key)
    )
    new_order = np.concatenate([[True], header_key[1:] != header_key[:-1]])
    order_no = np.cumsum(new_order)
    segment = org.acct_segment[l_account]
    discount = rng.uniform(ORDER_DISCOUNT[segment, 0], ORDER_DISCOUNT[segment, 1])
    month = tl.month_of_day(l_day)
    list_price = catalog.price[l_prod] * (1 + PRICE_INCREASE) ** ((month - tl.n_hist + 1) / 12)
    net = np.round(qty * list_price * (1 - discount), 2)
    return {
        "product": l_prod,
        "account": l_account,
        "day": l_day,
        "quantity": qty,
        "net_amount": net,
        "header": header_key,
        "order_no": order_no,
        "opportunity_id": np.full(qty.size, "", dtype=np.dtypes.StringDType()),
    }, int(header_key.max(initial=0)) + 1


def _lines_of_cells(
    rng: np.random.Generator, units: np.ndarray, line_size: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units per [product, region, month] cut into lines: product, block and quantity per line.

    A block is region x n_months + month. Every line gets one unit, the rest
    is shared by random weights (leftover to the first line).
    """
    n_prod, _, n_months = units.shape
    cells = units.transpose(1, 2, 0).ravel()  # region, month, product
    cell_product = np.tile(np.arange(n_prod), 4 * n_months)
    nz = np.flatnonzero(cells)
    q = cells[nz]
    prod = cell_product[nz]
    block = nz // n_prod
    n_lines = 1 + rng.binomial(q - 1, 1.0 / line_size[prod])
    line_cell = np.repeat(np.arange(nz.size), n_lines)
    w = rng.exponential(1.0, line_cell.size)
    w_sum = np.bincount(line_cell, w)[line_cell]
    extra = (q - n_lines)[line_cell]
    share = np.floor(w / w_sum * extra).astype(np.int64)
    short = extra - np.bincount(line_cell, share, minlength=nz.size)[line_cell].astype(np.int64)
    first = np.concatenate([[True], line_cell[1:] != line_cell[:-1]])
    qty = 1 + share + np.where(first, short, 0)
    return prod[line_cell], block[line_cell], qty


def _merge(
    lines: dict[str, np.ndarray], deals: OrderLines, next_header: int
) -> dict[str, np.ndarray]:
    """Deal lines inserted into the date-ordered run-rate lines, renumbered.

    Each deal release is an order of its own, numbered after the run-rate
    orders of its day (its header key is above theirs), so inserting keeps
    the (date, header, product) order without sorting everything again.
    """
    order = np.lexsort((deals.product, deals.day))
    at = np.searchsorted(lines["day"], deals.day[order], side="right")
    added = {
        "product": deals.product[order],
        "account": deals.account[order],
        "day": deals.day[order],
        "quantity": deals.quantity[order],
        "net_amount": deals.net_amount[order],
        "header": next_header + np.arange(order.size),
        "opportunity_id": deals.opportunity_id[order].astype(np.dtypes.StringDType()),
    }
    merged = {k: np.insert(lines[k], at, v) for k, v in added.items()}
    header = merged["header"]
    merged["order_no"] = np.cumsum(np.concatenate([[True], header[1:] != header[:-1]]))
    return merged


def location_demand(catalog: Catalog) -> np.ndarray:
    """Mean units per product, warehouse and month."""
    mean = catalog.mean_demand
    out = np.zeros((mean.shape[0], len(LOCATIONS), mean.shape[2]))
    for region, loc in enumerate(REGION_LOCATION):
        out[:, loc] += mean[:, region]
    return out


def build_inventory(
    rng: np.random.Generator, tl: Timeline, catalog: Catalog
) -> dict[str, np.ndarray]:
    """Month-end on-hand per product and stocking warehouse for the last 24 months."""
    demand = location_demand(catalog)
    months = np.arange(tl.n_hist - INVENTORY_MONTHS, tl.n_hist)
    share = demand[:, :, months].sum(axis=2) / np.maximum(
        demand[:, :, months].sum(axis=(1, 2))[:, None], 1e-9
    )
    stocked = (share > 0.04) | (np.arange(len(LOCATIONS))[None, :] == 0)
    # Months of cover: an AR(1) around 1.4 months, with occasional low or empty bins.
    n_prod = catalog.n
    cover = np.empty((n_prod, len(LOCATIONS), months.size))
    z = rng.normal(0, 1, (n_prod, len(LOCATIONS)))
    for k in range(months.size):
        z = 0.6 * z + 0.8 * rng.normal(0, 1, z.shape)
        cover[:, :, k] = 1.4 * np.exp(0.35 * z)
    low = rng.random(cover.shape) < 0.06
    cover = np.where(low, rng.uniform(0.0, 0.3, cover.shape), cover)
    next_demand = demand[:, :, months + 1]
    on_hand = np.round(next_demand * cover)
    on_hand += np.where(catalog.slow_mover[:, None, None], rng.integers(0, 4, on_hand.shape), 0)
    snapshot = tl.month_end_day(months)
    alive = (catalog.launch_day[:, None] <= snapshot[None, :]) & (
        catalog.end_day[:, None] + 60 >= snapshot[None, :]
    )
    present = stocked[:, :, None] & alive[:, None, :]
    p, loc, k = np.nonzero(present)
    order = np.lexsort((loc, p, k))
    p, loc, k = p[order], loc[order], k[order]
    return {
        "snapshot_date": snapshot[k],
        "product_id": catalog.table["product_id"][p],
        "location": np.asarray(LOCATIONS, dtype=np.dtypes.StringDType())[loc],
        "on_hand_qty": on_hand[p, loc, k],
    }


def build_capacity(
    rng: np.random.Generator, tl: Timeline, catalog: Catalog
) -> dict[str, np.ndarray]:
    """Available hours per resource and month: history and 24 months ahead.

    Capacity is planned once a year: each calendar year's level is the average
    hours a naive plan (make what is demanded) needs that year, at a target
    utilization of 78-88% per resource (one resource runs hot at ~93%). Months
    vary with working days and holidays, so seasonal peaks exceed 100% in a
    few months; one resource also has a maintenance shutdown ahead.
    """
    n_res = catalog.resource_ids.size
    months = np.arange(tl.n_hist + CAPACITY_FUTURE)
    needed = np.zeros((n_res, tl.n_total))
    np.add.at(needed, catalog.resource, catalog.mean_demand.sum(axis=1) * catalog.hours[:, None])
    target = rng.uniform(0.78, 0.88, n_res)
    hot = int(rng.integers(0, n_res))
    target[hot] = 0.93
    level = np.zeros((n_res, tl.n_total))
    for year in np.unique(tl.year[months]):
        in_year = tl.year == year
        level[:, in_year] = needed[:, in_year].mean(axis=1, keepdims=True) / target[:, None]
    starts = tl.month_start.astype("datetime64[D]")
    working = np.busday_count(starts[:-1], starts[1:]) / 21.7
    available = level * working[None, :]
    available[:, tl.cal_month == 12] *= 0.92  # year-end holidays
    available[:, tl.cal_month == 8] *= 0.95  # summer holidays
    cut = (hot + 1 + int(rng.integers(0, max(n_res - 1, 1)))) % n_res
    available[cut, tl.n_hist + int(rng.integers(3, 9))] *= 0.55  # planned shutdown
    r, m = np.meshgrid(np.arange(n_res), months, indexing="ij")
    return {
        "resource_id": catalog.resource_ids[r.ravel()],
        "month": tl.month_start[m.ravel()],
        "available_hours": np.round(available[:, months].ravel()),
    }


def build_open_supply(
    rng: np.random.Generator, tl: Timeline, catalog: Catalog
) -> dict[str, np.ndarray]:
    """Confirmed purchase and production orders due after the as-of date (a few overdue)."""
    nxt = tl.n_hist
    active = (catalog.launch_day <= tl.as_of_day) & (catalog.end_month > nxt + 1)
    monthly = catalog.mean_demand[:, :, nxt].sum(axis=1)
    count = np.where(active, choice(rng, [0.2, 0.45, 0.25, 0.1], catalog.n), 0)
    p = np.repeat(np.arange(catalog.n), count)
    rank = group_rank(p)
    horizon = catalog.lead_time[p] + 30
    due = tl.as_of_day + 1 + (rng.random(p.size) * horizon).astype(np.int64) + rank * 14
    overdue = rng.random(p.size) < 0.05
    due = np.where(overdue, tl.as_of_day - rng.integers(0, 14, p.size), due)
    raw = monthly[p] * lognormal(rng, 0.8, 0.35, p.size)
    lot = 10.0 ** np.floor(np.log10(np.maximum(raw, 1.0)))
    qty = np.maximum(lot, np.round(raw / lot) * lot)
    buy = catalog.buy[p]
    order = np.lexsort((p, due))
    p, due, qty, buy = p[order], due[order], qty[order], buy[order]
    n_buy = np.cumsum(buy)
    n_make = np.cumsum(~buy)
    year = tl.end_month.year % 100
    ids = np.where(
        buy,
        id_strings(f"PO-{year:02d}", 1000 + n_buy, 5),
        id_strings(f"MO-{year:02d}", 1000 + n_make, 5),
    )
    return {
        "supply_id": ids.astype(np.dtypes.StringDType()),
        "product_id": catalog.table["product_id"][p],
        "due_date": due,
        "quantity": qty,
        "supply_type": np.where(buy, "purchase", "production").astype(np.dtypes.StringDType()),
    }
