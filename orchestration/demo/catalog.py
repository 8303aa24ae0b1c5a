"""The product catalogue, production resources and the hidden demand model.

Products come in families (the S&OP planning level) with family-specific
prices, margins, routing hours, lead times and seasonal peaks. Families share
production resources, so a peak in one family competes for hours with
another. The demand model (`Catalog.mean_demand`: units per product, region
and month, history and future) is the truth behind the order history, the
inventory levels and the capacity sizing, which is what makes those files
consistent with each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.demo.names import REGIONS
from orchestration.demo.sampling import choice, id_strings, largest_remainder, lognormal
from orchestration.demo.timeline import MISSING, NEVER, Timeline

# fmt: off
#: name, category, price, margin, hours per unit, lead time (days), seasonal peak
#: month, seasonal amplitude, sourcing, resource type, SKU weight.
#: Ordered so that the first few families already cover every resource type.
FAMILIES: tuple[tuple, ...] = (
    ("Centrifugal Pumps", "Fluid Handling", 1850, 0.42, 2.4, 28, 6, 0.25, "make", "ASM", 1.2),
    ("Ball Valves", "Flow Control", 240, 0.38, 0.45, 14, 5, 0.12, "make", "MCH", 1.3),
    ("Industrial Filters", "Filtration", 420, 0.36, 0.7, 14, 3, 0.20, "make", "FAB", 1.0),
    ("Pressure Sensors", "Instrumentation", 310, 0.52, 0.25, 35, 10, 0.08, "buy", "ELX", 1.0),
    ("Filter Cartridges", "Filtration", 45, 0.55, 0.06, 7, 11, 0.10, "make", "PKG", 1.4),
    ("Motor Drives", "Drives & Controls", 2100, 0.40, 1.6, 49, 11, 0.22, "make", "ELX", 0.9),
    ("Control Valves", "Flow Control", 2600, 0.45, 3.1, 42, 9, 0.10, "make", "MCH", 0.8),
    ("Heat Exchangers", "Thermal", 5200, 0.33, 6.5, 56, 10, 0.30, "make", "FAB", 0.6),
    ("Gear Motors", "Drives & Controls", 980, 0.36, 2.0, 42, 7, 0.15, "make", "ASM", 0.9),
    ("Seal Kits", "Spare Parts", 65, 0.62, 0.08, 10, 1, 0.05, "make", "PKG", 1.2),
    ("Flow Meters", "Instrumentation", 1450, 0.50, 1.1, 35, 10, 0.10, "buy", "ELX", 0.8),
    ("Dosing Pumps", "Fluid Handling", 890, 0.47, 1.5, 21, 4, 0.15, "make", "ASM", 0.8),
    ("Chillers", "Thermal", 8800, 0.30, 9.5, 63, 5, 0.35, "make", "FAB", 0.5),
    ("Actuators", "Flow Control", 720, 0.41, 1.0, 28, 9, 0.12, "make", "MCH", 0.9),
    ("Spare Impellers", "Spare Parts", 160, 0.58, 0.3, 14, 2, 0.06, "make", "MCH", 0.9),
    ("Level Transmitters", "Instrumentation", 640, 0.50, 0.4, 35, 10, 0.08, "buy", "ELX", 0.7),
    ("Screw Compressors", "Air Systems", 11500, 0.32, 12.0, 70, 4, 0.20, "make", "ASM", 0.5),
    ("Air Dryers", "Air Systems", 2300, 0.37, 2.8, 42, 6, 0.30, "make", "FAB", 0.6),
    ("Hose Assemblies", "Fittings", 85, 0.45, 0.15, 7, 5, 0.10, "make", "PKG", 1.0),
    ("Pipe Fittings", "Fittings", 28, 0.50, 0.03, 7, 4, 0.12, "buy", "PKG", 1.2),
    ("Booster Sets", "Fluid Handling", 4200, 0.36, 5.0, 49, 7, 0.25, "make", "ASM", 0.6),
    ("Check Valves", "Flow Control", 180, 0.40, 0.35, 14, 5, 0.10, "make", "MCH", 0.9),
    ("PLC Controllers", "Drives & Controls", 1650, 0.48, 0.8, 42, 11, 0.15, "buy", "ELX", 0.6),
    ("Strainers", "Filtration", 260, 0.40, 0.5, 14, 3, 0.15, "make", "FAB", 0.8),
)
# fmt: on

RESOURCE_TYPES = ("ASM", "MCH", "FAB", "ELX", "PKG")
#: Demand share of each region (same order as names.REGIONS).
REGION_DEMAND = np.array([0.32, 0.24, 0.28, 0.16])
_VARIANTS = ("", " HD", " Plus", " SS", " ATEX", " Compact", " Pro")


@dataclass
class Catalog:
    """Products, resources and the demand truth (`mean_demand[p, region, month]`)."""

    table: dict[str, np.ndarray]
    families: tuple[str, ...]
    family: np.ndarray
    price: np.ndarray
    hours: np.ndarray
    lead_time: np.ndarray
    resource: np.ndarray
    resource_ids: np.ndarray
    buy: np.ndarray
    launch_day: np.ndarray
    end_day: np.ndarray
    launch_month: np.ndarray
    end_month: np.ndarray
    slow_mover: np.ndarray
    mean_demand: np.ndarray
    dispersion: np.ndarray

    @property
    def n(self) -> int:
        """Number of products."""
        return self.price.size

    def sellable(self, month: int, horizon: int = 2) -> np.ndarray:
        """Products that can be quoted in grid month `month`: launched, not ending soon."""
        return (self.launch_month < month) & (self.end_month > month + horizon)


def build_catalog(rng: np.random.Generator, tl: Timeline, scale: float) -> Catalog:
    """Products, resources and mean demand for `scale` (1 = ~200 SKUs, 9 families, 7 resources)."""
    n_fam = int(np.clip(round(9 * scale**0.25), 5, len(FAMILIES)))
    fams = FAMILIES[:n_fam]
    n_prod = max(20, round(200 * scale))
    fam_type = np.array([RESOURCE_TYPES.index(f[9]) for f in fams])
    used_types = np.unique(fam_type)
    n_res = max(int(np.clip(round(7 * scale**0.25), 4, 16)), used_types.size)

    # Resources: split across the used types in proportion to their families.
    type_count = np.array([(fam_type == t).sum() for t in used_types])
    res_per_type = largest_remainder(type_count, n_res, minimum=1)
    res_type = np.repeat(used_types, res_per_type)
    res_num = np.concatenate([np.arange(1, k + 1) for k in res_per_type])
    resource_ids = np.strings.add(
        np.strings.add(np.asarray(RESOURCE_TYPES, dtype=np.dtypes.StringDType())[res_type], "-"),
        np.strings.zfill(res_num.astype(np.dtypes.StringDType()), 2),
    )
    # Each family: a primary line and an overflow line of its resource type.
    fam_rank = np.array([(fam_type[:k] == fam_type[k]).sum() for k in range(n_fam)])
    first_res = np.searchsorted(res_type, fam_type)
    n_of_type = res_per_type[np.searchsorted(used_types, fam_type)]
    primary = first_res + fam_rank % n_of_type
    secondary = first_res + (fam_rank + 1) % n_of_type

    counts = largest_remainder(np.array([f[10] for f in fams]), n_prod, minimum=3)
    family = np.repeat(np.arange(n_fam), counts)
    rank_in_family = np.concatenate([np.arange(c) for c in counts])
    f_price, f_margin, f_hours, f_lead, f_peak, f_amp = (
        np.array([f[k] for f in fams], dtype=np.float64) for k in (2, 3, 4, 5, 6, 7)
    )

    raw_price = lognormal(rng, f_price[family], 0.45, n_prod)
    step = 5.0 * 10.0 ** (np.floor(np.log10(raw_price)) - 2)
    price = np.round(np.ceil(raw_price / step) * step, 2)
    margin = np.clip(f_margin[family] * lognormal(rng, 1.0, 0.12, n_prod), 0.15, 0.75)
    cost = np.round(price * (1 - margin), 2)
    hours = np.round(
        np.maximum(
            f_hours[family] * (price / f_price[family]) ** 0.7 * lognormal(rng, 1.0, 0.15, n_prod),
            0.01,
        ),
        3,
    )
    lead_time = np.round(f_lead[family] * rng.uniform(0.8, 1.3, n_prod)).astype(np.int64)
    resource = np.where(rng.random(n_prod) < 0.75, primary[family], secondary[family])
    buy = np.array([f[8] == "buy" for f in fams])[family]

    # Life cycle: most products predate history; some launch during it, some reach end of life.
    # Kinds: 0 mature, 1 launched during history, 2 end of life in history, 3 end of life soon.
    # Counts are fixed shares (at least one each), so even a small demo shows every case.
    per_kind = [max(1, round(share * n_prod)) for share in (0.12, 0.05, 0.04)]
    kind = np.zeros(n_prod, dtype=np.int64)
    kind[rng.permutation(n_prod)[: sum(per_kind)]] = np.repeat([1, 2, 3], per_kind)
    launch_month = np.where(kind == 1, rng.integers(6, tl.n_hist - 1, n_prod), -1)
    end_month = np.select(
        [kind == 2, kind == 3],
        [
            rng.integers(12, tl.n_hist - 2, n_prod),
            rng.integers(tl.n_hist + 1, tl.n_hist + 10, n_prod),
        ],
        NEVER,
    )
    in_grid_start = tl.month_start[np.clip(launch_month, 0, tl.n_total - 1)]
    launch_day = np.where(
        kind == 1,
        in_grid_start + rng.integers(0, 28, n_prod),
        tl.hist_start - rng.integers(365, 10 * 365, n_prod),
    )
    launch_month = np.where(kind == 1, launch_month, -1)
    end_day = np.where(
        end_month < NEVER,
        tl.month_start[np.clip(end_month, 0, tl.n_total - 1)] + rng.integers(0, 20, n_prod),
        NEVER,
    )

    # Demand truth: level x regional share x trend x seasonality x life cycle.
    slow = np.zeros(n_prod, bool)
    slow[rng.permutation(n_prod)[: max(3, round(0.15 * n_prod))]] = True
    level = 5000.0 / price**0.65 * lognormal(rng, 1.0, 0.9, n_prod) * np.where(slow, 0.04, 1.0)
    share = rng.dirichlet(12 * REGION_DEMAND, n_prod)
    share[rng.random(n_prod) < 0.1, 3] = 0.0
    share /= share.sum(axis=1, keepdims=True)
    months = np.arange(tl.n_total)
    growth = np.clip(rng.normal(0.05, 0.08, n_prod), -0.15, 0.3)
    trend = (1 + growth[:, None]) ** ((months[None, :] - tl.n_hist + 1) / 12)
    amp = f_amp[family] * rng.uniform(0.7, 1.3, n_prod)
    peak = f_peak[family] + rng.integers(-1, 2, n_prod)
    season = 1 + amp[:, None] * np.cos(2 * np.pi * (tl.cal_month[None, :] - peak[:, None]) / 12)
    since_launch = months[None, :] - launch_month[:, None]
    ramp_up = np.where(launch_month[:, None] >= 0, np.clip(since_launch / 6, 0, 1) ** 1.3, 1.0)
    to_end = end_month[:, None] - months[None, :]
    ramp_down = np.clip(to_end / 7, 0, 1)
    life = ramp_up * ramp_down
    mean = level[:, None, None] * share[:, :, None] * (trend * season * life)[:, None, :]
    dispersion = np.where(slow, 0.7, 5.0)

    table = {
        "product_id": id_strings("SKU-", 10001 + np.arange(n_prod), 5),
        "product_name": _product_names(rng, fams, family, rank_in_family),
        "family": np.asarray([f[0] for f in fams], dtype=np.dtypes.StringDType())[family],
        "category": np.asarray([f[1] for f in fams], dtype=np.dtypes.StringDType())[family],
        "unit_price": price,
        "unit_cost": cost,
        "resource_id": resource_ids[resource],
        "hours_per_unit": hours,
        "lead_time_days": lead_time,
        "launch_date": launch_day,
        "end_date": np.where(end_day == NEVER, MISSING, end_day),
    }
    return Catalog(
        table=table,
        families=tuple(f[0] for f in fams),
        family=family,
        price=price,
        hours=hours,
        lead_time=lead_time,
        resource=resource,
        resource_ids=resource_ids,
        buy=buy,
        launch_day=launch_day,
        end_day=end_day,
        launch_month=launch_month,
        end_month=end_month,
        slow_mover=slow,
        mean_demand=mean,
        dispersion=dispersion,
    )


def _product_names(
    rng: np.random.Generator, fams: tuple[tuple, ...], family: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """'Centrifugal Pump CP-120 HD': family noun, family code, model size, variant."""
    singular = np.asarray([_singular(f[0]) for f in fams], dtype=np.dtypes.StringDType())[family]
    code = np.asarray(
        ["".join(w[0] for w in f[0].split()[:2]).upper() for f in fams],
        dtype=np.dtypes.StringDType(),
    )[family]
    # Model sizes increase within a family, so names are unique.
    step = rng.integers(1, 5, family.size) * 5
    total = np.cumsum(step)
    size = 10 + total - (total - step)[rank == 0][family]
    variant = np.asarray(_VARIANTS, dtype=np.dtypes.StringDType())[
        choice(rng, [0.55, 0.1, 0.1, 0.08, 0.07, 0.05, 0.05], family.size)
    ]
    model = np.strings.add(np.strings.add(code, "-"), size.astype(np.dtypes.StringDType()))
    return np.strings.add(np.strings.add(np.strings.add(singular, " "), model), variant)


def _singular(family: str) -> str:
    """'Hose Assemblies' -> 'Hose Assembly', 'Centrifugal Pumps' -> 'Centrifugal Pump'."""
    return family[:-3] + "y" if family.endswith("ies") else family.removesuffix("s")


def sample_units(
    rng: np.random.Generator, catalog: Catalog, n_months: int, share: np.ndarray | float = 1.0
) -> np.ndarray:
    """Units per product, region and history month: gamma-Poisson around `share` (a number,
    or one per product) of the mean, rare tenders."""
    mean = catalog.mean_demand[:, :, :n_months] * np.reshape(share, (-1, 1, 1))
    k = catalog.dispersion[:, None, None]
    rate = rng.gamma(np.broadcast_to(k, mean.shape), 1.0) / k * mean
    tender = rng.random(mean.shape) < 0.006
    rate = rate * np.where(tender, rng.uniform(2.0, 4.0, mean.shape), 1.0)
    return rng.poisson(rate)


__all__ = ["REGIONS", "Catalog", "build_catalog", "sample_units"]
