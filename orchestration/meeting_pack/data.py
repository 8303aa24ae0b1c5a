"""The queries behind the meeting pack, one function per section's numbers.

The pack reads logical table names (`fct_supply_plan`) through a mapping to relations
(`planning.fct_supply_plan` in the warehouse, `marts.fct_supply_plan` in the published
file), so one code path serves both. Aggregation happens in DuckDB, filtered to the run
month, because the plan tables hold every kept run and can be large. Ratios are always
ratios of sums (SPEC.md section 2), never averages of ratios.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from datetime import date

import duckdb
import pandas as pd

BASELINE = "baseline"

# Logical names the pack reads; callers map each to a relation in their connection.
PACK_TABLES: tuple[str, ...] = (
    "fct_supply_plan",
    "fct_capacity_utilization",
    "fct_sop_summary",
    "fct_sop_exceptions",
    "dim_products",
    "fct_rep_kpis_monthly",
    "fct_quota_attainment",
    "fct_leaderboard",
    "fct_pipeline_coverage",
    "fct_forecast_accuracy",
    "fct_forecast_backtest",
)


class TableUnavailable(Exception):
    """A table the pack reads is not mapped, not in the database yet, or lacks a column.

    Sections catch it and say what is missing, so a partial warehouse (the first run,
    a failed planning step) still yields a pack.
    """


class TableSource:
    """Runs the pack's SQL against `con`, with `{logical_name}` placeholders for tables.

    Relations are SQL text from the caller's configuration (like the publisher's
    table map), not data, so they are substituted as they are.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, tables: Mapping[str, str]) -> None:
        self._con = con
        self._tables = dict(tables)
        self._checked: dict[str, str | None] = {}

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Rows of `sql` with each `{name}` replaced by its relation.

        Raises TableUnavailable naming the table when one is missing or lacks a column.
        """
        names = [field for _, field, _, _ in string.Formatter().parse(sql) if field]
        relations = {name: self._relation(name) for name in names}
        try:
            frame = self._con.execute(sql.format(**relations), list(params)).df()
        except duckdb.BinderException as error:
            detail = str(error).splitlines()[0]
            raise TableUnavailable(
                f"{' or '.join(sorted(set(names)))} lacks a column the pack reads: {detail}"
            ) from error
        return _without_nullable_integers(frame)

    def _relation(self, name: str) -> str:
        if name not in self._checked:
            self._checked[name] = self._probe(name)
        relation = self._checked[name]
        if relation is None:
            raise TableUnavailable(f"No {name} table in this database yet.")
        return relation

    def _probe(self, name: str) -> str | None:
        relation = self._tables.get(name)
        if relation is None:
            return None
        try:
            self._con.execute(f"select * from {relation} limit 0")
        except duckdb.CatalogException:
            return None
        return relation


def _without_nullable_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer columns with NULLs as floats with NaN.

    DuckDB hands them over as pandas' nullable Int64, whose pd.NA matplotlib cannot
    plot and a boolean mask cannot index with; the pack only formats and plots them.
    """
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_extension_array_dtype(dtype) and pd.api.types.is_integer_dtype(dtype):
            frame[column] = frame[column].astype("float64")
    return frame


def ratio(numerator: object, denominator: object) -> float | None:
    """numerator / denominator, None when either is NULL or the denominator is not positive."""
    if numerator is None or denominator is None or pd.isna(numerator) or pd.isna(denominator):
        return None
    if float(denominator) <= 0:
        return None
    return float(numerator) / float(denominator)


def bookings(source: TableSource, month: date) -> float | None:
    """Company bookings of `month`: the sum over reps of fct_rep_kpis_monthly."""
    row = source.query(
        "select sum(bookings_amount) as bookings from {fct_rep_kpis_monthly} where month = ?",
        [month],
    ).iloc[0]
    return None if pd.isna(row["bookings"]) else float(row["bookings"])


def win_rate(source: TableSource, month: date) -> float | None:
    """Won / (won + lost) by count over all reps of `month` (a ratio of sums)."""
    row = source.query(
        "select sum(won_count) as won, sum(won_count + lost_count) as closed "
        "from {fct_rep_kpis_monthly} where month = ?",
        [month],
    ).iloc[0]
    return ratio(row["won"], row["closed"])


def company_attainment(source: TableSource, month: date) -> float | None:
    """The company row of fct_quota_attainment for the month."""
    frame = source.query(
        "select attainment from {fct_quota_attainment} "
        "where level = 'company' and period_type = 'month' and period_start = ?",
        [month],
    )
    if frame.empty or pd.isna(frame["attainment"].iloc[0]):
        return None
    return float(frame["attainment"].iloc[0])


