"""The sales organisation: reps, territories and accounts, and who works when.

The organisation is built from seats: a VP, one manager per team, account
executives (AE) and sales development reps (SDR). Each AE seat owns one
territory. Some seats changed hands during history (the leaver gets an
end_date, the successor a later hire_date), some were created mid-history
(growth hires), and a few reps took a leave of a few months. Every other
generator asks this module who was employed, ramping or on leave at a given
time, so nothing is ever credited to a rep outside their employment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.demo.names import (
    COMPANY_FIRST,
    COMPANY_SECOND,
    COMPANY_THIRD,
    FIRST_NAMES,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    LAST_NAMES,
    LEGAL_SUFFIX,
    REGIONS,
    SUBGEOS,
    combine_unique,
)
from orchestration.demo.sampling import (
    choice,
    choose_rows,
    group_rank,
    id_strings,
    largest_remainder,
)
from orchestration.demo.timeline import DAY, MISSING, NEVER, Timeline, next_weekday

ROLE_AE, ROLE_SDR, ROLE_MGR = 0, 1, 2
ROLES = ("AE", "SDR", "Manager")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
#: Territory kinds: the three segments, and "General" for a lone AE covering everything.
KINDS = (*SEGMENTS, "General")
#: Segment mix of the accounts of each territory kind.
KIND_MIX = np.array([[1.0, 0.0, 0.0], [0.15, 0.85, 0.0], [0.0, 0.1, 0.9], [0.5, 0.35, 0.15]])
KIND_ACCOUNTS = np.array([55, 28, 12, 40])
KIND_POTENTIAL = np.array([1.4e6, 2.8e6, 6.0e6, 2.4e6])
REGION_HEADCOUNT = np.array([0.30, 0.24, 0.28, 0.18])
REGION_POTENTIAL = np.array([1.1, 1.0, 0.95, 0.8])
_NAME_GROUP = np.array([0, 0, 1, 2])  # name pools: Americas, EMEA, APAC


@dataclass
class Org:
    """Output tables plus the hidden attributes the other generators need (by row position)."""

    reps: dict[str, np.ndarray]
    territories: dict[str, np.ndarray]
    accounts: dict[str, np.ndarray]
    rep_region: np.ndarray
    rep_role: np.ndarray
    rep_team: np.ndarray
    rep_seat: np.ndarray
    rep_skill: np.ndarray
    rep_hire: np.ndarray
    rep_end: np.ndarray
    rep_territory: np.ndarray
    rep_successor: np.ndarray  # current holder of the rep's seat (the rep itself unless it left)
    employed: np.ndarray  # [rep, month] share of the month employed
    exposure: np.ndarray  # [rep, month] share of the month employed and not on leave
    ramp: np.ndarray  # [rep, month] 0.25, 0.5, 0.75 in the first three months, then 1
    leave: np.ndarray  # [rep, month] on leave
    terr_region: np.ndarray
    terr_kind: np.ndarray
    terr_owner: np.ndarray
    acct_region: np.ndarray
    acct_segment: np.ndarray
    acct_territory: np.ndarray
    acct_created: np.ndarray
    acct_weight: np.ndarray

    @property
    def n_reps(self) -> int:
        """Number of reps."""
        return self.rep_role.size

    def window(
        self, rep: np.ndarray, month: np.ndarray, tl: Timeline
    ) -> tuple[np.ndarray, np.ndarray]:
        """Seconds [lo, hi] of the part of grid month `month` that `rep` was employed."""
        lo = np.maximum(tl.month_start[month], self.rep_hire[rep]) * DAY
        hi = np.minimum(tl.month_start[month + 1], self.rep_end[rep] + 1) * DAY - 60
        return lo, np.minimum(hi, tl.as_of_sec)

    def employed_at(self, rep: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """Whether `rep` was employed at second `ts`."""
        return (self.rep_hire[rep] * DAY <= ts) & (ts < (self.rep_end[rep] + 1) * DAY)


def build_org(rng: np.random.Generator, tl: Timeline, scale: float) -> Org:
    """Reps, territories and accounts for `scale` (1 = ~50 reps in 7 teams, ~1,000 accounts)."""
    headcount = max(12, round(50 * scale))
    n_teams = max(4, round((headcount - 1) / 7))
    team_region = np.repeat(np.arange(4), largest_remainder(REGION_HEADCOUNT, n_teams, minimum=1))
    members = largest_remainder(1 + 0.01 * rng.random(n_teams), headcount - 1 - n_teams, minimum=1)
    sdrs = np.minimum(members - 1, np.round(members * 0.17).astype(np.int64))
    if sdrs.sum() == 0 and members.max() >= 2:
        sdrs[np.argmax(members)] = 1
    aes = members - sdrs

    # Seats: managers, AEs, SDRs, then the VP.
    seat_team = np.concatenate(
        [
            np.arange(n_teams),
            np.repeat(np.arange(n_teams), aes),
            np.repeat(np.arange(n_teams), sdrs),
        ]
    )
    seat_role = np.concatenate(
        [np.full(n_teams, ROLE_MGR), np.full(aes.sum(), ROLE_AE), np.full(sdrs.sum(), ROLE_SDR)]
    )
    seat_team = np.append(seat_team, -1)
    seat_role = np.append(seat_role, ROLE_MGR)
    n_seats = seat_team.size
    vp_seat = n_seats - 1
    seat_region = np.where(seat_team >= 0, team_region[seat_team], 0)

    # Changes: replaced seats (leaver + successor), growth seats (hired mid-history), leaves.
    ae_seats = np.flatnonzero(seat_role == ROLE_AE)
    sdr_seats = np.flatnonzero(seat_role == ROLE_SDR)
    shuffled = rng.permutation(ae_seats)
    n_repl = max(1, round(0.12 * ae_seats.size))
    n_growth = max(1, round(0.10 * ae_seats.size))
    replaced = np.zeros(n_seats, bool)
    growth = np.zeros(n_seats, bool)
    replaced[shuffled[:n_repl]] = True
    growth[shuffled[n_repl : n_repl + n_growth]] = True
    replaced[rng.permutation(sdr_seats)[: round(0.15 * sdr_seats.size)]] = True

    # Current occupants.
    is_mgr = seat_role == ROLE_MGR
    tenure = np.where(
        is_mgr, rng.integers(365, 12 * 365, n_seats), rng.integers(60, 8 * 365, n_seats)
    )
    tenure[vp_seat] = 12 * 365 + 40
    hire = next_weekday(tl.hist_start - tenure)
    growth_month = rng.integers(6, tl.n_hist, n_seats)
    hire = np.where(
        growth, next_weekday(tl.month_start[growth_month] + rng.integers(0, 10, n_seats)), hire
    )
    # Predecessors of replaced seats leave mid-history; successors join a few weeks later.
    pred_end_month = rng.integers(4, tl.n_hist - 5, n_seats)
    pred_end = tl.month_start[pred_end_month] + rng.integers(0, 28, n_seats)
    pred_hire = next_weekday(tl.hist_start - rng.integers(200, 6 * 365, n_seats))
    successor_hire = np.minimum(
        next_weekday(pred_end + rng.integers(14, 75, n_seats)), tl.as_of_day - 5
    )
    hire = np.where(replaced, successor_hire, hire)

    pred_seats = np.flatnonzero(replaced)
    rep_seat = np.concatenate([np.arange(n_seats), pred_seats])
    rep_hire = np.concatenate([hire, pred_hire[pred_seats]])
    rep_end = np.concatenate([np.full(n_seats, NEVER), pred_end[pred_seats]])
    order = np.lexsort((rep_seat, rep_hire))
    rep_seat, rep_hire, rep_end = rep_seat[order], rep_hire[order], rep_end[order]
    n_reps = rep_seat.size
    rep_role = seat_role[rep_seat]
    rep_team = seat_team[rep_seat]
    rep_region = seat_region[rep_seat]
    rep_skill = np.where(
        rep_role == ROLE_MGR, 1.0, np.clip(np.exp(rng.normal(0, 0.22, n_reps)), 0.55, 1.8)
    )
    rep_ids = id_strings("R", np.arange(1, n_reps + 1), 4)

    # Teams and manager hierarchy (managers report to the VP, the VP to nobody).
    team_rank = group_rank(team_region)
    subgeo = np.array(
        [SUBGEOS[r][k % len(SUBGEOS[r])] for r, k in zip(team_region, team_rank, strict=True)]
    )
    suffix = np.where(
        team_rank >= len(SUBGEOS[0]), np.char.add(" ", (team_rank // 6 + 1).astype(str)), ""
    )
    team_names = np.char.add(
        np.char.add(np.char.add(np.asarray(REGIONS)[team_region], " "), subgeo), suffix
    )
    current = rep_end == NEVER
    seat_rep = np.full(n_seats, -1)
    seat_rep[rep_seat[current]] = np.flatnonzero(current)
    manager_of_team = seat_rep[:n_teams]
    vp_rep = seat_rep[vp_seat]
    manager_rep = np.where(rep_role == ROLE_MGR, vp_rep, manager_of_team[np.maximum(rep_team, 0)])
    manager_id = np.where(rep_seat == vp_seat, "", rep_ids[manager_rep])
    team = np.where(rep_team >= 0, team_names[np.maximum(rep_team, 0)], "Sales Leadership")

    names = np.empty(n_reps, dtype=np.dtypes.StringDType())
    group = _NAME_GROUP[rep_region]
    for g in range(3):
        sel = np.flatnonzero(group == g)
        names[sel] = combine_unique(rng, (FIRST_NAMES[g], LAST_NAMES[g]), sel.size)

    # Leave: a few tenured AEs are away two or three whole months.
    leave = np.zeros((n_reps, tl.n_total), bool)
    candidates = np.flatnonzero((rep_role == ROLE_AE) & current & (rep_hire < tl.hist_start))
    n_leave = min(candidates.size, max(1, round(0.04 * ae_seats.size)))
    for rep in rng.choice(candidates, n_leave, replace=False):
        start = int(rng.integers(3, tl.n_hist - 4))
        leave[rep, start : start + int(rng.integers(2, 4))] = True

    employed, ramp = _exposure(tl, rep_hire, rep_end)
    exposure = employed * ~leave

    reps = {
        "rep_id": rep_ids,
        "rep_name": names,
        "team": team.astype(np.dtypes.StringDType()),
        "region": np.asarray(REGIONS, dtype=np.dtypes.StringDType())[rep_region],
        "role": np.asarray(ROLES, dtype=np.dtypes.StringDType())[rep_role],
        "manager_id": manager_id.astype(np.dtypes.StringDType()),
        "hire_date": rep_hire,
        "end_date": np.where(rep_end == NEVER, MISSING, rep_end),
    }

    # Territories: one per AE seat; kinds by position within the team.
    terr_seat = ae_seats
    t_team = seat_team[terr_seat]
    t_rank = group_rank(t_team)
    t_count = aes[t_team]
    n_ent = np.where(t_count >= 3, np.maximum(1, np.round(0.25 * t_count)), 0)
    n_mm = np.where(t_count >= 2, np.maximum(1, np.round(0.35 * t_count)), 0)
    kind = np.select([t_count == 1, t_rank < n_ent, t_rank < n_ent + n_mm], [3, 2, 1], 0)
    same = group_rank(t_team * 4 + kind)
    n_same = np.bincount(t_team * 4 + kind, minlength=n_teams * 4)[t_team * 4 + kind]
    t_name = np.char.add(np.char.add(subgeo[t_team], " "), np.asarray(KINDS)[kind])
    t_name = np.where(
        n_same > 1, np.char.add(np.char.add(t_name, " "), (same + 1).astype(str)), t_name
    )
    n_terr = terr_seat.size
    terr_region = seat_region[terr_seat]
    terr_owner = seat_rep[terr_seat]
    potential = (
        KIND_POTENTIAL[kind] * np.exp(rng.normal(0, 0.25, n_terr)) * REGION_POTENTIAL[terr_region]
    )
    terr_ids = id_strings("T", np.arange(1, n_terr + 1), 3)
    territories = {
        "territory_id": terr_ids,
        "territory_name": t_name.astype(np.dtypes.StringDType()),
        "region": np.asarray(REGIONS, dtype=np.dtypes.StringDType())[terr_region],
        "owner_rep_id": rep_ids[terr_owner],
        "annual_potential": np.round(potential, -4),
    }
    seat_territory = np.full(n_seats, -1)
    seat_territory[terr_seat] = np.arange(n_terr)
    rep_territory = seat_territory[rep_seat]

    # Accounts: a book per territory; most existed before history, some are new logos.
    per_terr = np.round(KIND_ACCOUNTS[kind] * rng.uniform(0.8, 1.2, n_terr)).astype(np.int64)
    a_terr = np.repeat(np.arange(n_terr), per_terr)
    n_acct = a_terr.size
    a_kind = kind[a_terr]
    segment = (
        (rng.random(n_acct)[:, None] > np.cumsum(KIND_MIX[a_kind], axis=1)).sum(axis=1).clip(0, 2)
    )
    old = (rng.random(n_acct) < 0.72) | (group_rank(a_terr) < 3)
    created = np.where(
        old,
        tl.hist_start - rng.integers(30, 6 * 365, n_acct),
        rng.integers(tl.hist_start, tl.as_of_day + 1, n_acct),
    )
    order = np.lexsort((a_terr, created))
    a_terr, segment, created = a_terr[order], segment[order], created[order]
    a_region = terr_region[a_terr]
    base_names = combine_unique(rng, (COMPANY_FIRST, COMPANY_SECOND, COMPANY_THIRD), n_acct)
    legal = np.empty(n_acct, dtype=np.dtypes.StringDType())
    for r in range(4):
        sel = np.flatnonzero(a_region == r)
        legal[sel] = np.asarray(LEGAL_SUFFIX[r], dtype=np.dtypes.StringDType())[
            rng.integers(0, len(LEGAL_SUFFIX[r]), sel.size)
        ]
    accounts = {
        "account_id": id_strings("ACC-", np.arange(1, n_acct + 1), 6),
        "account_name": np.strings.add(np.strings.add(base_names, " "), legal),
        "industry": np.asarray(INDUSTRIES, dtype=np.dtypes.StringDType())[
            choice(rng, INDUSTRY_WEIGHTS, n_acct)
        ],
        "segment": np.asarray(SEGMENTS, dtype=np.dtypes.StringDType())[segment],
        "region": np.asarray(REGIONS, dtype=np.dtypes.StringDType())[a_region],
        "territory_id": terr_ids[a_terr],
        "owner_rep_id": rep_ids[terr_owner[a_terr]],
        "created_date": created,
    }
    acct_weight = np.array([1.0, 3.5, 12.0])[segment] * np.exp(rng.normal(0, 0.8, n_acct))

    return Org(
        reps=reps,
        territories=territories,
        accounts=accounts,
        rep_region=rep_region,
        rep_role=rep_role,
        rep_team=rep_team,
        rep_seat=rep_seat,
        rep_skill=rep_skill,
        rep_hire=rep_hire,
        rep_end=rep_end,
        rep_territory=rep_territory,
        rep_successor=seat_rep[rep_seat],
        employed=employed,
        exposure=exposure,
        ramp=ramp,
        leave=leave,
        terr_region=terr_region,
        terr_kind=kind,
        terr_owner=terr_owner,
        acct_region=a_region,
        acct_segment=segment,
        acct_territory=a_terr,
        acct_created=created,
        acct_weight=acct_weight,
    )


def _exposure(tl: Timeline, hire: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of each grid month employed, and the ramp factor of the first three months."""
    ms = tl.month_start[None, :-1]
    me = tl.month_start[None, 1:]
    overlap = np.clip(np.minimum(me, end[:, None] + 1) - np.maximum(ms, hire[:, None]), 0, None)
    exposure = overlap / (me - ms)
    hire_month = np.where(hire >= tl.hist_start, tl.month_of_day(hire), -100)
    since = np.arange(tl.n_total)[None, :] - hire_month[:, None]
    ramp = np.clip((since + 1) / 4, 0.25, 1.0)
    return exposure, ramp


