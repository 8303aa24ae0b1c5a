"""Charts for Dagster asset metadata: PNG images inlined in markdown.

The Dagster UI renders markdown metadata, including images given as data
URIs, so a chart needs no file server and no network. Images are kept small
(about 30 KB) because metadata is stored with every materialization.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display on servers and in tests

import matplotlib.pyplot as plt
import pandas as pd


def _markdown_image(figure: plt.Figure, title: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![{title}](data:image/png;base64,{encoded})"


def forecast_chart(
    history: pd.Series, forecast: pd.DataFrame, title: str, coverages: tuple[int, ...] = (80, 95)
) -> str:
    """History, point forecast and interval bands of one series, as markdown.

    Parameters
    ----------
    history : Series
        Actual quantity indexed by month (Timestamp).
    forecast : DataFrame
        target_month, forecast_qty, naive_qty and lower_<c>/upper_<c> for each coverage.
    """
    figure, axis = plt.subplots(figsize=(8, 3.2))
    axis.plot(history.index, history.to_numpy(), color="#333333", label="actual")
    months = pd.to_datetime(forecast["target_month"])
    for coverage, alpha in zip(sorted(coverages, reverse=True), (0.15, 0.3), strict=False):
        axis.fill_between(
            months,
            forecast[f"lower_{coverage}"],
            forecast[f"upper_{coverage}"],
            color="#1f77b4",
            alpha=alpha,
            linewidth=0,
            label=f"{coverage}% interval",
        )
    axis.plot(months, forecast["forecast_qty"], color="#1f77b4", label="forecast")
    if "naive_qty" in forecast:
        axis.plot(
            months, forecast["naive_qty"], color="#999999", linestyle="--", label="seasonal naive"
        )
    axis.set_title(title)
    axis.set_ylabel("units")
    axis.set_ylim(bottom=0)
    axis.legend(loc="upper left", fontsize="small", ncol=5)
    axis.grid(alpha=0.3)
    return _markdown_image(figure, title)


def accuracy_chart(summary: pd.DataFrame, title: str) -> str:
    """WAPE of the forecast and of seasonal naive by lag (portfolio rows), as markdown."""
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.plot(summary["lag"], summary["wape"], marker="o", label="forecast")
    axis.plot(
        summary["lag"],
        summary["naive_wape"],
        marker="o",
        linestyle="--",
        color="#999999",
        label="seasonal naive",
    )
    axis.set_xlabel("lag (months)")
    axis.set_ylabel("WAPE")
    axis.set_ylim(bottom=0)
    axis.set_title(title)
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    return _markdown_image(figure, title)


def utilization_chart(utilization: pd.DataFrame, title: str) -> str:
    """Capacity utilization per resource (rows) and month (columns) as a heatmap, as markdown."""
    grid = utilization.assign(target_month=pd.to_datetime(utilization["target_month"])).pivot(
        index="resource_id", columns="target_month", values="utilization"
    )
    figure, axis = plt.subplots(figsize=(8, 0.35 * len(grid) + 1.2))
    image = axis.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="RdYlGn_r", vmin=0, vmax=1)
    axis.set_yticks(range(len(grid)), [str(r) for r in grid.index], fontsize="small")
    axis.set_xticks(
        range(len(grid.columns)),
        [f"{m:%Y-%m}" for m in grid.columns],
        rotation=90,
        fontsize="small",
    )
    figure.colorbar(image, ax=axis, label="utilization")
    axis.set_title(title)
    return _markdown_image(figure, title)
