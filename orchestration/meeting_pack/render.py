"""HTML building blocks of the pack: page shell, tables, tiles, notes and figures.

Everything from the data passes through `html.escape` here (product names, notes,
recommendations are free text typed by people). The page embeds its CSS and one small
script and loads nothing else, so it opens the same from an e-mail attachment, a
shared drive or a browser with no network.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from matplotlib.figure import Figure

from orchestration.meeting_pack import formatting
from orchestration.meeting_pack.charts import figure_svg
from orchestration.meeting_pack.kpis import KpiTile

# A chart counts as drawn when its SVG has a size on screen and more shapes than the
# bare frame of an empty axes: the headless-browser test reads data-drawn.
MIN_DRAWN_SHAPES = 10

CSS = """
:root { --ink: #222; --muted: #666; --line: #ddd; --accent: #1f4e79; --bad: #c62828;
        --good: #2e7d32; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; line-height: 1.4; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 16px; }
header h1 { margin: 0 0 4px; color: var(--accent); }
header p { margin: 0 0 12px; color: var(--muted); }
h2 { color: var(--accent); border-bottom: 1px solid var(--line); padding-bottom: 4px;
     margin-top: 32px; }
h3 { margin: 16px 0 6px; font-size: 1rem; }
nav.toc ol { columns: 2; margin: 0; }
nav.toc a { color: var(--accent); text-decoration: none; }
.summary li { margin-bottom: 4px; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.tile .label { color: var(--muted); font-size: 0.85rem; }
.tile .value { font-size: 1.6rem; font-weight: 600; }
.tile .last { color: var(--muted); font-size: 0.85rem; }
.tile .source { color: var(--muted); font-size: 0.75rem; font-style: italic; }
.delta.good { color: var(--good); } .delta.bad { color: var(--bad); }
table { border-collapse: collapse; font-size: 0.85rem; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left;
         vertical-align: top; }
th { background: #f4f6f8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.overdue td { background: #fdecea; }
.badge { display: inline-block; border-radius: 3px; padding: 0 6px; font-size: 0.75rem;
         font-weight: 600; color: #fff; }
.badge.overdue { background: var(--bad); }
.note { color: var(--muted); font-style: italic; }
figure.chart { margin: 12px 0; }
figure.chart svg { max-width: 100%; height: auto; }
figure.chart figcaption { color: var(--muted); font-size: 0.8rem; }
@media print {
  body { max-width: none; padding: 0; }
  nav.toc { break-after: page; }
  figure.chart, table, .tiles { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

SCRIPT = f"""
window.addEventListener("load", function () {{
  document.querySelectorAll("figure.chart").forEach(function (figure) {{
    var svg = figure.querySelector("svg");
    var box = svg ? svg.getBoundingClientRect() : {{ width: 0, height: 0 }};
    var shapes = svg ? svg.querySelectorAll("path, rect").length
                       - svg.querySelectorAll("defs path, defs rect").length : 0;
    var drawn = box.width > 0 && box.height > 0 && shapes > {MIN_DRAWN_SHAPES};
    figure.setAttribute("data-drawn", drawn ? "yes" : "no");
  }});
}});
"""


@dataclass(frozen=True)
class SectionBody:
    """The HTML of a section's content and the ids of the charts it drew."""

    html: str
    charts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A numbered section of the pack, linked from the table of contents."""

    anchor: str
    title: str
    body: SectionBody


@dataclass(frozen=True)
class Column:
    """A table column; `cell` returns HTML that is already escaped."""

    header: str
    cell: Callable[[pd.Series], str]
    numeric: bool = False


def text_column(
    header: str, key: str, fmt: Callable[[object], str] = formatting.text, numeric: bool = False
) -> Column:
    """A column showing `fmt(row[key])`, escaped."""
    return Column(header, lambda row: html.escape(fmt(row[key])), numeric)


def table_html(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    row_class: Callable[[pd.Series], str] | None = None,
) -> str:
    """A `<table>` of `frame`'s rows with the given columns."""
    head = "".join(
        f'<th{_numeric_class(column)} scope="col">{html.escape(column.header)}</th>'
        for column in columns
    )
    rows = []
    for _, row in frame.iterrows():
        css = row_class(row) if row_class else ""
        cells = "".join(f"<td{_numeric_class(c)}>{c.cell(row)}</td>" for c in columns)
        rows.append(f'<tr class="{css}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _numeric_class(column: Column) -> str:
    return ' class="num"' if column.numeric else ""


def note_html(message: str) -> str:
    """A muted paragraph saying why a section is empty or how to read it."""
    return f'<p class="note">{html.escape(message)}</p>'


def paragraph_html(message: str) -> str:
    """A plain paragraph of escaped text."""
    return f"<p>{html.escape(message)}</p>"


def figure_html(chart_id: str, figure: Figure, caption: str) -> str:
    """A chart as inline SVG wrapped in `<figure class="chart" id="chart-...">`."""
    return (
        f'<figure class="chart" id="chart-{html.escape(chart_id)}">'
        f"{figure_svg(figure, f'chart-{chart_id}')}"
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def tiles_html(tiles: Iterable[KpiTile], run_month: date, last_month: date) -> str:
    """The KPI tiles: value, last month's value and the change."""
    return (
        '<div class="tiles">' + "".join(_tile(t, run_month, last_month) for t in tiles) + "</div>"
    )


def _tile(tile: KpiTile, run_month: date, last_month: date) -> str:
    note = f'<div class="source">{html.escape(tile.note)}</div>' if tile.note else ""
    return (
        f'<div class="tile" id="kpi-{tile.key}">'
        f'<div class="label">{html.escape(tile.label)}</div>{note}'
        f'<div class="value" title="{formatting.month_long(run_month)}">'
        f"{html.escape(tile.format_value(tile.value))}</div>"
        f'<div class="last">{html.escape(formatting.month_short(last_month))}: '
        f"{html.escape(tile.format_value(tile.last))}</div>"
        f'<div class="delta {_direction(tile)}">{html.escape(tile.format_delta())}</div>'
        "</div>"
    )


def _direction(tile: KpiTile) -> str:
    if tile.delta is None or tile.delta == 0 or tile.higher_is_better is None:
        return "neutral"
    return "good" if (tile.delta > 0) == tile.higher_is_better else "bad"


def page_html(
    title: str, run_month: date, generated_at: datetime, sections: Sequence[Section]
) -> str:
    """The whole document: header, table of contents, numbered sections, script."""
    toc = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{n}. {html.escape(s.title)}</h2>{s.body.html}</section>'
        for n, s in enumerate(sections, start=1)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>"
        f"<p>Run month {run_month:%Y-%m} &middot; generated "
        f"{generated_at:%Y-%m-%d %H:%M %Z}</p></header>\n"
        f'<nav class="toc"><h2>Contents</h2><ol>{toc}</ol></nav>\n'
        f"{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
