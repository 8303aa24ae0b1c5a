"""The KPI tiles: six headline numbers of the run month against last month.

Each tile is computed on its own, so a table that is not there yet blanks one tile
("n/a") instead of the whole row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from orchestration.meeting_pack import data, formatting
from orchestration.meeting_pack.data import TableSource, TableUnavailable

Kind = Literal["amount", "ratio"]


@dataclass(frozen=True)
class KpiTile:
    """One headline number; `value` and `last` are None when not available."""

    key: str
    label: str
    kind: Kind
    value: float | None
    last: float | None
    # None where neither direction is good in itself (more stock is not better or worse).
    higher_is_better: bool | None = True
    # Where the numbers come from when it is not the obvious source (the backtest).
    note: str | None = None

    @property
    def delta(self) -> float | None:
        """Value minus last month's, None unless both exist."""
        if self.value is None or self.last is None:
            return None
        return self.value - self.last

    def format_value(self, value: float | None) -> str:
        """`value` in this tile's unit: a whole amount or a percentage."""
        return formatting.amount(value) if self.kind == "amount" else formatting.ratio(value)

    def format_delta(self) -> str:
        """The change: +200 for amounts, +10.6 pp for ratios."""
        if self.kind == "amount":
            return formatting.signed_amount(self.delta)
        return formatting.signed_points(self.delta)


@dataclass(frozen=True)
class _TileSpec:
    key: str
    label: str
    kind: Kind
    measure: Callable[[TableSource, date], float | None]
    higher_is_better: bool | None = True


_TILES = (
    _TileSpec("bookings", "Bookings", "amount", data.bookings),
    _TileSpec("attainment", "Company quota attainment", "ratio", data.company_attainment),
    _TileSpec("win_rate", "Win rate", "ratio", data.win_rate),
    _TileSpec("forecast_accuracy", "Forecast accuracy (lag 1)", "ratio", data.forecast_accuracy),
    _TileSpec("fill_rate", "Projected fill rate", "ratio", data.projected_fill_rate),
    _TileSpec("inventory_value", "Inventory value", "amount", data.inventory_value, None),
)


# Before any forecast snapshot has actuals, accuracy comes from the forecast's own backtest.
BACKTEST_NOTE = "backtest, until real forecast snapshots exist"
_BACKTEST_TILE = _TileSpec(
    "forecast_accuracy", "Forecast accuracy (lag 1)", "ratio", data.backtest_accuracy
)


def previous_month(month: date) -> date:
    """First day of the month before `month`."""
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def kpi_tiles(source: TableSource, run_month: date) -> list[KpiTile]:
    """The tiles of `run_month` with last month's values.

    Forecast accuracy is the backtest's (with its note) until a snapshot has been
    scored, so a first run already shows how accurate the method is.
    """
    last_month = previous_month(run_month)
    backtest = not data.has_forecast_accuracy(source, run_month)
    tiles = []
    for spec in _TILES:
        note = None
        if spec.key == _BACKTEST_TILE.key and backtest:
            spec, note = _BACKTEST_TILE, BACKTEST_NOTE
        tiles.append(
            KpiTile(
                spec.key,
                spec.label,
                spec.kind,
                _measure_or_none(spec.measure, source, run_month),
                _measure_or_none(spec.measure, source, last_month),
                spec.higher_is_better,
                note,
            )
        )
    return tiles


def _measure_or_none(
    measure: Callable[[TableSource, date], float | None], source: TableSource, month: date
) -> float | None:
    try:
        return measure(source, month)
    except TableUnavailable:
        return None
