"""Calls, emails, meetings and demos logged by reps.

Two kinds: activities on a deal (between its creation and its close, by its
owner, more for bigger segments), and prospecting or account work without an
opportunity (volume by role, skill and ramp, on accounts of the rep's
territory, or of the region for SDRs and managers). Nothing is logged outside
a rep's employment or during a leave.
"""

from __future__ import annotations

import numpy as np

from orchestration.demo.org import ROLE_AE, ROLE_MGR, Org
from orchestration.demo.pipeline import Pipeline
from orchestration.demo.sampling import choice, id_strings, lognormal, pick_eligible
from orchestration.demo.timeline import DAY, Timeline, business_times

ACTIVITY_TYPES = ("call", "email", "meeting", "demo")
#: Type mix of deal activities and of account activities by role (AE, SDR, Manager).
DEAL_MIX = np.array([0.30, 0.35, 0.20, 0.15])
ROLE_MIX = np.array([[0.40, 0.45, 0.12, 0.03], [0.55, 0.42, 0.03, 0.0], [0.30, 0.10, 0.60, 0.0]])
#: Account activities per fully ramped month, by role.
ROLE_VOLUME = np.array([40.0, 150.0, 10.0])


def build_activities(
    rng: np.random.Generator, tl: Timeline, org: Org, pipe: Pipeline
) -> dict[str, np.ndarray]:
    """The activities table, in time order."""
    # Deal activities, by the deal's (final) owner while employed.
    owner = pipe.opp_owner
    lo = np.maximum(np.maximum(pipe.opp_created, org.rep_hire[owner] * DAY), tl.hist_start * DAY)
    hi = np.minimum(np.minimum(pipe.opp_last, (org.rep_end[owner] + 1) * DAY - 60), tl.as_of_sec)
    span_days = np.maximum(hi - lo, 0) / DAY
    rate = (
        span_days / 4.5 * np.array([0.8, 1.0, 1.3])[pipe.opp_segment] * org.rep_skill[owner] ** 0.3
    )
    count = np.where(hi > lo, rng.poisson(rate) + 1, 0)
    opp = np.repeat(np.arange(owner.size), count)
    d_ts = business_times(rng, lo[opp], hi[opp])
    d_rep = owner[opp]
    d_type = choice(rng, DEAL_MIX, opp.size)

    # Account activities without a deal.
    role = org.rep_role
    volume = np.where(org.rep_team >= 0, ROLE_VOLUME[role], 0.0)
    skill = np.where(role == ROLE_MGR, 1.0, org.rep_skill**0.5)
    rate = (volume * skill)[:, None] * (org.ramp * org.exposure)[:, : tl.n_hist]
    cell = np.repeat(np.arange(rate.size), rng.poisson(rate).ravel())
    a_rep, a_month = cell // tl.n_hist, cell % tl.n_hist
    wlo, whi = org.window(a_rep, a_month, tl)
    a_ts = business_times(rng, wlo, whi)
    a_day = a_ts // DAY
    terr = org.rep_territory[a_rep]
    in_terr = pick_eligible(
        rng, org.acct_territory, org.acct_created, None, np.maximum(terr, 0), a_day
    )
    in_region = pick_eligible(
        rng, org.acct_region, org.acct_created, None, org.rep_region[a_rep], a_day
    )
    a_acct = np.where((role[a_rep] == ROLE_AE) & (terr >= 0), in_terr, in_region)
    a_type = (rng.random(a_rep.size)[:, None] > np.cumsum(ROLE_MIX[role[a_rep]], axis=1)).sum(
        axis=1
    )
    keep = a_acct >= 0

    rep = np.concatenate([d_rep, a_rep[keep]])
    ts = np.concatenate([d_ts, a_ts[keep]])
    account = np.concatenate([pipe.opp_account[opp], a_acct[keep]])
    kind = np.concatenate([d_type, np.minimum(a_type[keep], 3)])
    opp_id = np.concatenate(
        [
            pipe.opportunities["opportunity_id"][opp],
            np.full(int(keep.sum()), "", dtype=np.dtypes.StringDType()),
        ]
    )
    # Deal activities fall inside the owner's employment already; drop those during a leave.
    month = np.clip(tl.month_of_day(ts // DAY), 0, tl.n_total - 1)
    present = ~org.leave[rep, month]
    rep, ts, account, kind, opp_id = (a[present] for a in (rep, ts, account, kind, opp_id))

    order = np.lexsort((rep, ts))
    rep, ts, account, kind, opp_id = (a[order] for a in (rep, ts, account, kind, opp_id))
    n = rep.size
    duration = np.full(n, np.nan)
    call = kind == 0
    duration[call] = np.clip(np.round(lognormal(rng, 6.0, 0.9, int(call.sum()))), 1, 90)
    meeting = kind == 2
    duration[meeting] = np.array([30.0, 45.0, 60.0, 90.0])[
        choice(rng, [0.4, 0.25, 0.3, 0.05], int(meeting.sum()))
    ]
    demo = kind == 3
    duration[demo] = np.array([45.0, 60.0, 90.0])[choice(rng, [0.3, 0.5, 0.2], int(demo.sum()))]
    return {
        "activity_id": id_strings("ACT-", np.arange(1, n + 1), 8),
        "rep_id": org.reps["rep_id"][rep],
        "account_id": org.accounts["account_id"][account],
        "opportunity_id": opp_id,
        "activity_type": np.asarray(ACTIVITY_TYPES, dtype=np.dtypes.StringDType())[kind],
        "activity_at": ts,
        "duration_minutes": duration,
    }