def forecast_accuracy(source: TableSource, target_month: date, lag: int = 1) -> float | None:
    """max(0, 1 - WAPE) over all products for one target month and lag."""
    row = source.query(
        "select sum(abs_error) as abs_error, sum(actual_qty) as actual "
        "from {fct_forecast_accuracy} where lag = ? and target_month = ?",
        [lag, target_month],
    ).iloc[0]
    wape = ratio(row["abs_error"], row["actual"])
    return None if wape is None else max(0.0, 1.0 - wape)


def has_forecast_accuracy(source: TableSource, run_month: date) -> bool:
    """True once a kept forecast snapshot has been scored against actuals by `run_month`.

    Until then the pack shows the forecast's own backtest instead (fct_forecast_backtest);
    a warehouse without the table has no scored snapshot either.
    """
    try:
        frame = source.query(
            "select count(*) as scored from {fct_forecast_accuracy} where target_month <= ?",
            [run_month],
        )
    except TableUnavailable:
        return False
    return int(frame["scored"].iloc[0]) > 0


def backtest_accuracy(source: TableSource, run_month: date, lag: int = 1) -> float | None:
    """max(0, 1 - WAPE) over the products of `run_month`'s held-out backtest at `lag`."""
    frame = source.query(
        "select abs_error, actual_qty from {fct_forecast_backtest} "
        "where run_month = ? and level = 'product' and lag = ?",
        [run_month, lag],
    )
    if frame.empty:
        return None
    wape = ratio(frame["abs_error"].iloc[0], frame["actual_qty"].iloc[0])
    return None if wape is None else max(0.0, 1.0 - wape)


def backtest_by_lag(source: TableSource, run_month: date, max_lag: int) -> pd.DataFrame:
    """The product-level backtest of `run_month`'s forecast at lags 1 to `max_lag`."""
    return source.query(
        "select lag, series, first_origin_month, last_origin_month, accuracy, "
        "greatest(0, 1 - naive_wape) as naive_accuracy, wape, bias, fva "
        "from {fct_forecast_backtest} where run_month = ? and level = 'product' and lag <= ? "
        "order by lag",
        [run_month, max_lag],
    )


def projected_fill_rate(source: TableSource, run_month: date) -> float | None:
    """Fulfilled / demand over the whole baseline horizon of the plan made in `run_month`."""
    row = source.query(
        "select sum(fulfilled_qty) as fulfilled, sum(demand_qty) as demand "
        "from {fct_supply_plan} where run_month = ? and scenario = ?",
        [run_month, BASELINE],
    ).iloc[0]
    return ratio(row["fulfilled"], row["demand"])


def inventory_value(source: TableSource, run_month: date) -> float | None:
    """Opening stock of the plan's first month valued at unit cost (baseline).

    Both runs are valued at today's dim_products cost, so the change between them is
    a change in quantities, not in prices.
    """
    row = source.query(
        "select sum(plan.opening_qty * products.unit_cost) as value "
        "from {fct_supply_plan} as plan "
        "join {dim_products} as products on products.product_id = plan.product_id "
        "where plan.run_month = ? and plan.scenario = ? and plan.target_month = ("
        "  select min(target_month) from {fct_supply_plan} "
        "  where run_month = ? and scenario = ?)",
        [run_month, BASELINE, run_month, BASELINE],
    ).iloc[0]
    return None if pd.isna(row["value"]) else float(row["value"])


def family_balance(source: TableSource, run_month: date) -> pd.DataFrame:
    """Baseline fct_sop_summary rows of the run, by family and target month."""
    return source.query(
        "select family, target_month, demand_qty, supply_qty, fulfilled_qty, shortage_qty, "
        "excess_qty, closing_qty, days_of_cover, revenue_at_risk, fill_rate, recommendation "
        "from {fct_sop_summary} where run_month = ? and scenario = ? "
        "order by family, target_month",
        [run_month, BASELINE],
    )


def top_exceptions(source: TableSource, run_month: date, limit: int = 15) -> pd.DataFrame:
    """The baseline exceptions with the highest priority; ties broken by money at stake.

    fct_sop_exceptions holds one row per action and run of consecutive months
    (first_month to last_month; models.planning.gaps.fold_exceptions), so an
    action that repeats month after month for one product is already one row
    and the pack shows the table's rows as they are, never folding them again.
    """
    return source.query(
        "select priority, first_month, last_month, months, family, product_id, action, "
        "detail, quantity, shortage_qty, excess_qty, days_of_cover, revenue_at_risk, reference "
        "from {fct_sop_exceptions} where run_month = ? and scenario = ? "
        "order by priority desc, revenue_at_risk desc nulls last, first_month, product_id "
        "limit ?",
        [run_month, BASELINE, limit],
    )


