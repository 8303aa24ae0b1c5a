"""Vectorized sampling helpers shared by the generators.

They exist so that no generator needs a Python loop per row: choosing an
item per event from a group whose membership depends on the event's date
(an account that already existed, a rep employed at that moment) is done
with sorted keys and `searchsorted`, or with a small weight matrix per chunk.
"""

from __future__ import annotations

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator per component, so that changing one leaves the others alone."""
    salt = int.from_bytes(name.encode("utf-8")[:16].ljust(16, b"\0"), "little")
    return np.random.default_rng([seed, salt])


def largest_remainder(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Split `total` into integers proportional to `weights`, each at least `minimum`."""
    weights = np.asarray(weights, dtype=np.float64)
    base = np.full(weights.size, minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest <= 0:
        return base
    share = weights / weights.sum() * rest
    floor = np.floor(share).astype(np.int64)
    left = rest - floor.sum()
    order = np.argsort(-(share - floor), kind="stable")
    floor[order[:left]] += 1
    return base + floor


def lognormal(
    rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int
) -> np.ndarray:
    """Lognormal draws given the median rather than the log-mean."""
    return np.asarray(median) * np.exp(rng.normal(0.0, sigma, size))


def pick_eligible(
    rng: np.random.Generator,
    item_group: np.ndarray,
    item_key: np.ndarray,
    item_weight: np.ndarray | None,
    event_group: np.ndarray,
    event_key: np.ndarray,
) -> np.ndarray:
    """For each event, a random item of its group whose key is <= the event's key.

    Typical use: an account of the rep's territory created on or before the
    activity date. Items are drawn with probability proportional to
    `item_weight` (uniform when None). Returns item positions in the input
    arrays, or -1 when the group holds no eligible item.
    """
    item_group = np.asarray(item_group, dtype=np.int64)
    item_key = np.asarray(item_key, dtype=np.int64)
    event_group = np.asarray(event_group, dtype=np.int64)
    event_key = np.asarray(event_key, dtype=np.int64)
    if item_key.size == 0:
        return np.full(event_key.size, -1, dtype=np.int64)
    low = min(int(item_key.min()), int(event_key.min(initial=item_key.min())))
    span = max(int(item_key.max()), int(event_key.max(initial=item_key.max()))) - low + 1
    combined = item_group * span + (item_key - low)
    order = np.argsort(combined, kind="stable")
    sorted_keys = combined[order]
    weights = np.ones(order.size) if item_weight is None else np.asarray(item_weight)[order]
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    lo = np.searchsorted(sorted_keys, event_group * span, side="left")
    hi = np.searchsorted(sorted_keys, event_group * span + (event_key - low), side="right")
    target = cum[lo] + rng.random(lo.size) * (cum[hi] - cum[lo])
    pos = np.searchsorted(cum, target, side="right") - 1
    pos = np.clip(pos, lo, np.maximum(hi - 1, lo)).clip(0, order.size - 1)
    return np.where(hi > lo, order[pos], -1)


def choose_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of a non-negative weight matrix (-1 where a row is all zero)."""
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1]
    target = rng.random(weights.shape[0]) * total
    idx = np.minimum((cum <= target[:, None]).sum(axis=1), weights.shape[1] - 1)
    return np.where(total > 0, idx, -1)


def choice(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """Category indices drawn with probabilities `p` (normalized here)."""
    p = np.asarray(p, dtype=np.float64)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(size), side="right").clip(
        0, p.size - 1
    )


def group_rank(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within each run of equal `keys` in the given (stable, grouped) order."""
    keys = np.asarray(keys)
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.concatenate([[True], sk[1:] != sk[:-1]])
    first = np.maximum.accumulate(np.where(starts, np.arange(sk.size), 0))
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(sk.size) - first
    return rank


def id_strings(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Identifiers such as SO-0001234, from integers."""
    digits = np.strings.zfill(
        np.asarray(numbers, dtype=np.int64).astype(np.dtypes.StringDType()), width
    )
    return np.strings.add(prefix, digits)
