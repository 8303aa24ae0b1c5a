"""Charts of the meeting pack, drawn with matplotlib and embedded as inline SVG.

Inline SVG keeps the pack one self-contained file that prints sharply at any size;
text is drawn as paths (matplotlib's default svg.fonttype), so the reader's machine
needs no font. Figures are built with `matplotlib.figure.Figure`, not pyplot: they
never enter pyplot's global figure registry, so nothing can leak in a long-lived
Dagster process and two packs may render in parallel threads.
"""

from __future__ import annotations

import io
import math
import re

import matplotlib

matplotlib.use("Agg")  # no display on servers and in tests

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from orchestration.meeting_pack import formatting

DEMAND_COLOR = "#333333"
SUPPLY_COLOR = "#1f77b4"
FULFILLED_COLOR = "#2ca02c"
RISK_COLOR = "#c62828"
NAIVE_COLOR = "#999999"

_THOUSANDS = FuncFormatter(lambda value, _position: f"{value:,.0f}")
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_REFERENCE = re.compile(r'((?:xlink:)?href="|url\()#([^")]+)')
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def figure_svg(figure: Figure, chart_id: str) -> str:
    """`figure` as an `<svg>` element to embed in HTML.

    The XML prolog and metadata go (they are invalid or useless inside HTML), and
    every id is renamed to `<chart_id>-<n>`: matplotlib names clip paths and glyphs
    with random or per-font ids that would clash between charts of one page, and
    sequential names make the pack byte-identical between renders of the same data.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = _SVG_METADATA.sub("", svg[svg.index("<svg") :])
    return _scope_ids(svg, chart_id)


def _scope_ids(svg: str, prefix: str) -> str:
    names = {old: f"{prefix}-{n}" for n, old in enumerate(dict.fromkeys(_SVG_ID.findall(svg)))}
    svg = _SVG_ID.sub(lambda match: f'id="{names[match.group(1)]}"', svg)
    return _SVG_REFERENCE.sub(
        lambda match: f"{match.group(1)}#{names.get(match.group(2), match.group(2))}", svg
    )


def _month_axis(axis: Axes, months: list[pd.Timestamp], offset: float = 0.0) -> None:
    """Categorical month ticks ('Jul 25'): even spacing whatever the month lengths.

    `offset` centres the ticks on cells (0.5 for a mesh whose cells span n to n + 1).
    """
    step = max(1, math.ceil(len(months) / 12))
    positions = list(range(0, len(months), step))
    axis.set_xticks([p + offset for p in positions], [f"{months[i]:%b %y}" for i in positions])
    axis.tick_params(axis="x", labelrotation=45 if len(positions) > 6 else 0, labelsize=8)


def _months(frame: pd.DataFrame, column: str = "target_month") -> list[pd.Timestamp]:
    return sorted(pd.to_datetime(frame[column]).unique())


def _style(axis: Axes, title: str) -> None:
    axis.set_title(title, fontsize=10, loc="left")
    axis.grid(axis="y", alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)


def demand_supply_chart(balance: pd.DataFrame) -> Figure:
    """Small multiples, one panel per family: demand, supply and fulfilled by month."""
    families = sorted(balance["family"].unique())
    months = _months(balance)
    columns = min(3, len(families))
    rows = math.ceil(len(families) / columns)
    figure = Figure(figsize=(9, 2.8 * rows + 0.5), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    for axis, family in zip(axes.flat, families, strict=False):
        _family_panel(axis, balance[balance["family"] == family], months, str(family))
    for axis in axes.flat[len(families) :]:
        axis.set_visible(False)
    figure.legend(
        *axes.flat[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=8
    )
    return figure


def _family_panel(axis: Axes, rows: pd.DataFrame, months: list[pd.Timestamp], family: str) -> None:
    by_month = rows.assign(target_month=pd.to_datetime(rows["target_month"])).set_index(
        "target_month"
    )
    by_month = by_month.reindex(months)
    x = np.arange(len(months))
    axis.plot(x, by_month["demand_qty"], color=DEMAND_COLOR, label="demand")
    axis.plot(x, by_month["supply_qty"], color=SUPPLY_COLOR, linestyle="--", label="supply")
    axis.fill_between(
        x, by_month["fulfilled_qty"], color=FULFILLED_COLOR, alpha=0.25, label="fulfilled"
    )
    axis.yaxis.set_major_formatter(_THOUSANDS)
    axis.set_ylim(bottom=0)
    _month_axis(axis, months)
    _style(axis, family)


def revenue_at_risk_chart(risk: pd.DataFrame) -> Figure:
    """Stacked bars of revenue at risk by target month, one colour per family."""
    table = risk.assign(target_month=pd.to_datetime(risk["target_month"])).pivot_table(
        index="target_month", columns="family", values="revenue_at_risk", aggfunc="sum"
    )
    table = table.fillna(0.0).sort_index()
    table = table.loc[:, table.sum() > 0]  # a family with nothing at risk only adds legend
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    axis = figure.subplots()
    x = np.arange(len(table.index))
    bottom = np.zeros(len(table.index))
    colors = matplotlib.colormaps["tab20"].colors
    for n, family in enumerate(table.columns):
        values = table[family].to_numpy()
        axis.bar(x, values, bottom=bottom, color=colors[n % len(colors)], label=str(family))
        bottom += values
    axis.yaxis.set_major_formatter(_THOUSANDS)
    # Set by hand: stacked bars make each bar's base a sticky edge, so autoscaling
    # would put the tallest stack flush with the top of the axes.
    axis.set_ylim(0, max(bottom.max(), 1.0) * 1.1)
    _month_axis(axis, list(table.index))
    axis.legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), title="family", title_fontsize=8
    )
    _style(axis, "Revenue at risk by month and family (baseline)")
    return figure


def scenario_risk_chart(totals: pd.DataFrame) -> Figure:
    """Revenue at risk over the horizon per scenario; baseline in the darker colour."""
    figure = Figure(figsize=(6, 0.5 * len(totals) + 1.2), layout="constrained")
    axis = figure.subplots()
    names = [str(name) for name in totals["scenario"]]
    colors = [RISK_COLOR if name == "baseline" else "#ef9a9a" for name in names]
    y = np.arange(len(names))
    risk = totals["revenue_at_risk"].fillna(0.0).clip(lower=0.0)
    axis.barh(y, risk, color=colors)
    if not (risk > 0).any():
        # All zero: a plain 0..1 axis reads as "nothing at risk", not as "-0, -0, 0".
        axis.set_xlim(0, 1)
        axis.set_xticks([0])
    axis.set_yticks(y, names)
    axis.invert_yaxis()
    axis.xaxis.set_major_locator(MaxNLocator(nbins=5))
    axis.xaxis.set_major_formatter(_THOUSANDS)
    axis.grid(axis="x", alpha=0.3)
    axis.set_title("Revenue at risk by scenario", fontsize=10, loc="left")
    axis.spines[["top", "right"]].set_visible(False)
    return figure


def capacity_chart(utilization: pd.DataFrame) -> Figure:
    """Heatmap of utilization, resource x month; above 100% is red, below 70% green.

    Drawn with pcolormesh, not imshow: imshow embeds a raster image in the SVG,
    which blurs when printed.
    """
    table = utilization.assign(
        target_month=pd.to_datetime(utilization["target_month"])
    ).pivot_table(index="resource_id", columns="target_month", values="utilization")
    table = table.sort_index().sort_index(axis=1)
    values = table.to_numpy(dtype=float)
    figure = Figure(figsize=(9, 0.45 * len(table.index) + 1.6), layout="constrained")
    axis = figure.subplots()
    mesh = axis.pcolormesh(
        np.ma.masked_invalid(values), cmap="RdYlGn_r", vmin=0.4, vmax=1.2, edgecolors="white"
    )
    axis.set_yticks(np.arange(len(table.index)) + 0.5, [str(name) for name in table.index])
    axis.invert_yaxis()
    _month_axis(axis, list(table.columns), offset=0.5)
    if values.size <= 240:
        _annotate_cells(axis, values, mesh)
    figure.colorbar(mesh, ax=axis, format=PercentFormatter(1.0), shrink=0.9)
    axis.set_title("Capacity utilization (baseline)", fontsize=10, loc="left")
    return figure


def _annotate_cells(axis: Axes, values: np.ndarray, mesh: QuadMesh) -> None:
    """Each cell's percentage, in white on the dark ends of the colour scale."""
    for (row, column), value in np.ndenumerate(values):
        if np.isnan(value):
            continue
        red, green, blue, _alpha = mesh.cmap(mesh.norm(value))
        dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.45
        axis.text(
            column + 0.5,
            row + 0.5,
            f"{value:.0%}",
            ha="center",
            va="center",
            size=7,
            color="white" if dark else "black",
        )


