"""Returns: a few order lines come back, booked by the ERP as negative order lines.

A return is a normal ERP fact (SPEC.md section 1: a negative quantity is
kept, never a data-quality failure), so the demo has them in a realistic
share: about 1% of order lines (`RETURN_SHARE`) are returned 3-40 days after
the order (`RETURN_DAYS`; a return booked on a weekend moves to the Monday,
so at most 42 days), by the same account, for the same product and region.
Half of the returns take the whole line back, the others part of it (at
least one unit); the credit is the returned units at the line's own net unit
price, so `net_amount` is negative and a full return credits the line's
amount to the cent.

A return dated after the as-of date has not happened yet and is not written.
Return lines have order numbers of their own (`RMA-...`, in date order),
name the order they return in `returned_order_id` (an extra column, as an
ERP keeps the reference document of a credit), and are inserted into the
orders table in date order. They are drawn from a random stream of their own,
so every other order line is the same with or without them.
"""

from __future__ import annotations

import numpy as np

from orchestration.demo.sampling import id_strings
from orchestration.demo.timeline import Timeline, next_weekday

#: Share of order lines that are returned (before dropping returns after the as-of date).
RETURN_SHARE = 0.01
#: Days from the order to its return (inclusive range, before a weekend moves it on).
RETURN_DAYS = (3, 40)
#: Share of returns that take back the whole line (the others return part of it).
FULL_RETURN = 0.5


def add_returns(
    rng: np.random.Generator, tl: Timeline, orders: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """`orders` (sorted by order_date) with return lines inserted in date order.

    `orders` holds the columns of the demo's orders file, `returned_order_id`
    empty on every line; the result has the same columns.
    """
    quantity = orders["quantity"]
    picked = np.flatnonzero((rng.random(quantity.size) < RETURN_SHARE) & (quantity >= 1))
    lag = rng.integers(RETURN_DAYS[0], RETURN_DAYS[1] + 1, picked.size)
    full = rng.random(picked.size) < FULL_RETURN
    ordered = quantity[picked]
    part = rng.integers(1, np.maximum(ordered, 2).astype(np.int64))
    returned = np.where(full | (ordered < 2), ordered, part).astype(np.float64)
    day = next_weekday(orders["order_date"][picked] + lag)

    keep = day <= tl.as_of_day
    picked, returned, day = picked[keep], returned[keep], day[keep]
    order = np.lexsort((picked, day))
    picked, returned, day = picked[order], returned[order], day[order]

    net = orders["net_amount"][picked]
    credit = np.where(
        returned == quantity[picked], net, np.round(net * returned / quantity[picked], 2)
    )
    added = {
        "order_id": id_strings("RMA-", 1_000_000 + np.arange(1, picked.size + 1), 7),
        "order_date": day,
        "account_id": orders["account_id"][picked],
        "product_id": orders["product_id"][picked],
        "region": orders["region"][picked],
        "quantity": -returned,
        "net_amount": -credit,
        "opportunity_id": np.full(picked.size, "", dtype=np.dtypes.StringDType()),
        "returned_order_id": orders["order_id"][picked],
    }
    at = np.searchsorted(orders["order_date"], day, side="right")
    return {name: np.insert(orders[name], at, added[name]) for name in orders}
