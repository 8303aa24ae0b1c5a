"""The commission plan of planning/comp_plan.yml: validation, the tier table and the formula.

Commission is paid per rep and month on that month's bookings, in slices like
income-tax brackets: the bookings between `from_attainment x quota` and
`to_attainment x quota` of a tier are paid at the tier's rate. The
accelerator multiplies the rate of every slice at or above its
`from_attainment`; bookings above `cap.max_attainment x quota` earn nothing;
a month without a positive quota (zero or missing: attainment undefined) is
paid `base_rate` flat on all its bookings. Commission is never negative.

`commission` is the reference implementation, written tier by tier from the
plan; `CompPlan.tiers_frame` is the same plan flattened into slices with one
effective rate each, the table (`raw.comp_plan_tiers`) from which dbt's
fct_commissions computes the same amounts in SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pandas as pd
import yaml

SUPPORTED_VERSION = 1

# Column -> pandas dtype of `CompPlan.tiers_frame`; tier_to is NULL for the open-ended slice.
TIER_COLUMNS: dict[str, str] = {
    "tier_number": "int64",
    "tier_from": "float64",
    "tier_to": "Float64",
    "rate": "float64",
    "effective_rate": "float64",
    "base_rate": "float64",
}

_PLAN_KEYS = {"version", "base_rate", "tiers", "accelerator", "cap"}
_TIER_KEYS = {"from_attainment", "to_attainment", "rate"}
_ACCELERATOR_KEYS = {"from_attainment", "multiplier"}
_CAP_KEYS = {"max_attainment"}


class CompPlanError(ValueError):
    """A comp_plan.yml that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Tier:
    """Bookings between from_attainment x quota and to_attainment x quota, paid at `rate`."""

    from_attainment: float
    to_attainment: float | None
    rate: float


@dataclass(frozen=True)
class CompPlan:
    """A validated commission plan (see the module docstring for the formula).

    Attributes
    ----------
    base_rate : float
        Flat rate on all bookings of a month without a positive quota.
    tiers : tuple of Tier
        Ordered, contiguous, starting at attainment 0, the last one open-ended.
    accelerator_from : float or None
        Attainment from which tier rates are multiplied; None for no accelerator.
    accelerator_multiplier : float
        Multiplier of the rates at or above `accelerator_from` (1.0 without accelerator).
    cap : float or None
        Attainment above which bookings earn nothing; None for no cap.
    """

    base_rate: float
    tiers: tuple[Tier, ...]
    accelerator_from: float | None = None
    accelerator_multiplier: float = 1.0
    cap: float | None = None

    def tiers_frame(self) -> pd.DataFrame:
        """The plan as attainment slices with one effective rate each (raw.comp_plan_tiers).

        A tier is split where the accelerator starts inside it and cut at the
        cap; slices above the cap are dropped. `effective_rate` is the tier's
        rate times the accelerator multiplier for slices at or above the
        accelerator, and `base_rate` repeats the plan's base rate on every
        row. The commission of bookings B on a positive quota Q is then the
        sum over rows of max(min(B, tier_to x Q) - tier_from x Q, 0) x
        effective_rate, with no upper bound where tier_to is null.

        Examples
        --------
        >>> plan = CompPlan(0.05, (Tier(0.0, 1.0, 0.04), Tier(1.0, None, 0.06)),
        ...                 accelerator_from=0.8, accelerator_multiplier=2.0, cap=2.0)
        >>> plan.tiers_frame()[["tier_number", "tier_from", "tier_to", "effective_rate"]]
           tier_number  tier_from  tier_to  effective_rate
        0            1        0.0      0.8            0.04
        1            1        0.8      1.0            0.08
        2            2        1.0      2.0            0.12
        """
        rows = []
        for number, tier in enumerate(self.tiers, start=1):
            low, high = tier.from_attainment, tier.to_attainment
            if self.cap is not None:
                if low >= self.cap:
                    break
                high = self.cap if high is None else min(high, self.cap)
            bounds = [low, high]
            accelerator = self.accelerator_from
            inside = accelerator is not None and low < accelerator
            if inside and (high is None or accelerator < high):
                bounds = [low, accelerator, high]
            for start, end in pairwise(bounds):
                accelerated = accelerator is not None and start >= accelerator
                multiplier = self.accelerator_multiplier if accelerated else 1.0
                rows.append((number, start, end, tier.rate, tier.rate * multiplier, self.base_rate))
        frame = pd.DataFrame(rows, columns=list(TIER_COLUMNS))
        return frame.astype(TIER_COLUMNS)


