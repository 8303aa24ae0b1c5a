"""What every section of the pack reads: the tables, the run month and the action items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from orchestration.meeting_pack.data import TableSource


@dataclass(frozen=True)
class PackContext:
    """Inputs of one pack; `action_items` is None when planning/action_items.csv is absent.

    `reference_date` is the day items become overdue against: the run month's last day,
    or the `today` the caller passes for a pack rendered mid-month.
    """

    source: TableSource
    run_month: date
    action_items: pd.DataFrame | None
    reference_date: date