def pick_reps(
    rng: np.random.Generator,
    org: Org,
    tl: Timeline,
    ts: np.ndarray,
    region: np.ndarray,
    role_weight: tuple[float, float, float],
    prefer: np.ndarray | None = None,
) -> np.ndarray:
    """A rep per event, employed and not on leave at `ts`, preferably in `region`.

    Weights: `role_weight` by role (AE, SDR, Manager), skill and ramp, and a
    strong preference for the event's region and for `prefer` (a rep index or
    -1) when that rep is available. The VP only ever serves as a last resort.
    """
    out = np.empty(ts.size, dtype=np.int64)
    role_w = np.asarray(role_weight)[org.rep_role] * org.rep_skill
    role_w[org.rep_team < 0] = 1e-9
    month = np.clip(tl.month_of_day(ts // DAY), 0, tl.n_total - 1)
    hire_sec = org.rep_hire * DAY
    end_sec = (org.rep_end + 1) * DAY
    chunk = 4096
    for start in range(0, ts.size, chunk):
        sl = slice(start, start + chunk)
        t = ts[sl, None]
        w = (
            role_w[None, :]
            * org.ramp.T[month[sl]]
            * ((hire_sec[None, :] <= t) & (t < end_sec[None, :]) & ~org.leave.T[month[sl]])
            * np.where(org.rep_region[None, :] == region[sl, None], 1.0, 1e-4)
        )
        if prefer is not None:
            p = prefer[sl]
            rows = np.flatnonzero(p >= 0)
            w[rows, p[rows]] *= 50.0
        out[sl] = choose_rows(rng, w)
    return out
