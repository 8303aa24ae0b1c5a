"""Leads, opportunities and their stage history: the CRM funnel.

Leads arrive with seasonality from five sources and go to SDRs (inbound,
events, outbound) or AEs (referrals, partners); they are contacted after
hours or days, qualified or disqualified, and a share of the qualified ones
convert into opportunities. AEs also open opportunities themselves. Every
opportunity then walks the canonical stages with segment-dependent stage
durations, skips, drop-offs, re-scoping and close-date pushes, driven by its
owner's hidden skill. The simulation is cut at the as-of moment: what has not
happened by then is an open deal, whose last history row is its current state.

Deals are for one product and a quantity each. The product is drawn by the
square root of its monthly units in the deal's region, and the quantity is
in proportion to the same root (times a segment size and noise, at most
MAX_DEAL_MONTHS of the region's demand), so the units a product wins follow
its demand. Quantities and amounts are set after the walk, which never
depends on them, and scaled so that the units won during history are
`deal_share` of the catalogue's demand: won deals then become that share of
the order lines (`orchestration.demo.deal_orders`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.demo.catalog import Catalog
from orchestration.demo.org import ROLE_AE, ROLE_SDR, Org, pick_reps
from orchestration.demo.sampling import choice, id_strings, lognormal, pick_eligible
from orchestration.demo.timeline import DAY, MISSING, Timeline, business_hours_after, business_times
from orchestration.landing_contract import CANONICAL_STAGES

LEAD_SOURCES = ("Web", "Referral", "Event", "Outbound", "Partner")
SOURCE_SHARE = np.array([0.40, 0.12, 0.15, 0.22, 0.11])
QUALIFY_RATE = np.array([0.18, 0.45, 0.22, 0.13, 0.35])
#: Lead volume by calendar month: spring and autumn events, quiet August and December.
LEAD_SEASON = np.array([1.05, 1.0, 1.15, 1.0, 1.05, 0.95, 0.85, 0.75, 1.1, 1.2, 1.05, 0.8])
LEADS_PER_AE_MONTH = 9.0
#: Opportunities an AE opens per month, by territory kind (SMB, Mid-Market, Enterprise, General):
#: many small deals in SMB, few large ones in Enterprise.
OPPS_PER_AE_MONTH = np.array([4.5, 2.8, 1.5, 3.0])
#: Deals are simulated from this many days before history, so that history starts with a pipeline.
WARM_UP_DAYS = 240

PROSPECTING, QUALIFICATION, PROPOSAL, NEGOTIATION, WON, LOST = range(6)
PROBABILITY = np.array([10.0, 20.0, 50.0, 75.0, 100.0, 0.0])
FORECAST_CATEGORY = ("Pipeline", "Pipeline", "Best Case", "Commit", "Closed", "Omitted")
#: Median days in each open stage (SMB), stretched for bigger segments.
STAGE_DAYS = np.array([8.0, 12.0, 16.0, 12.0])
SEGMENT_PACE = np.array([1.0, 1.5, 2.3])
LOSE_RATE = np.array([0.30, 0.32, 0.27, 0.30])
#: Relative deal size by segment (SMB, Mid-Market, Enterprise), in units of the same product.
DEAL_SIZE = np.array([1.0, 2.5, 6.0])
DISCOUNT = np.array([[0.0, 0.08], [0.04, 0.14], [0.08, 0.22]])
#: Share of EMEA web leads synced from a marketing tool that writes local time with an offset.
OFFSET_SHARE = 0.35
#: Default share of ordered units that come from won deals (the rest is run-rate demand):
#: a B2B mix of quoted projects and new accounts beside repeat and spare-part orders.
DEFAULT_DEAL_SHARE = 0.4
#: The most units one deal quotes, in months of the product's demand in the deal's region.
MAX_DEAL_MONTHS = 6.0
#: Days from a deal's close date to the middle of its orders (`deal_orders`).
ORDER_LAG_DAYS = 21


@dataclass(frozen=True)
class WonDeals:
    """Every deal won up to the as-of date, also those closed before history (not in the files).

    `opportunity_id` is empty for a deal won before history starts: the CRM
    files keep only the deals still open then, but its orders may fall in history.
    """

    opportunity_id: np.ndarray
    account: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    amount: np.ndarray
    close_day: np.ndarray


@dataclass
class Pipeline:
    """Leads, opportunities, history, plus per-opportunity facts for activities and quotas."""

    leads: dict[str, np.ndarray]
    lead_offsets: dict[str, np.ndarray]
    opportunities: dict[str, np.ndarray]
    history: dict[str, np.ndarray]
    opp_owner: np.ndarray
    opp_account: np.ndarray
    opp_segment: np.ndarray
    opp_created: np.ndarray  # seconds
    opp_last: np.ndarray  # seconds: closing moment, or the as-of moment when open
    opp_won: np.ndarray
    opp_closed: np.ndarray
    opp_amount: np.ndarray
    opp_close_day: np.ndarray
    won: WonDeals


def build_pipeline(
    rng: np.random.Generator,
    tl: Timeline,
    org: Org,
    catalog: Catalog,
    deal_share: float = DEFAULT_DEAL_SHARE,
) -> Pipeline:
    """Simulate the funnel over the history of `tl`, deals sized for `deal_share` of demand.

    A share of 0 (won deals do not become orders) sizes deals as the default
    share does, so the CRM is the same as the default demo's.
    """
    lead = _leads(rng, tl, org)

    # Opportunities: converted leads, AE-sourced ones, and the warm-up pipeline.
    conv = np.flatnonzero(lead["convert"])
    own_rep, own_ts = _ae_sourced(rng, tl, org)
    warm_rep, warm_ts = _warm_up(rng, tl, org)
    n_own = own_rep.size + warm_rep.size
    owner = np.concatenate([lead["opp_owner"][conv], own_rep, warm_rep])
    created = np.concatenate([lead["opp_ts"][conv], own_ts, warm_ts])
    text = np.dtypes.StringDType()
    source = np.concatenate(
        [
            np.asarray(LEAD_SOURCES, dtype=text)[lead["source"][conv]],
            np.where(rng.random(n_own) < 0.4, "Outbound", "").astype(text),
        ]
    )
    from_lead = np.concatenate([conv, np.full(n_own, -1)])
    start = np.concatenate(
        [
            np.where(rng.random(conv.size) < 0.5, QUALIFICATION, PROSPECTING),
            np.zeros(n_own, np.int64),
        ]
    )

    # Account: one of the owner's territory that existed at creation (region-wide for non-AEs).
    day = created // DAY
    terr = org.rep_territory[owner]
    account = pick_eligible(
        rng, org.acct_territory, org.acct_created, None, np.maximum(terr, 0), day
    )
    by_region = pick_eligible(
        rng, org.acct_region, org.acct_created, None, org.rep_region[owner], day
    )
    account = np.where(terr >= 0, account, by_region)
    keep = account >= 0
    owner, created, source, from_lead, start, account = (
        a[keep] for a in (owner, created, source, from_lead, start, account)
    )
    segment = org.acct_segment[account]
    month = np.maximum(tl.month_of_day(created // DAY), 0)
    region = org.acct_region[account]
    size = lognormal(rng, DEAL_SIZE[segment], 0.6, segment.size) * org.rep_skill[owner] ** 0.3
    walk = _walk(rng, tl, created, start, segment, org.rep_skill[owner])
    # Products and quantities follow demand in the month the deal would be ordered (the
    # walk is done, so its close date is known), which keeps each product's seasonality.
    ordered = np.clip(tl.month_of_day(walk["close"] + ORDER_LAG_DAYS), 0, tl.n_total - 1)
    product = _products(rng, catalog, month, ordered, region)
    regional = catalog.mean_demand[product, region, ordered]  # the product's units a month there
    cap = np.maximum(1, np.round(MAX_DEAL_MONTHS * regional))
    # Deals are scaled so that the units won during history are the share of demand.
    share = deal_share if deal_share > 0 else DEFAULT_DEAL_SHARE
    won = _won_in_history(walk, tl)
    units = size * np.sqrt(regional)
    scale = _scale(walk, won, units, cap, share * catalog.mean_demand[:, :, : tl.n_hist].sum())
    sim = _size(walk, units * scale, start, catalog.price[product], cap)

    # The warm-up only contributes deals still open when history starts.
    rows = sim["rows"]
    keep = (sim["stage"] < WON) | (sim["last_ts"] >= tl.hist_start * DAY)
    order = np.flatnonzero(keep)[np.lexsort((owner[keep], created[keep]))]
    position = np.full(keep.size, -1)
    position[order] = np.arange(order.size)
    in_rows = keep[rows["opp"]]
    rows = {k: v[in_rows] for k, v in rows.items()}
    rows["opp"] = position[rows["opp"]]
    row_order = np.lexsort((rows["ts"], rows["opp"]))
    rows = {k: v[row_order] for k, v in rows.items()}
    account_all, product_all = account, product
    owner, created, source, from_lead, account, segment, product = (
        a[order] for a in (owner, created, source, from_lead, account, segment, product)
    )
    stage_now, amount_now, close_now, qty_now, last_ts = (
        sim[k][order] for k in ("stage", "amount", "close", "quantity", "last_ts")
    )
    n = order.size
    closed = stage_now >= WON
    won = stage_now == WON
    last = np.where(closed, last_ts, tl.as_of_sec)

    # Deals of a rep who left are taken over by the seat's successor (or a colleague).
    gone = ~org.employed_at(owner, last)
    if gone.any():
        owner[gone] = pick_reps(
            rng,
            org,
            tl,
            last[gone],
            org.rep_region[owner[gone]],
            (1.0, 1e-3, 1e-6),
            prefer=org.rep_successor[owner[gone]],
        )

    opp_ids = id_strings("OPP-", np.arange(1, n + 1), 6)
    stage_names = np.asarray(CANONICAL_STAGES, dtype=np.dtypes.StringDType())
    opportunities = {
        "opportunity_id": opp_ids,
        "account_id": org.accounts["account_id"][account],
        "owner_rep_id": org.reps["rep_id"][owner],
        "product_id": catalog.table["product_id"][product],
        "created_date": created // DAY,
        "close_date": close_now,
        "stage": stage_names[stage_now],
        "amount": amount_now,
        "quantity": qty_now.astype(np.float64),
        "is_closed": closed,
        "is_won": won,
        "probability": PROBABILITY[stage_now],
        "forecast_category": np.asarray(FORECAST_CATEGORY, dtype=np.dtypes.StringDType())[
            stage_now
        ],
        "lead_source": source,
    }
    h_opp = rows["opp"]
    history = {
        "opportunity_id": opp_ids[h_opp],
        "stage": stage_names[rows["stage"]],
        "entered_at": rows["ts"],
        "amount": rows["amount"],
        "close_date": rows["close"],
    }

    # Link converted leads to their opportunity.
    lead_opp = np.full(lead["source"].size, "", dtype=np.dtypes.StringDType())
    linked = from_lead >= 0
    lead_opp[from_lead[linked]] = opp_ids[linked]
    leads = lead["table"]
    leads["opportunity_id"] = lead_opp
    won_ever = np.flatnonzero(sim["stage"] == WON)
    in_files = position[won_ever]
    won_deals = WonDeals(
        opportunity_id=np.where(in_files >= 0, opp_ids[np.maximum(in_files, 0)], ""),
        account=account_all[won_ever],
        product=product_all[won_ever],
        quantity=sim["quantity"][won_ever],
        amount=sim["amount"][won_ever],
        close_day=sim["close"][won_ever],
    )
    return Pipeline(
        leads=leads,
        lead_offsets=lead["offsets"],
        opportunities=opportunities,
        history=history,
        opp_owner=owner,
        opp_account=account,
        opp_segment=segment,
        opp_created=created,
        opp_last=last,
        opp_won=won,
        opp_closed=closed,
        opp_amount=amount_now,
        opp_close_day=close_now,
        won=won_deals,
    )


def _opps_per_month(org: Org) -> np.ndarray:
    """Base rate of self-sourced opportunities per rep and month (zero for non-AEs)."""
    kind = org.terr_kind[np.maximum(org.rep_territory, 0)]
    return np.where(
        (org.rep_role == ROLE_AE) & (org.rep_territory >= 0), OPPS_PER_AE_MONTH[kind], 0.0
    )


def _ae_sourced(rng: np.random.Generator, tl: Timeline, org: Org) -> tuple[np.ndarray, np.ndarray]:
    """Owner and creation moment of opportunities AEs open themselves during history."""
    rate = (
        _opps_per_month(org)[:, None]
        * (org.rep_skill**0.6)[:, None]
        * (org.ramp * org.exposure)[:, : tl.n_hist]
        * LEAD_SEASON[tl.cal_month[: tl.n_hist] - 1][None, :] ** 0.5
    )
    cell = np.repeat(np.arange(rate.size), rng.poisson(rate).ravel())
    rep, month = cell // tl.n_hist, cell % tl.n_hist
    lo, hi = org.window(rep, month, tl)
    return rep, business_times(rng, lo, hi)


def _warm_up(rng: np.random.Generator, tl: Timeline, org: Org) -> tuple[np.ndarray, np.ndarray]:
    """Opportunities created in the months before history, so history starts with a pipeline."""
    lo_day = np.maximum(org.rep_hire, tl.hist_start - WARM_UP_DAYS)
    span = np.clip(tl.hist_start - lo_day, 0, None)
    eligible = (org.rep_role == ROLE_AE) & (org.rep_end >= tl.hist_start)
    # Lead conversions are not simulated before history: their share is added to the rate.
    rate = np.where(eligible, (_opps_per_month(org) + 1.2) * org.rep_skill**0.6 * span / 30.4, 0.0)
    rep = np.repeat(np.arange(org.n_reps), rng.poisson(rate))
    return rep, business_times(rng, lo_day[rep] * DAY, tl.hist_start * DAY - 60)


def _leads(rng: np.random.Generator, tl: Timeline, org: Org) -> dict:
    """Leads in created order, with what the opportunity generator needs for conversions."""
    ae_months = (org.exposure[:, : tl.n_hist] * (org.rep_role == ROLE_AE)[:, None]).astype(
        np.float64
    )
    per_region = np.stack([ae_months[org.rep_region == r].sum(axis=0) for r in range(4)])
    lam = LEADS_PER_AE_MONTH * per_region * LEAD_SEASON[tl.cal_month[: tl.n_hist] - 1][None, :]
    cell = np.repeat(np.arange(lam.size), rng.poisson(lam).ravel())
    region, month = cell // tl.n_hist, cell % tl.n_hist
    n = cell.size
    source = choice(rng, SOURCE_SHARE, n)
    lo = tl.month_start[month] * DAY
    hi = np.minimum(tl.month_start[month + 1] * DAY - 60, tl.as_of_sec)
    anytime = lo + (rng.random(n) * (hi - lo) // 60).astype(np.int64) * 60
    created = np.where((source == 0) & (rng.random(n) < 0.6), anytime, business_times(rng, lo, hi))
    order = np.argsort(created, kind="stable")
    region, month, source, created = region[order], month[order], source[order], created[order]

    inbound = np.isin(source, [0, 2, 3])
    owner = np.empty(n, dtype=np.int64)
    owner[inbound] = pick_reps(rng, org, tl, created[inbound], region[inbound], (0.15, 1.0, 1e-6))
    owner[~inbound] = pick_reps(
        rng, org, tl, created[~inbound], region[~inbound], (1.0, 0.05, 1e-6)
    )
    skill = org.rep_skill[owner]
    limit = np.minimum(tl.as_of_sec, (org.rep_end[owner] + 1) * DAY - 60)

    median_hours = np.where(org.rep_role[owner] == ROLE_SDR, 2.5, 8.0) / skill
    median_hours = np.where(source == 3, 0.3, median_hours)
    delay = np.round(lognormal(rng, median_hours, 1.3, n) * 60).astype(np.int64) * 60 + 60
    contact = business_hours_after(rng, created + delay)
    contacted = (rng.random(n) < np.where(source == 3, 0.97, 0.88)) & (contact <= limit)

    r = rng.random(n)
    q = QUALIFY_RATE[source] * skill**0.3
    qualified_at = business_hours_after(
        rng, contact + np.round(lognormal(rng, 4.0, 0.8, n) * 24 * 60).astype(np.int64) * 60
    )
    qualified = contacted & (r < q) & (qualified_at <= limit)
    disqualified = contacted & ~qualified & (r >= q) & (r < q + 0.5)
    age = (tl.as_of_sec - created) / DAY
    stale = ~qualified & ~disqualified & (age > 75) & (rng.random(n) < 0.8)
    disqualified |= stale
    status = np.where(qualified, "qualified", np.where(disqualified, "disqualified", "open"))

    convert = qualified & (rng.random(n) < 0.72)
    opp_ts = business_times(rng, qualified_at, qualified_at + 3 * DAY)
    convert &= opp_ts <= tl.as_of_sec
    opp_owner = np.full(n, -1)
    prefer = np.where(org.rep_role[owner] == ROLE_AE, owner, -1)
    opp_owner[convert] = pick_reps(
        rng, org, tl, opp_ts[convert], region[convert], (1.0, 1e-3, 1e-6), prefer=prefer[convert]
    )
    convert &= org.rep_role[np.maximum(opp_owner, 0)] == ROLE_AE

    # A marketing-automation sync writes some EMEA web leads in local time (CET/CEST).
    summer = (tl.cal_month[month] >= 4) & (tl.cal_month[month] <= 10)
    offset = np.where(
        (region == 2) & (source == 0) & (rng.random(n) < OFFSET_SHARE),
        np.where(summer, 120, 60),
        np.iinfo(np.int16).min,
    ).astype(np.int16)
    table = {
        "lead_id": id_strings("LEAD-", np.arange(1, n + 1), 7),
        "created_at": created,
        "lead_source": np.asarray(LEAD_SOURCES, dtype=np.dtypes.StringDType())[source],
        "owner_rep_id": org.reps["rep_id"][owner],
        "first_contact_at": np.where(contacted, contact, MISSING),
        "status": status.astype(np.dtypes.StringDType()),
        "qualified_at": np.where(qualified, qualified_at, MISSING),
    }
    offsets = {"created_at": offset, "first_contact_at": offset, "qualified_at": offset}
    return {
        "table": table,
        "offsets": offsets,
        "source": source,
        "convert": convert,
        "opp_ts": opp_ts,
        "opp_owner": opp_owner,
    }


def _products(
    rng: np.random.Generator,
    catalog: Catalog,
    month: np.ndarray,
    ordered: np.ndarray,
    region: np.ndarray,
) -> np.ndarray:
    """A product sellable in the created `month` per opportunity, weighted by the square root
    of its units in the deal's region in the month it would be `ordered`.

    Deals quote units in proportion to the same square root (`build_pipeline`),
    so the units a product wins follow its demand, and every product can expect
    the same share of its demand from deals: the big sellers in many deals of
    moderate size, the slow ones in a few relatively big ones.
    """
    out = np.zeros(month.size, dtype=np.int64)
    root = np.sqrt(catalog.mean_demand)
    key = (month * root.shape[2] + ordered) * root.shape[1] + region
    by_key = np.argsort(key, kind="stable")
    for sel in np.split(by_key, np.flatnonzero(np.diff(key[by_key])) + 1):
        if sel.size:
            m, o, r = month[sel[0]], ordered[sel[0]], region[sel[0]]
            sellable = catalog.sellable(int(m), horizon=3)
            w = sellable * root[:, r, o]
            out[sel] = choice(rng, w if w.any() else sellable, sel.size)
    return out


def _walk(
    rng: np.random.Generator,
    tl: Timeline,
    created: np.ndarray,
    start: np.ndarray,
    segment: np.ndarray,
    skill: np.ndarray,
) -> dict:
    """Walk every opportunity through the stages until it closes or the as-of moment.

    Nothing here depends on the deal's product or size, so `_size` can set
    quantities and amounts afterwards. Returned per opportunity: final
    `stage`, `close` day, `last_ts`, the `scope` factor of its re-scoping at
    Proposal (1 when it never got there); and `rows`, its history: opp,
    stage, ts, close, discount in force, whether re-scoped by then, and
    whether the row is the loss.
    """
    n = created.size
    pace = SEGMENT_PACE[segment]
    disc = rng.uniform(DISCOUNT[segment, 0], DISCOUNT[segment, 1])
    scope = np.ones(n)
    remaining = np.cumsum(STAGE_DAYS[::-1])[::-1]  # median days left from each open stage
    day0 = created // DAY
    close = day0 + np.round(remaining[start] * pace * lognormal(rng, 1.0, 0.35, n)).astype(np.int64)
    close = _snap_month_end(rng, tl, close, 0.4)

    rows_opp = [np.arange(n)]
    rows_stage = [start.copy()]
    rows_ts = [created.copy()]
    rows_close = [close.copy()]
    rows_disc = [disc.copy()]
    rows_scoped = [np.zeros(n, bool)]
    rows_lost = [np.zeros(n, bool)]
    stage, ts = start.copy(), created.copy()
    alive = np.ones(n, bool)
    lose_rate = np.clip(LOSE_RATE[None, :] / skill[:, None] ** 0.6, 0.05, 0.8)
    for _ in range(5):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        s = stage[idx]
        r = rng.random(idx.size)
        p_lose = lose_rate[idx, s]
        lose = r < p_lose
        nxt = np.where(lose, LOST, s + 1)
        nxt = np.where(~lose & (s == NEGOTIATION), WON, nxt)
        nxt = np.where(~lose & (s == PROPOSAL) & (r < p_lose + 0.05), WON, nxt)
        nxt = np.where(~lose & (s == PROSPECTING) & (r < p_lose + 0.05), PROPOSAL, nxt)
        nxt = np.where(~lose & (s == QUALIFICATION) & (r < p_lose + 0.09), NEGOTIATION, nxt)
        days = lognormal(rng, STAGE_DAYS[s] * pace[idx], 0.6, idx.size) * np.where(lose, 1.4, 1.0)
        day = (ts[idx] + (days * DAY).astype(np.int64)) // DAY
        new_ts = business_times(rng, day * DAY, day * DAY + DAY - 60)
        new_ts = np.where(new_ts <= ts[idx], ts[idx] + rng.integers(5, 120, idx.size) * 60, new_ts)
        happened = new_ts <= tl.as_of_sec
        alive[idx[~happened]] = False
        idx, nxt, new_ts, lose = idx[happened], nxt[happened], new_ts[happened], lose[happened]

        # Re-scoping at proposal, extra discount in negotiation, exact amounts after prospecting.
        rescope = nxt == PROPOSAL
        scope[idx[rescope]] = lognormal(rng, 1.0, 0.15, rescope.sum())
        haggle = (nxt == NEGOTIATION) | (nxt == WON)
        disc[idx[haggle]] = np.minimum(disc[idx[haggle]] + rng.uniform(0, 0.04, haggle.sum()), 0.35)

        new_day = new_ts // DAY
        closes = nxt >= WON
        left = remaining[np.minimum(nxt, NEGOTIATION)]
        estimate_day = new_day + np.round(
            left * pace[idx] * lognormal(rng, 1.0, 0.3, idx.size)
        ).astype(np.int64)
        pushed = estimate_day > close[idx]
        slip = rng.random(idx.size) < 0.08
        estimate_day = np.where(slip, close[idx] + rng.integers(14, 43, idx.size), estimate_day)
        estimate_day = np.where(
            pushed | slip, _snap_month_end(rng, tl, estimate_day, 0.4), close[idx]
        )
        close[idx] = np.where(closes, new_day, estimate_day)
        stage[idx], ts[idx] = nxt, new_ts
        alive[idx[closes]] = False

        rows_opp.append(idx)
        rows_stage.append(nxt)
        rows_ts.append(new_ts)
        rows_close.append(close[idx].copy())
        rows_disc.append(disc[idx].copy())
        rows_scoped.append(scope[idx] != 1.0)  # a deal not re-scoped has scope 1
        rows_lost.append(lose)

    rows = {
        "opp": np.concatenate(rows_opp),
        "stage": np.concatenate(rows_stage),
        "ts": np.concatenate(rows_ts),
        "close": np.concatenate(rows_close),
        "discount": np.concatenate(rows_disc),
        "scoped": np.concatenate(rows_scoped),
        "lost": np.concatenate(rows_lost),
    }
    order = np.lexsort((rows["ts"], rows["opp"]))
    rows = {k: v[order] for k, v in rows.items()}
    return {
        "stage": stage,
        "close": close,
        "last_ts": ts,
        "scope": scope,
        "rows": rows,
    }


def _won_in_history(walk: dict, tl: Timeline) -> np.ndarray:
    """Deals won between the first and the last day of history."""
    close = walk["close"]
    return (walk["stage"] == WON) & (close >= tl.hist_start) & (close <= tl.as_of_day)


def _quantities(walk: dict, units: np.ndarray, cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units first quoted (`units` rounded, 1 to `cap`), and units after the re-scoping at
    Proposal (the same without one)."""
    first = np.clip(np.round(units), 1, cap).astype(np.int64)
    scoped = np.maximum(1, np.round(first * walk["scope"])).astype(np.int64)
    return first, scoped


