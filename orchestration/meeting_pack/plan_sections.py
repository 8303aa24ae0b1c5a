"""Sections on the supply side: balance by family, exceptions, revenue at risk,
scenarios and capacity, and forecast accuracy.

Each function returns a section body for the run month of the context; a table that
is not there yet raises TableUnavailable, which the pack turns into a note.
"""

from __future__ import annotations

import html

import pandas as pd

from orchestration.meeting_pack import charts, data, formatting
from orchestration.meeting_pack.context import PackContext
from orchestration.meeting_pack.data import TableUnavailable
from orchestration.meeting_pack.kpis import BACKTEST_NOTE
from orchestration.meeting_pack.render import (
    Column,
    SectionBody,
    figure_html,
    note_html,
    paragraph_html,
    table_html,
    text_column,
)

NO_ACCURACY = "No forecast accuracy yet: actuals arrive after the first forecast month."
NEAR_TERM_MONTHS = 3
ACCURACY_LAGS = (1, 3)
ACCURACY_TABLE_MONTHS = 6
BACKTEST_LAGS = 6


def _quantity(header: str, key: str) -> Column:
    return text_column(header, key, formatting.amount, numeric=True)


def _percent(header: str, key: str) -> Column:
    return text_column(header, key, formatting.ratio, numeric=True)


def _month(header: str = "Month", key: str = "target_month") -> Column:
    return text_column(header, key, formatting.month_short)


def _plan_name(ctx: PackContext) -> str:
    return f"the {formatting.month_long(ctx.run_month)} plan"


def demand_supply_section(ctx: PackContext) -> SectionBody:
    """Demand, supply and fulfilled by family: small multiples, horizon totals, next months."""
    balance = data.family_balance(ctx.source, ctx.run_month)
    if balance.empty:
        return SectionBody(note_html(f"No baseline S&OP summary for {_plan_name(ctx)}."))
    parts = [
        figure_html(
            "demand-supply",
            charts.demand_supply_chart(balance),
            "Demand, supply and fulfilled quantity by family and target month (baseline).",
        ),
        "<h3>Horizon totals by family</h3>",
        table_html(family_totals(balance), _FAMILY_TOTAL_COLUMNS),
        f"<h3>Next {NEAR_TERM_MONTHS} months</h3>",
        table_html(_near_term(balance), _NEAR_TERM_COLUMNS),
    ]
    return SectionBody("".join(parts), ("demand-supply",))


def family_totals(balance: pd.DataFrame) -> pd.DataFrame:
    """Sums over the horizon per family; fill rate as fulfilled / demand of those sums."""
    measures = [
        "demand_qty",
        "supply_qty",
        "fulfilled_qty",
        "shortage_qty",
        "excess_qty",
        "revenue_at_risk",
    ]
    totals = balance.groupby("family", sort=True)[measures].sum().reset_index()
    totals["fill_rate"] = [
        data.ratio(fulfilled, demand)
        for fulfilled, demand in zip(totals["fulfilled_qty"], totals["demand_qty"], strict=True)
    ]
    short = balance[balance["shortage_qty"] > 0]
    totals["first_shortage"] = totals["family"].map(short.groupby("family")["target_month"].min())
    return totals


def _near_term(balance: pd.DataFrame) -> pd.DataFrame:
    months = sorted(balance["target_month"].unique())[:NEAR_TERM_MONTHS]
    return balance[balance["target_month"].isin(months)].sort_values(["target_month", "family"])


_FAMILY_TOTAL_COLUMNS = (
    text_column("Family", "family"),
    _quantity("Demand", "demand_qty"),
    _quantity("Supply", "supply_qty"),
    _quantity("Fulfilled", "fulfilled_qty"),
    _quantity("Shortage", "shortage_qty"),
    _quantity("Excess", "excess_qty"),
    _percent("Fill rate", "fill_rate"),
    _quantity("Revenue at risk", "revenue_at_risk"),
    _month("First shortage", "first_shortage"),
)

_NEAR_TERM_COLUMNS = (
    _month(),
    text_column("Family", "family"),
    _quantity("Demand", "demand_qty"),
    _quantity("Supply", "supply_qty"),
    _quantity("Shortage", "shortage_qty"),
    _quantity("Closing", "closing_qty"),
    text_column("Days of cover", "days_of_cover", formatting.days, numeric=True),
    _percent("Fill rate", "fill_rate"),
    text_column("Recommendation", "recommendation"),
)


