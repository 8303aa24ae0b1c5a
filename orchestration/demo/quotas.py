"""Monthly quotas of account executives.

Only AEs carry a quota: managers and the VP are measured on their team's
roll-up (the sum of their AEs' quotas), so giving them a quota of their own
would count the same target twice; SDRs are measured on leads and meetings.
Quotas are set per territory kind (SMB, Mid-Market, Enterprise, General) and
fiscal year (the calendar year) from what fully ramped AEs of that kind
actually booked, so that typical attainment is near 90% and skill makes the
spread. A rep gets a row for every month of employment through the end of the
fiscal year after the as-of month: 25/50/75% of the full quota in the first
three months, prorated in partial months, zero during a leave.
"""

from __future__ import annotations

import numpy as np

from orchestration.demo.org import ROLE_AE, Org
from orchestration.demo.pipeline import Pipeline
from orchestration.demo.timeline import Timeline

TARGET_ATTAINMENT = 0.9
YEARLY_UPLIFT = 1.08


def build_quotas(tl: Timeline, org: Org, pipe: Pipeline) -> dict[str, np.ndarray]:
    """One row per AE and month employed, through December of the year after the as-of month."""
    n_reps, n_hist = org.n_reps, tl.n_hist
    won = pipe.opp_won
    month = tl.month_of_day(pipe.opp_close_day[won])
    inside = (month >= 0) & (month < n_hist)
    bookings = np.zeros((n_reps, n_hist))
    np.add.at(bookings, (pipe.opp_owner[won][inside], month[inside]), pipe.opp_amount[won][inside])

    ae = org.rep_role == ROLE_AE
    kind = org.terr_kind[np.maximum(org.rep_territory, 0)]
    full = ae[:, None] & (org.exposure[:, :n_hist] >= 1.0) & (org.ramp[:, :n_hist] >= 1.0)
    # Quotas rise by YEARLY_UPLIFT each fiscal year; the level per kind is what
    # fully ramped AEs of that kind booked, in as-of-year money, over the target attainment.
    uplift = YEARLY_UPLIFT ** (tl.year - tl.year[n_hist - 1]).astype(np.float64)
    deflated = bookings / uplift[None, :n_hist]
    overall = deflated[full].mean() if full.any() else 50_000.0
    level = np.empty(4)
    for k in range(4):
        of_kind = full & (kind == k)[:, None]
        level[k] = deflated[of_kind].mean() if of_kind.sum() >= 6 else overall
    quota = (level / TARGET_ATTAINMENT)[:, None] * uplift[None, :]

    last_month = tl.n_hist + int(12 - tl.cal_month[tl.n_hist])
    months = np.arange(last_month + 1)
    amount = quota[kind][:, months] * org.ramp[:, months] * org.exposure[:, months]
    amount = np.round(amount / 500) * 500
    has_row = ae[:, None] & (org.employed[:, months] > 0)
    rep, m = np.nonzero(has_row)
    return {
        "rep_id": org.reps["rep_id"][rep],
        "month": tl.month_start[m],
        "quota_amount": amount[rep, m],
    }