def accuracy_chart(trend: pd.DataFrame) -> Figure:
    """1 - WAPE of the forecast (solid) and of seasonal naive (dashed) by month, per lag."""
    months = _months(trend)
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    axis = figure.subplots()
    x_of = {month: n for n, month in enumerate(months)}
    colors = ("#1f77b4", "#ff7f0e", "#9467bd")
    for n, (lag, rows) in enumerate(trend.groupby("lag", sort=True)):
        x = [x_of[month] for month in pd.to_datetime(rows["target_month"])]
        color = colors[n % len(colors)]
        axis.plot(x, rows["accuracy"], marker="o", color=color, label=f"forecast, lag {lag}")
        axis.plot(
            x,
            rows["naive_accuracy"],
            marker=".",
            linestyle="--",
            color=color,
            alpha=0.6,
            label=f"seasonal naive, lag {lag}",
        )
    axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_ylim(0, 1.02)
    _month_axis(axis, months)
    axis.legend(fontsize=8, ncols=2, loc="lower left")
    _style(axis, "Forecast accuracy (1 - WAPE) by target month")
    return figure


def leaderboard_chart(top: pd.DataFrame) -> Figure:
    """Attainment of the top reps as horizontal bars, with the 100% line."""
    figure = Figure(figsize=(7, 0.35 * len(top) + 1.2), layout="constrained")
    axis = figure.subplots()
    labels = [
        formatting.text(name) or str(rep)
        for name, rep in zip(top["rep_name"], top["rep_id"], strict=True)
    ]
    y = np.arange(len(labels))
    attainment = top["attainment"].astype(float)
    colors = [FULFILLED_COLOR if value >= 1 else SUPPLY_COLOR for value in attainment]
    axis.barh(y, attainment, color=colors)
    axis.axvline(1.0, color=DEMAND_COLOR, linewidth=1, linestyle=":")
    axis.set_yticks(y, labels, fontsize=8)
    axis.invert_yaxis()
    axis.xaxis.set_major_formatter(PercentFormatter(1.0))
    axis.grid(axis="x", alpha=0.3)
    axis.set_title("Quota attainment, top reps", fontsize=10, loc="left")
    axis.spines[["top", "right"]].set_visible(False)
    return figure


def coverage_chart(coverage: pd.DataFrame) -> Figure:
    """Company pipeline coverage per quarter as bars, with the 1x line."""
    figure = Figure(figsize=(6, 3), layout="constrained")
    axis = figure.subplots()
    labels = [formatting.quarter(start) for start in coverage["quarter_start"]]
    x = np.arange(len(labels))
    values = coverage["coverage"].astype(float).fillna(0.0)
    axis.bar(x, values, color=SUPPLY_COLOR, width=0.5)
    axis.axhline(1.0, color=DEMAND_COLOR, linewidth=1, linestyle=":")
    axis.set_ylim(0, max(1.2, float(values.max()) * 1.15))
    axis.set_xticks(x, labels)
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _p: f"{value:.1f}\u00d7"))
    _style(axis, "Company pipeline coverage by quarter")
    return figure
