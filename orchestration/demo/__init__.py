"""Demo data: a complete, realistic landing folder (SPEC.md section 1) for any scale.

`generate_demo_landing` simulates a mid-sized industrial equipment company:
a sales organisation with hires, leavers and leaves; a CRM funnel from leads
to won and lost deals with stage history; activities and quotas; a product
catalogue on shared production resources; three years of ERP order lines with
trend, seasonality, launches, end-of-life and slow movers; inventory,
capacity and open supply for planning; and the optional planning inputs. It
is deterministic for the same arguments and uses only numpy generators
seeded from `seed`, one independent stream per component.

Orders arise two ways, as in the B2B companies the platform serves: run-rate
orders of repeat customers, and the order lines of won deals (the deal's
account and product, released over the weeks after its close). `deal_share`
sets the share of ordered units that comes from won deals; the total demand
per product keeps the level and seasonality of the catalogue's demand model
whatever the share, and 0 gives orders of run-rate only.
About 1% of order lines come back as returns (negative lines) days to weeks
later, as in any ERP (`returns`).

Scale 1 is about 50 reps and 200 SKUs over 36 months of history; row counts
grow linearly with scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from orchestration.demo.activities import build_activities
from orchestration.demo.bad_rows import choose_bad_rows
from orchestration.demo.catalog import build_catalog
from orchestration.demo.deal_orders import deal_order_lines
from orchestration.demo.org import build_org
from orchestration.demo.pipeline import DEFAULT_DEAL_SHARE, build_pipeline
from orchestration.demo.planning_inputs import (
    ACTION_ITEMS,
    COMP_PLAN_YAML,
    OVERRIDES,
    build_action_items,
    build_overrides,
    scenarios_yaml,
)
from orchestration.demo.quotas import build_quotas
from orchestration.demo.returns import add_returns
from orchestration.demo.sampling import stream
from orchestration.demo.supply import (
    ORDERS,
    build_capacity,
    build_inventory,
    build_open_supply,
    build_orders,
)
from orchestration.demo.timeline import Timeline, default_end_month
from orchestration.demo.writer import write_landing_file
from orchestration.landing_contract import LANDING_FILES

__all__ = ["DEFAULT_DEAL_SHARE", "DemoSummary", "generate_demo_landing"]


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo_landing` wrote.

    `row_counts` holds data rows per file name ("orders", ..., "overrides", "action_items");
    `bad_rows` lists the deliberately malformed cells as (file name, row
    number with the first data row as 1, column name); `deal_share` is the
    share of ordered units on lines that name a won opportunity, as written.
    """

    row_counts: dict[str, int]
    end_month: date
    bad_rows: list[tuple[str, int, str]] = field(default_factory=list)
    deal_share: float = 0.0


def generate_demo_landing(
    landing_dir: Path,
    scale: float = 1.0,
    seed: int = 0,
    end_month: date | None = None,
    file_format: str = "csv",
    bad_rows: bool = True,
    deal_share: float = DEFAULT_DEAL_SHARE,
) -> DemoSummary:
    """Write every landing file of SPEC.md section 1, plus `planning/`, into `landing_dir`.

    Parameters
    ----------
    landing_dir : Path
        Target folder; `crm/`, `supply/` and `planning/` are created in it and
        files of the same names (in either format) are replaced.
    scale : float
        1 = ~50 reps and ~200 SKUs; fractions are allowed (0.2 = ~12 reps, 40 SKUs).
    seed : int
        Seed of every random stream; the same arguments give byte-identical files.
    end_month : date, optional
        First day of the as-of month, the last month of the 36 months of history.
        Default: the last complete calendar month before today.
    file_format : str
        "csv" or "parquet" for `crm/` and `supply/` (`planning/` is always CSV and YAML).
    bad_rows : bool
        Inject a few malformed values (listed in the summary) to demonstrate quarantine.
    deal_share : float
        Share of ordered units that come from won deals, 0 <= deal_share < 1
        (default 0.4, a B2B mix of quoted projects and new accounts beside
        repeat and spare-part orders); the rest is run-rate demand. Deals are
        sized to it; 0 keeps the default deal sizes and orders run-rate only.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
    if not 0 <= deal_share < 1:
        raise ValueError(f"deal_share must be at least 0 and below 1, got {deal_share}")
    as_of = (end_month or default_end_month()).replace(day=1)
    tl = Timeline.build(as_of)

    catalog = build_catalog(stream(seed, "catalog"), tl, scale)
    org = build_org(stream(seed, "org"), tl, scale)
    pipe = build_pipeline(stream(seed, "pipeline"), tl, org, catalog, deal_share)
    deals = (
        deal_order_lines(stream(seed, "deal_orders"), tl, catalog, pipe.won)
        if deal_share > 0
        else None
    )
    orders = add_returns(
        stream(seed, "returns"), tl, build_orders(stream(seed, "orders"), tl, org, catalog, deals)
    )
    tables = {
        "reps": org.reps,
        "territories": org.territories,
        "accounts": org.accounts,
        "leads": pipe.leads,
        "opportunities": pipe.opportunities,
        "opportunity_history": pipe.history,
        "activities": build_activities(stream(seed, "activities"), tl, org, pipe),
        "quotas": build_quotas(tl, org, pipe),
        "products": catalog.table,
        "orders": orders,
        "inventory": build_inventory(stream(seed, "inventory"), tl, catalog),
        "capacity": build_capacity(stream(seed, "capacity"), tl, catalog),
        "open_supply": build_open_supply(stream(seed, "open_supply"), tl, catalog),
    }
    offsets = {"leads": pipe.lead_offsets}
    injections = choose_bad_rows(stream(seed, "bad_rows"), tables) if bad_rows else {}

    landing_dir = Path(landing_dir)
    row_counts: dict[str, int] = {}
    written = {**{spec.name: spec for spec in LANDING_FILES}, ORDERS.name: ORDERS}
    for spec in written.values():
        other = "parquet" if file_format == "csv" else "csv"
        (landing_dir / f"{spec.relative_stem}.{other}").unlink(missing_ok=True)
        table = tables[spec.name]
        write_landing_file(
            landing_dir,
            spec,
            table,
            file_format,
            offsets.get(spec.name),
            injections.get(spec.name, ()),
        )
        row_counts[spec.name] = len(table[spec.columns[0].name])

    overrides = build_overrides(stream(seed, "overrides"), tl, org, catalog)
    write_landing_file(landing_dir, OVERRIDES, overrides, "csv")
    row_counts["overrides"] = len(overrides["month"])
    (landing_dir / "planning" / "scenarios.yml").write_text(
        scenarios_yaml(stream(seed, "scenarios"), tl, catalog), encoding="utf-8"
    )
    (landing_dir / "planning" / "comp_plan.yml").write_text(COMP_PLAN_YAML, encoding="utf-8")
    action_items = build_action_items(stream(seed, "action_items"), tl, org, catalog, overrides)
    write_landing_file(landing_dir, ACTION_ITEMS, action_items, "csv")
    row_counts["action_items"] = len(action_items["title"])

    listed = [
        (name, row + 1, column)
        for name in (spec.name for spec in LANDING_FILES)
        for row, column, _ in sorted(injections.get(name, ()))
    ]
    # Of the units ordered (gross): return lines name no opportunity and do not count.
    ordered = np.maximum(orders["quantity"], 0.0)
    from_deals = orders["opportunity_id"] != ""
    share = float(ordered[from_deals].sum() / max(ordered.sum(), 1.0))
    return DemoSummary(row_counts=row_counts, end_month=as_of, bad_rows=listed, deal_share=share)