def empty_tiers_frame() -> pd.DataFrame:
    """A tiers frame with no rows and the columns and dtypes of `CompPlan.tiers_frame`.

    For a landing folder without planning/comp_plan.yml (the file is
    optional): raw.comp_plan_tiers still exists, and no commission is computed.
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TIER_COLUMNS.items()})


def commission(bookings: float, quota: float | None, plan: CompPlan) -> float:
    """Commission of one rep-month: marginal tiers, accelerator, cap; base_rate without quota.

    Parameters
    ----------
    bookings : float
        The month's bookings amount; negative bookings earn nothing.
    quota : float or None
        The month's quota amount; None, NaN, zero or negative means no quota.
    plan : CompPlan
        The commission plan.

    Examples
    --------
    Quota 10,000 and bookings 16,000 under the demo plan (tiers 2%, 5%, 5% and
    6% split at 50%, 100% and 150% attainment, accelerator x1.5 from 100%):
    5,000 x 0.02 + 5,000 x 0.05 + 5,000 x 0.05 x 1.5 + 1,000 x 0.06 x 1.5.

    >>> plan = CompPlan(0.05, (Tier(0.0, 0.5, 0.02), Tier(0.5, 1.0, 0.05),
    ...                        Tier(1.0, 1.5, 0.05), Tier(1.5, None, 0.06)),
    ...                 accelerator_from=1.0, accelerator_multiplier=1.5, cap=2.5)
    >>> round(commission(16_000, 10_000, plan), 2)
    815.0
    >>> round(commission(16_000, None, plan), 2)
    800.0
    """
    bookings = max(float(bookings), 0.0)
    if quota is None or math.isnan(float(quota)) or float(quota) <= 0:
        return plan.base_rate * bookings
    quota = float(quota)
    paid_up_to = bookings if plan.cap is None else min(bookings, plan.cap * quota)
    accelerated_from = math.inf if plan.accelerator_from is None else plan.accelerator_from * quota
    total = 0.0
    for tier in plan.tiers:
        low = tier.from_attainment * quota
        high = paid_up_to
        if tier.to_attainment is not None:
            high = min(high, tier.to_attainment * quota)
        if high <= low:
            continue
        plain = max(min(high, accelerated_from) - low, 0.0)
        accelerated = (high - low) - plain
        total += plain * tier.rate + accelerated * tier.rate * plan.accelerator_multiplier
    return total


def load_comp_plan(path: Path | str) -> CompPlan:
    """Read and validate planning/comp_plan.yml.

    Raises
    ------
    CompPlanError
        When the file is not valid YAML, a key is missing, unknown or of the
        wrong type, a rate is negative, the tiers are out of order,
        overlapping, not contiguous, not starting at 0 or not open-ended at
        the end, or the accelerator or cap is not sensible. The message names
        the file and, for a tier, its number (1-based, in file order) and
        bounds.
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CompPlanError(f"{path}: not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CompPlanError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except IsADirectoryError as exc:
        raise CompPlanError(f"{path}: is a folder, not a YAML file") from exc
    return _parse_plan(document, str(path))


def _fail(source: str, message: str) -> CompPlanError:
    return CompPlanError(f"{source}: {message}")


def _mapping(value: object, keys: set[str], required: set[str], where: str, source: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(source, f"{where} must be a mapping with keys {', '.join(sorted(keys))}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise _fail(
            source,
            f"{where} has unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(keys))}",
        )
    missing = sorted(required - set(value))
    if missing:
        raise _fail(source, f"{where} is missing {', '.join(missing)}")
    return value


def _number(value: object, where: str, source: str, minimum: float, strict: bool = False) -> float:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value):
        raise _fail(source, f"{where} must be a number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        bound = "greater than" if strict else "at least"
        raise _fail(source, f"{where} must be {bound} {minimum:g}, got {value!r}")
    return float(value)


def _describe(number: int, tier: Tier) -> str:
    end = "open-ended" if tier.to_attainment is None else f"to_attainment {tier.to_attainment:g}"
    return f"tier {number} (from_attainment {tier.from_attainment:g}, {end})"


def _parse_tier(number: int, value: object, source: str) -> Tier:
    where = f"tier {number}"
    item = _mapping(value, _TIER_KEYS, _TIER_KEYS, where, source)
    start = _number(item["from_attainment"], f"{where} from_attainment", source, 0.0)
    end = item["to_attainment"]
    if end is not None:
        end = _number(end, f"{where} to_attainment", source, 0.0)
        if end <= start:
            raise _fail(
                source,
                f"{where} (from_attainment {start:g}, to_attainment {end:g}): "
                "to_attainment must be greater than from_attainment",
            )
    rate = _number(item["rate"], f"{where} rate", source, 0.0)
    return Tier(start, end, rate)


def _check_tiers(tiers: list[Tier], source: str) -> None:
    for number, (previous, tier) in enumerate(pairwise(tiers), start=2):
        if tier.from_attainment < previous.from_attainment:
            raise _fail(
                source,
                f"{_describe(number, tier)} is listed after {_describe(number - 1, previous)}: "
                "list tiers by ascending from_attainment",
            )
    if tiers[0].from_attainment != 0:
        raise _fail(source, f"{_describe(1, tiers[0])} must start at from_attainment 0")
    for number, (previous, tier) in enumerate(pairwise(tiers), start=2):
        if previous.to_attainment is None:
            raise _fail(
                source, f"{_describe(number - 1, previous)} is open-ended but is not the last tier"
            )
        if tier.from_attainment < previous.to_attainment:
            raise _fail(
                source,
                f"{_describe(number, tier)} overlaps {_describe(number - 1, previous)}: "
                f"it must start at {previous.to_attainment:g}",
            )
        if tier.from_attainment > previous.to_attainment:
            raise _fail(
                source,
                f"{_describe(number, tier)} leaves a gap after {_describe(number - 1, previous)}: "
                f"it must start at {previous.to_attainment:g}",
            )
    if tiers[-1].to_attainment is not None:
        raise _fail(
            source,
            f"{_describe(len(tiers), tiers[-1])} is the last tier and must be open-ended "
            "(to_attainment: null); use cap.max_attainment to stop paying",
        )


def _parse_plan(document: object, source: str) -> CompPlan:
    plan = _mapping(document, _PLAN_KEYS, {"version", "base_rate", "tiers"}, "the plan", source)
    if plan["version"] != SUPPORTED_VERSION:
        raise _fail(source, f"version must be {SUPPORTED_VERSION}, got {plan['version']!r}")
    base_rate = _number(plan["base_rate"], "base_rate", source, 0.0)
    items = plan["tiers"]
    if not isinstance(items, list) or not items:
        raise _fail(source, "tiers must be a non-empty list")
    tiers = [_parse_tier(number, item, source) for number, item in enumerate(items, start=1)]
    _check_tiers(tiers, source)

    accelerator_from, multiplier = None, 1.0
    if plan.get("accelerator") is not None:
        accelerator = _mapping(
            plan["accelerator"], _ACCELERATOR_KEYS, _ACCELERATOR_KEYS, "accelerator", source
        )
        accelerator_from = _number(
            accelerator["from_attainment"], "accelerator from_attainment", source, 0.0
        )
        multiplier = _number(
            accelerator["multiplier"], "accelerator multiplier", source, 0.0, strict=True
        )

    cap = None
    if plan.get("cap") is not None:
        cap_item = _mapping(plan["cap"], _CAP_KEYS, _CAP_KEYS, "cap", source)
        cap = _number(cap_item["max_attainment"], "cap max_attainment", source, 0.0, strict=True)
    return CompPlan(base_rate, tuple(tiers), accelerator_from, multiplier, cap)