def exceptions_section(ctx: PackContext) -> SectionBody:
    """The baseline exceptions to act on, highest priority first."""
    exceptions = data.top_exceptions(ctx.source, ctx.run_month)
    if exceptions.empty:
        return SectionBody(note_html(f"No exceptions in the baseline of {_plan_name(ctx)}."))
    intro = paragraph_html(
        f"The {len(exceptions)} baseline exceptions with the highest priority "
        "(shortages to expedite, excess to slow down, plans to review); an action that "
        "repeats for a product in consecutive months is one row with its months. Actions "
        "below the materiality thresholds are not raised."
    )
    exceptions["month_range"] = [
        formatting.month_range(first, last)
        for first, last in zip(exceptions["first_month"], exceptions["last_month"], strict=True)
    ]
    return SectionBody(intro + table_html(exceptions, _EXCEPTION_COLUMNS))


_EXCEPTION_COLUMNS = (
    text_column("Priority", "priority", formatting.amount, numeric=True),
    text_column("Months", "month_range"),
    text_column("Family", "family"),
    text_column("Product", "product_id"),
    text_column("Action", "action", formatting.label),
    text_column("Detail", "detail"),
    _quantity("Quantity", "quantity"),
    _quantity("Revenue at risk", "revenue_at_risk"),
    text_column("Reference", "reference"),
)


def revenue_at_risk_section(ctx: PackContext) -> SectionBody:
    """Baseline revenue at risk: the total, a chart by month and family, totals by family."""
    risk = data.revenue_at_risk(ctx.source, ctx.run_month)
    if risk.empty:
        return SectionBody(note_html(f"No baseline supply plan for {_plan_name(ctx)}."))
    total = float(risk["revenue_at_risk"].sum())
    headline = paragraph_html(
        f"Revenue at risk over the baseline horizon: {formatting.amount(total)} "
        "(shortage x unit price)."
    )
    if total <= 0:
        return SectionBody(headline + note_html("The baseline plan meets all demand."))
    by_family = (
        risk.groupby("family", sort=True)[["shortage_qty", "revenue_at_risk"]].sum().reset_index()
    )
    parts = [
        headline,
        figure_html(
            "revenue-at-risk",
            charts.revenue_at_risk_chart(risk),
            "Revenue at risk by target month, stacked by family (baseline).",
        ),
        table_html(by_family, _RISK_COLUMNS),
    ]
    return SectionBody("".join(parts), ("revenue-at-risk",))


_RISK_COLUMNS = (
    text_column("Family", "family"),
    _quantity("Shortage", "shortage_qty"),
    _quantity("Revenue at risk", "revenue_at_risk"),
)


def scenarios_section(ctx: PackContext) -> SectionBody:
    """Scenario totals and their revenue at risk, then baseline capacity utilization."""
    parts: list[str] = []
    drawn: list[str] = []
    for build in (_scenario_totals_part, _capacity_part):
        try:
            html, chart_ids = build(ctx)
        except TableUnavailable as missing:
            html, chart_ids = note_html(str(missing)), ()
        parts.append(html)
        drawn.extend(chart_ids)
    return SectionBody("".join(parts), tuple(drawn))


def _scenario_totals_part(ctx: PackContext) -> tuple[str, tuple[str, ...]]:
    totals = data.scenario_totals(ctx.source, ctx.run_month)
    if totals.empty:
        return note_html(f"No supply plan for {_plan_name(ctx)}."), ()
    figure = figure_html(
        "scenario-revenue-at-risk",
        charts.scenario_risk_chart(totals),
        "Revenue at risk over the horizon by scenario.",
    )
    return table_html(totals, _SCENARIO_COLUMNS) + figure, ("scenario-revenue-at-risk",)


_SCENARIO_COLUMNS = (
    text_column("Scenario", "scenario"),
    _quantity("Demand", "demand_qty"),
    _quantity("Fulfilled", "fulfilled_qty"),
    _quantity("Shortage", "shortage_qty"),
    _quantity("Revenue at risk", "revenue_at_risk"),
    _percent("Fill rate", "fill_rate"),
)


