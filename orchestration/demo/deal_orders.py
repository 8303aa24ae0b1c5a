"""Won deals become order lines: the part of demand the CRM sees coming.

In the B2B companies the platform serves, a won opportunity for a product
and a quantity turns into sales orders of the same account over the weeks
after the close: a first call-off once the customer's purchase order is
processed, then the rest as the project needs it. Here each won deal is
released in one to three orders (one when it is a single unit), the first
3-17 days after the close date and the others 10-21 days apart, so a deal
is ordered within about eight weeks of its close; every release is at least
one unit, and a release dated on a weekend moves to the Monday.

A line's `net_amount` is its share of the deal's amount (the negotiated
price per unit, not the list price run-rate orders pay), so the lines of a
deal add up to its amount to the cent. Releases dated after the as-of date
have not been ordered yet and are left out, as are releases after the
product's end of life. Deals won before history (not in the CRM files) still
release into its first weeks, with an empty `opportunity_id`, so history
does not start with a dip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.demo.catalog import Catalog
from orchestration.demo.pipeline import WonDeals
from orchestration.demo.sampling import choice
from orchestration.demo.timeline import Timeline, next_weekday

#: Probability of one, two and three releases of a deal of two units or more.
RELEASES = np.array([0.45, 0.35, 0.20])
#: Days from the close date to the first release, and between releases (inclusive ranges).
FIRST_RELEASE_DAYS = (3, 17)
RELEASE_GAP_DAYS = (10, 21)


@dataclass(frozen=True)
class OrderLines:
    """Order lines before numbering: one per release, with the deal they come from."""

    product: np.ndarray
    account: np.ndarray
    day: np.ndarray
    quantity: np.ndarray
    net_amount: np.ndarray
    opportunity_id: np.ndarray


def deal_order_lines(
    rng: np.random.Generator, tl: Timeline, catalog: Catalog, won: WonDeals
) -> OrderLines:
    """The order lines of the won deals that fall in history, in deal and release order."""
    qty = won.quantity.astype(np.int64)
    n_releases = np.minimum(1 + choice(rng, RELEASES, qty.size), np.maximum(qty, 1))
    deal = np.repeat(np.arange(qty.size), n_releases)
    first = np.concatenate([[True], deal[1:] != deal[:-1]])
    step = np.where(
        first,
        rng.integers(FIRST_RELEASE_DAYS[0], FIRST_RELEASE_DAYS[1] + 1, deal.size),
        rng.integers(RELEASE_GAP_DAYS[0], RELEASE_GAP_DAYS[1] + 1, deal.size),
    )
    day = next_weekday(won.close_day[deal] + _running_total(step, n_releases))
    units = _split(rng, qty, deal, first)
    net = _amount_shares(won.amount[deal], qty[deal], units, _running_total(units, n_releases))

    product = won.product[deal]
    keep = (day >= tl.hist_start) & (day <= tl.as_of_day) & (day <= catalog.end_day[product])
    return OrderLines(
        product=product[keep],
        account=won.account[deal][keep],
        day=day[keep],
        quantity=units[keep],
        net_amount=net[keep],
        opportunity_id=won.opportunity_id[deal][keep],
    )


def _running_total(values: np.ndarray, group_sizes: np.ndarray) -> np.ndarray:
    """Cumulative sum of `values` within consecutive groups of the given sizes (all >= 1)."""
    total = np.cumsum(values)
    starts = np.cumsum(group_sizes) - group_sizes
    return total - np.repeat(total[starts] - values[starts], group_sizes)


def _split(
    rng: np.random.Generator, qty: np.ndarray, deal: np.ndarray, first: np.ndarray
) -> np.ndarray:
    """Whole units per release: one each, the rest by random weights (leftover to the first)."""
    n_releases = np.bincount(deal, minlength=qty.size)
    w = rng.exponential(1.0, deal.size)
    w_sum = np.bincount(deal, w, minlength=qty.size)[deal]
    extra = (qty - n_releases)[deal]
    share = np.floor(w / w_sum * extra).astype(np.int64)
    short = extra - np.bincount(deal, share, minlength=qty.size)[deal].astype(np.int64)
    return 1 + share + np.where(first, short, 0)


def _amount_shares(
    amount: np.ndarray, qty: np.ndarray, units: np.ndarray, done: np.ndarray
) -> np.ndarray:
    """Each release's share of its deal's amount, so that a deal's lines add up to it exactly.

    Per line: the deal's amount (`amount`, `qty` units), the line's `units`,
    and `done`, the deal's units released up to and including this line. The
    running total is rounded to the cent and each line is the difference of
    two running totals.
    """
    cents = np.round(amount * 100).astype(np.int64)
    upto = np.round(cents * done / qty).astype(np.int64)
    before = np.round(cents * (done - units) / qty).astype(np.int64)
    return (upto - before) / 100.0
