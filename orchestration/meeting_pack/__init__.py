"""The monthly S&OP meeting pack: one self-contained HTML file per run month.

It reads the marts by logical name (`tables` maps each to a relation), so the same
code renders from the warehouse during a run or from the published file afterwards.
Charts are inline SVG, CSS and the one script are embedded: the file opens offline,
prints cleanly and can be mailed as it is.
"""

from orchestration.meeting_pack.action_items import ActionItemsError, read_action_items
from orchestration.meeting_pack.data import PACK_TABLES, TableUnavailable
from orchestration.meeting_pack.kpis import KpiTile
from orchestration.meeting_pack.pack import (
    MeetingPack,
    render_meeting_pack,
    report_path,
    write_meeting_pack,
)

__all__ = [
    "PACK_TABLES",
    "ActionItemsError",
    "KpiTile",
    "MeetingPack",
    "TableUnavailable",
    "read_action_items",
    "render_meeting_pack",
    "report_path",
    "write_meeting_pack",
]
