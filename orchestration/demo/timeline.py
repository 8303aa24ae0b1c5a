"""The month grid of the demo, and business-hour timestamps drawn on it.

All generators work on plain int64 counts since 1970-01-01 UTC: days for
dates and seconds for timestamps. Integer arithmetic is exact and fully
vectorized, and the writer turns the counts into ISO text (or Parquet types)
in one place. Month `i` of the grid is history for `0 <= i < n_hist` (the
last one is the as-of month) and the future for `n_hist <= i < n_total`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

DAY = 86_400
#: End date of someone or something that has not ended (far beyond any grid).
NEVER = 10_000_000
#: A missing date or timestamp in an output table (written as an empty cell).
MISSING = np.iinfo(np.int64).min
_EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return (d - _EPOCH).days


def _month_key(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month_from_key(key: int) -> date:
    return date(key // 12, key % 12 + 1, 1)


def default_end_month(today: date | None = None) -> date:
    """First day of the last complete calendar month before `today`."""
    today = today or date.today()
    return _month_from_key(_month_key(today) - 1)


@dataclass(frozen=True)
class Timeline:
    """History months ending at the as-of month, plus future months for plans.

    `month_start` has `n_total + 1` entries (day numbers), the last one being
    the first day after the grid, so month `i` is `[month_start[i], month_start[i+1])`.
    """

    end_month: date
    n_hist: int
    n_future: int
    month_start: np.ndarray
    cal_month: np.ndarray
    year: np.ndarray

    @classmethod
    def build(cls, end_month: date, n_hist: int = 36, n_future: int = 24) -> Timeline:
        """The timeline ending at `end_month`, with history and future months around it."""
        first = _month_key(end_month) - n_hist + 1
        keys = np.arange(first, first + n_hist + n_future + 1)
        starts = np.array([day_number(_month_from_key(int(k))) for k in keys], dtype=np.int64)
        return cls(
            end_month=end_month.replace(day=1),
            n_hist=n_hist,
            n_future=n_future,
            month_start=starts,
            cal_month=(keys[:-1] % 12 + 1).astype(np.int64),
            year=(keys[:-1] // 12).astype(np.int64),
        )

    @property
    def n_total(self) -> int:
        """History plus future months."""
        return self.n_hist + self.n_future

    @property
    def hist_start(self) -> int:
        """Day number of the first day of history."""
        return int(self.month_start[0])

    @property
    def as_of_day(self) -> int:
        """Day number of the last day of the as-of month."""
        return int(self.month_start[self.n_hist]) - 1

    @property
    def as_of_sec(self) -> int:
        """Latest timestamp of the as-of month used by the generators (23:59)."""
        return (self.as_of_day + 1) * DAY - 60

    @property
    def days_in_month(self) -> np.ndarray:
        """Days in each month of the timeline."""
        return np.diff(self.month_start)

    def month_of_day(self, days: np.ndarray) -> np.ndarray:
        """Grid month index of day numbers (-1 before the grid, n_total after it)."""
        return np.searchsorted(self.month_start, days, side="right") - 1

    def month_date(self, i: int) -> date:
        """First day of grid month `i` as a date."""
        return _month_from_key(_month_key(self.end_month) - self.n_hist + 1 + i)

    def month_end_day(self, i: np.ndarray | int) -> np.ndarray:
        """Day number of the last day of grid month(s) `i`."""
        return self.month_start[np.asarray(i) + 1] - 1


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def business_times(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Timestamps (seconds) in `[lo, hi]`, mostly on weekdays between 08:00 and 18:00.

    The day is drawn uniformly twice and the first weekday is kept, which
    leaves a realistic few percent of weekend work; times are whole minutes.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    span = (hi - lo).astype(np.float64)
    d1 = (lo + (rng.random(lo.size) * span).astype(np.int64)) // DAY
    d2 = (lo + (rng.random(lo.size) * span).astype(np.int64)) // DAY
    day = np.where((weekday(d1) >= 5) & (weekday(d2) < 5), d2, d1)
    minutes = np.round(8 * 60 + rng.beta(2.2, 2.2, lo.size) * 600).astype(np.int64)
    return np.clip(day * DAY + minutes * 60, lo, hi)


def next_weekday(days: np.ndarray) -> np.ndarray:
    """The same day, or the Monday after it when it falls on a weekend."""
    wd = weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def business_hours_after(rng: np.random.Generator, ts: np.ndarray) -> np.ndarray:
    """`ts` if on a weekday between 08:00 and 18:30, else early on the next business morning."""
    ts = np.asarray(ts, dtype=np.int64)
    day, tod = ts // DAY, ts % DAY
    late = tod > 18 * 3600 + 1800
    off = late | (tod < 8 * 3600) | (weekday(day) >= 5)
    morning = next_weekday(np.where(late, day + 1, day)) * DAY + 8 * 3600
    return np.where(off, morning + rng.integers(0, 76, ts.size) * 60, ts)