def _size(
    walk: dict, units: np.ndarray, start: np.ndarray, price: np.ndarray, cap: np.ndarray
) -> dict:
    """Quantities and amounts of the walked deals, quoting `units` (at most `cap`).

    A row's amount is its quantity x unit price less the discount in force,
    except that a deal created in Prospecting starts with a rough estimate
    (to 500) and a lost deal keeps the amount it had.
    """
    first, scoped = _quantities(walk, units, cap)
    rows = walk["rows"]
    opp = rows["opp"]
    qty = np.where(rows["scoped"], scoped[opp], first[opp])
    amount = np.round(qty * price[opp] * (1 - rows["discount"]), 2)
    opening = np.concatenate([[True], opp[1:] != opp[:-1]])
    estimate = np.maximum(500.0, np.round(amount / 500) * 500)
    amount = np.where(opening & (start[opp] == PROSPECTING), estimate, amount)
    lost = np.flatnonzero(rows["lost"])  # never an opening row: the previous row is its deal's
    amount[lost] = amount[lost - 1]
    closing = np.concatenate([opp[1:] != opp[:-1], [True]])
    final = np.zeros(first.size)
    final[opp[closing]] = amount[closing]
    return {
        "stage": walk["stage"],
        "amount": final,
        "close": walk["close"],
        "quantity": scoped,
        "last_ts": walk["last_ts"],
        "rows": {
            "opp": opp,
            "stage": rows["stage"],
            "ts": rows["ts"],
            "amount": amount,
            "close": rows["close"],
        },
    }