def _capacity_part(ctx: PackContext) -> tuple[str, tuple[str, ...]]:
    utilization = data.capacity_utilization(ctx.source, ctx.run_month)
    heading = "<h3>Capacity utilization (baseline)</h3>"
    if utilization.empty:
        return heading + note_html(f"No capacity plan for {_plan_name(ctx)}."), ()
    over = utilization[utilization["utilization"] > 1.0]
    summary = paragraph_html(
        f"{len(over)} resource-month{'s' if len(over) > 1 else ''} above 100% of available hours."
        if len(over)
        else "No resource is planned above its available hours."
    )
    figure = figure_html(
        "capacity-utilization",
        charts.capacity_chart(utilization),
        "Planned hours / available hours by resource and month (baseline).",
    )
    return heading + summary + figure, ("capacity-utilization",)


def forecast_accuracy_section(ctx: PackContext) -> SectionBody:
    """Accuracy of the forecast and of seasonal naive by target month at lags 1 and 3."""
    try:
        trend = data.accuracy_trend(ctx.source, ctx.run_month, ACCURACY_LAGS)
    except TableUnavailable:
        trend = pd.DataFrame()
    if trend.empty:
        return _backtest_section(ctx)
    parts = [
        paragraph_html(
            "Accuracy = max(0, 1 - WAPE) over all products; the dashed lines are the "
            "seasonal-naive forecast, the benchmark the method has to beat."
        ),
        figure_html(
            "forecast-accuracy",
            charts.accuracy_chart(trend),
            "Forecast accuracy (1 - WAPE) by target month, lags 1 and 3.",
        ),
        table_html(_recent_accuracy(trend), _accuracy_columns(trend)),
    ]
    return SectionBody("".join(parts), ("forecast-accuracy",))


def _backtest_section(ctx: PackContext) -> SectionBody:
    """Before any snapshot has actuals: the forecast's own held-out backtest by lag."""
    try:
        backtest = data.backtest_by_lag(ctx.source, ctx.run_month, BACKTEST_LAGS)
    except TableUnavailable:
        backtest = pd.DataFrame()
    if backtest.empty:
        return SectionBody(note_html(NO_ACCURACY))
    origins = (
        formatting.month_short(backtest["first_origin_month"].min()),
        formatting.month_short(backtest["last_origin_month"].max()),
    )
    origin_text = origins[0] if origins[0] == origins[1] else f"{origins[0]} to {origins[1]}"
    parts = [
        note_html(f"{BACKTEST_NOTE.capitalize()}."),
        paragraph_html(
            f"No forecast of an earlier run has actuals yet, so this is the forecast method "
            f"scored on months it did not see: {int(backtest['series'].max())} products cut "
            f"at {origin_text} and forecast from there (fct_forecast_backtest). Accuracy = "
            "max(0, 1 - WAPE); naive is the seasonal-naive forecast from the same origins; "
            "FVA = naive WAPE - forecast WAPE."
        ),
        table_html(
            backtest,
            [
                text_column("Lag", "lag", formatting.amount, numeric=True),
                _quantity("Products", "series"),
                _percent("Accuracy", "accuracy"),
                _percent("Naive accuracy", "naive_accuracy"),
                _percent("Bias", "bias"),
                text_column("FVA", "fva", formatting.signed_points, numeric=True),
            ],
        ),
    ]
    return SectionBody("".join(parts))


def _recent_accuracy(trend: pd.DataFrame) -> pd.DataFrame:
    wide = trend.pivot_table(
        index="target_month", columns="lag", values=["accuracy", "naive_accuracy"]
    )
    wide.columns = [f"{measure}_{lag}" for measure, lag in wide.columns]
    return wide.sort_index(ascending=False).head(ACCURACY_TABLE_MONTHS).reset_index()


def _accuracy_columns(trend: pd.DataFrame) -> list[Column]:
    columns = [_month("Target month")]
    for lag in sorted(trend["lag"].unique()):
        columns.append(_optional_percent(f"Lag {lag}", f"accuracy_{lag}"))
        columns.append(_optional_percent(f"Naive, lag {lag}", f"naive_accuracy_{lag}"))
    return columns


def _optional_percent(header: str, key: str) -> Column:
    """A percentage column whose key may be absent: pivot_table drops all-NULL columns."""

    def cell(row: pd.Series) -> str:
        return html.escape(formatting.ratio(row.get(key)))

    return Column(header, cell, numeric=True)