def revenue_at_risk(source: TableSource, run_month: date) -> pd.DataFrame:
    """Baseline revenue at risk by family and target month, from the product-level plan."""
    return source.query(
        "select family, target_month, sum(revenue_at_risk) as revenue_at_risk, "
        "sum(shortage_qty) as shortage_qty "
        "from {fct_supply_plan} where run_month = ? and scenario = ? "
        "group by family, target_month order by family, target_month",
        [run_month, BASELINE],
    )


def scenario_totals(source: TableSource, run_month: date) -> pd.DataFrame:
    """Horizon totals per scenario of the run, baseline first, the others by name."""
    frame = source.query(
        "select scenario, sum(demand_qty) as demand_qty, sum(fulfilled_qty) as fulfilled_qty, "
        "sum(shortage_qty) as shortage_qty, sum(revenue_at_risk) as revenue_at_risk "
        "from {fct_supply_plan} where run_month = ? "
        "group by scenario order by scenario <> ?, scenario",
        [run_month, BASELINE],
    )
    frame["fill_rate"] = [
        ratio(fulfilled, demand)
        for fulfilled, demand in zip(frame["fulfilled_qty"], frame["demand_qty"], strict=True)
    ]
    return frame


def capacity_utilization(source: TableSource, run_month: date) -> pd.DataFrame:
    """Baseline utilization by resource and target month."""
    return source.query(
        "select resource_id, target_month, available_hours, planned_hours, utilization "
        "from {fct_capacity_utilization} where run_month = ? and scenario = ? "
        "order by resource_id, target_month",
        [run_month, BASELINE],
    )


def accuracy_trend(source: TableSource, run_month: date, lags: Sequence[int]) -> pd.DataFrame:
    """1 - WAPE of the forecast and of seasonal naive by target month, for each lag.

    The naive accuracy uses only rows with a naive forecast, so a product too young for
    one does not count its actuals against the naive method.
    """
    placeholders = ", ".join("?" for _ in lags)
    return source.query(
        "select lag, target_month, "
        "greatest(0, 1 - sum(abs_error) / nullif(sum(actual_qty), 0)) as accuracy, "
        "greatest(0, 1 - sum(naive_abs_error) / nullif(sum(actual_qty) "
        "  filter (where naive_abs_error is not null), 0)) as naive_accuracy "
        f"from {{fct_forecast_accuracy}} where lag in ({placeholders}) and target_month <= ? "
        "group by lag, target_month order by lag, target_month",
        [*lags, run_month],
    )


def leaderboard(source: TableSource, run_month: date, limit: int = 10) -> pd.DataFrame:
    """The ranked reps of the run month, best attainment first."""
    return source.query(
        "select company_rank, rep_id, rep_name, team, region, quota_amount, bookings_amount, "
        "attainment from {fct_leaderboard} "
        "where period_type = 'month' and period_start = ? and company_rank is not null "
        "order by company_rank, rep_name, rep_id limit ?",
        [run_month, limit],
    )


def quarter_start(month: date) -> date:
    """First day of the calendar quarter containing `month`."""
    return date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)


def pipeline_coverage(source: TableSource, run_month: date) -> pd.DataFrame:
    """Company pipeline coverage by quarter, from the run month's quarter onwards.

    Coverage = all open pipeline / remaining quota summed over the reps that have a
    quota (a rep past quota lowers the company's remaining quota, as it does in fact).
    Pipeline of reps without a quota still counts: it is the company's pipeline.
    """
    frame = source.query(
        "select quarter_start, sum(open_pipeline_amount) as open_pipeline_amount, "
        "sum(quota_amount) as quota_amount, sum(bookings_amount) as bookings_amount, "
        "sum(remaining_quota_amount) as remaining_quota_amount "
        "from {fct_pipeline_coverage} where quarters_ahead >= 0 and quarter_start >= ? "
        "group by quarter_start order by quarter_start",
        [quarter_start(run_month)],
    )
    frame["coverage"] = [
        ratio(pipeline, remaining)
        for pipeline, remaining in zip(
            frame["open_pipeline_amount"], frame["remaining_quota_amount"], strict=True
        )
    ]
    return frame