def _won_in_history(walk: dict, tl: Timeline) -> np.ndarray:
    """Deals won between the first and the last day of history."""
    close = walk["close"]
    return (walk["stage"] == WON) & (close >= tl.hist_start) & (close <= tl.as_of_day)


def _scale(walk: dict, won: np.ndarray, units: np.ndarray, cap: np.ndarray, target: float) -> float:
    """The multiplier of `units` that makes the `won` deals quote `target` units in all.

    Quantities are whole and capped, so the total grows in steps: the
    multiplier is found by bisection on its logarithm, from the uncapped guess.
    """
    if not won.any() or target <= 0:
        return 1.0
    sub = {"scope": walk["scope"][won]}
    guess = np.log(target / max(float((units[won] * walk["scope"][won]).sum()), 1e-9))
    lo, hi = guess - 3.0, guess + 3.0
    for _ in range(30):
        mid = (lo + hi) / 2
        _, quoted = _quantities(sub, units[won] * np.exp(mid), cap[won])
        lo, hi = (mid, hi) if quoted.sum() < target else (lo, mid)
    return float(np.exp((lo + hi) / 2))


def _snap_month_end(
    rng: np.random.Generator, tl: Timeline, day: np.ndarray, share: float
) -> np.ndarray:
    """Reps like month-end close dates: move a share of `day` to the end of its month."""
    month = np.clip(tl.month_of_day(day), 0, tl.n_total - 1)
    in_grid = (day >= tl.hist_start) & (day < tl.month_start[-1])
    snap = in_grid & (rng.random(day.size) < share)
    return np.where(snap, tl.month_end_day(month), day)
