"""Forecasting group: the statistical demand forecast, one snapshot per run month."""

from datetime import date

import dagster as dg
import pandas as pd

from models.forecasting import forecast_demand
from models.forecasting.accuracy import accuracy_summary, forecast_accuracy
from models.forecasting.demand import DemandForecast, default_forecaster
from models.forecasting.pipeline_signal import pipeline_signal
from orchestration.metadata_plots import accuracy_chart, forecast_chart
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.warehouse import TableWrite, replace_tables, to_dates

DEMAND_FORECAST_TABLE = "forecasting.fct_demand_forecast"
FAMILY_FORECAST_TABLE = "forecasting.fct_demand_forecast_family"
BACKTEST_TABLE = "forecasting.fct_forecast_backtest"
DEMAND_FORECAST_KEY = dg.AssetKey(["forecasting", "fct_demand_forecast"])
ACCURACY_TABLE = "forecasting.fct_forecast_accuracy"
ACCURACY_SUMMARY_TABLE = "forecasting.fct_forecast_accuracy_summary"
ACCURACY_KEY = dg.AssetKey(["forecasting", "fct_forecast_accuracy"])
SIGNAL_TABLE = "forecasting.fct_pipeline_demand_signal"
SIGNAL_VALUE_TABLE = "forecasting.fct_pipeline_signal_value"
SIGNAL_KEY = dg.AssetKey(["forecasting", "fct_pipeline_demand_signal"])


def build_forecasting_defs(settings: Settings) -> dg.Definitions:
    """The forecasting group: the demand forecast asset (its GX checks are in `quality`)."""

    @warehouse_asset(
        settings,
        key=DEMAND_FORECAST_KEY,
        group_name="forecasting",
        deps=[dg.AssetKey(["marts", "fct_demand_history"]), dg.AssetKey(["marts", "dim_products"])],
        kinds={"python", "sktime", "duckdb"},
        description=(
            "Monthly demand forecast per product and region, product total (region 'ALL'), "
            "and in fct_demand_forecast_family per family and portfolio (family 'ALL'), for "
            "the forecast horizon, with 80% and 95% intervals and the seasonal naive "
            "benchmark. A regular node's forecast is the median of ETS, dynamic optimized "
            "Theta, the airline ARIMA and seasonal naive, with intervals calibrated on "
            "held-out months; intermittent nodes take Croston/TSB/ADIDA/mean chosen by "
            "backtest and short ones the mean of trended ETS and Theta. The levels are then "
            "reconciled to add up. "
            "Every run month's snapshot is kept so accuracy can be tracked by lag; until "
            "snapshots have actuals, fct_forecast_backtest gives the method's own held-out "
            "errors by lag (WAPE, bias, FVA) from the months its interval calibration held out."
        ),
    )
    def fct_demand_forecast(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        with sop.warehouse(read_only=True) as con:
            history = con.execute(
                "select product_id, region, month, quantity from marts.fct_demand_history"
            ).df()
            products = con.execute(
                "select product_id, family, launch_date, end_date from marts.dim_products"
            ).df()
        forecast = forecast_demand(
            history,
            products,
            pd.Period(month, "M"),
            horizon=sop.forecast_horizon,
            forecaster=default_forecaster(n_jobs=sop.forecast_jobs),
            reconciliation=sop.forecast_reconciliation,
        )
        product_rows = to_dates(forecast.products, ["run_month", "target_month"])
        family_rows = to_dates(forecast.families, ["run_month", "target_month"])
        backtest_months = ("run_month", "first_origin_month", "last_origin_month")
        backtest_rows = to_dates(forecast.backtest, list(backtest_months))
        with sop.warehouse() as con:
            replace_tables(
                con,
                [
                    TableWrite(DEMAND_FORECAST_TABLE, product_rows, "run_month = ?", [month]),
                    TableWrite(FAMILY_FORECAST_TABLE, family_rows, "run_month = ?", [month]),
                    TableWrite(
                        BACKTEST_TABLE, backtest_rows, "run_month = ?", [month], backtest_months
                    ),
                ],
            )
        return dg.MaterializeResult(metadata=_forecast_metadata(forecast, history, month, sop))

    @warehouse_asset(
        settings,
        key=ACCURACY_KEY,
        group_name="forecasting",
        deps=[DEMAND_FORECAST_KEY, dg.AssetKey(["marts", "fct_demand_history"])],
        kinds={"python", "duckdb"},
        description=(
            "Accuracy of every kept forecast snapshot whose target month has actuals by the "
            "run month: one row per product, target month and lag (forecast, actual, error), "
            "and in fct_forecast_accuracy_summary WAPE, bias, accuracy and FVA against "
            "seasonal naive by product, family and portfolio per lag. Run months in order "
            "(`sop backfill`) to build the history."
        ),
    )
    def fct_forecast_accuracy(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        with sop.warehouse(read_only=True) as con:
            forecasts = con.execute(
                f"select * from {DEMAND_FORECAST_TABLE} where region = 'ALL' and run_month <= ?",
                [month],
            ).df()
            actuals = con.execute(
                "select product_id, region, month, quantity from marts.fct_demand_history"
            ).df()
            families = con.execute("select product_id, family from marts.dim_products").df()
        accuracy = forecast_accuracy(forecasts, actuals, month, families)
        summary = accuracy_summary(accuracy)
        with sop.warehouse() as con:
            # Rebuilt whole by each run, as of its month (the snapshots themselves are kept).
            replace_tables(
                con,
                [
                    TableWrite(
                        ACCURACY_TABLE, accuracy, date_columns=("target_month", "run_month")
                    ),
                    TableWrite(
                        ACCURACY_SUMMARY_TABLE,
                        summary,
                        date_columns=("first_target_month", "last_target_month"),
                    ),
                ],
            )
        portfolio = summary[summary["level"] == "portfolio"][
            ["lag", "points", "wape", "naive_wape", "bias", "accuracy", "fva"]
        ]
        families = summary[summary["level"] == "family"]
        return dg.MaterializeResult(
            metadata={
                "wape_chart": dg.MetadataValue.md(
                    accuracy_chart(portfolio, "Portfolio WAPE by lag")
                    if len(portfolio)
                    else "no target month has actuals yet"
                ),
                "families_beating_seasonal_naive_by_lag": dg.MetadataValue.json(
                    {
                        int(lag): f"{int((g['fva'] > 0).sum())} of {len(g)}"
                        for lag, g in families.groupby("lag")
                    }
                ),
                "dagster/row_count": len(accuracy),
                "snapshots_scored": int(accuracy["run_month"].nunique()) if len(accuracy) else 0,
                "portfolio_by_lag": dg.MetadataValue.md(
                    portfolio.to_markdown(index=False, floatfmt=".3f")
                    if len(portfolio)
                    else "no target month has actuals yet (run earlier months first)"
                ),
            }
        )

    @warehouse_asset(
        settings,
        key=SIGNAL_KEY,
        group_name="forecasting",
        deps=[
            DEMAND_FORECAST_KEY,
            dg.AssetKey(["marts", "fct_demand_history"]),
            dg.AssetKey(["intermediate", "int_open_pipeline_weighted"]),
        ],
        kinds={"python", "duckdb"},
        description=(
            "Pipeline-informed demand: for lags 1-3, the product forecast plus beta x the "
            "open quantity expected to close in the target month (weighted by stage-to-win "
            "rates), applied only where a rolling-origin backtest over the kept snapshots "
            "shows it lowers WAPE. fct_pipeline_signal_value reports that value per lag."
        ),
    )
    def fct_pipeline_demand_signal(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        with sop.warehouse(read_only=True) as con:
            snapshots = con.execute(
                "select run_month, product_id, target_month, forecast_qty "
                f"from {DEMAND_FORECAST_TABLE} where region = 'ALL' and run_month <= ?",
                [month],
            ).df()
            actuals = con.execute(
                "select product_id, month, quantity from marts.fct_demand_history"
            ).df()
            pipeline = con.execute(
                "select month, product_id, expected_close_month, "
                "sum(quantity * stage_win_rate) as weighted_qty "
                "from intermediate.int_open_pipeline_weighted "
                "where product_id is not null and month <= ? group by all",
                [month],
            ).df()
        result = pipeline_signal(snapshots, actuals, pipeline, month)
        signal = to_dates(result.signal, ["run_month", "target_month"])
        value = to_dates(result.value, ["run_month"])
        with sop.warehouse() as con:
            replace_tables(
                con,
                [
                    TableWrite(SIGNAL_TABLE, signal, "run_month = ?", [month]),
                    TableWrite(SIGNAL_VALUE_TABLE, value, "run_month = ?", [month]),
                ],
            )
        shown = result.value[
            [
                "lag",
                "origins",
                "points",
                "beta",
                "wape_statistical",
                "wape_with_pipeline",
                "value",
                "kept",
                "reason",
            ]
        ]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(signal),
                "lags_kept": [int(lag) for lag in result.value.loc[result.value["kept"], "lag"]],
                "total_adjustment_qty": float(result.signal["adjustment_qty"].sum()),
                "value_by_lag": dg.MetadataValue.md(shown.to_markdown(index=False, floatfmt=".3f")),
            }
        )

    return dg.Definitions(
        assets=[fct_demand_forecast, fct_forecast_accuracy, fct_pipeline_demand_signal]
    )


def _forecast_metadata(
    forecast: DemandForecast, history: pd.DataFrame, month: date, sop: SopResource
) -> dict[str, object]:
    """Row counts, the models chosen per level and kind, and the portfolio chart."""
    products = forecast.products
    totals = products[products["region"] == "ALL"]
    nodes = forecast.nodes
    metadata: dict[str, object] = {
        "dagster/row_count": len(products),
        "family_rows": len(forecast.families),
        "products": int(totals["product_id"].nunique()),
        "series": len(nodes),
        "horizon_months": sop.forecast_horizon,
        "reconciliation": forecast.reconciliation,
        "total_forecast_qty": float(totals["forecast_qty"].sum()),
        "total_seasonal_naive_qty": float(totals["naive_qty"].sum()),
    }
    backtest = forecast.backtest[forecast.backtest["level"] == "product"]
    if len(backtest):
        metadata["backtest_products_by_lag"] = dg.MetadataValue.md(
            backtest[
                ["lag", "series", "wape", "bias", "accuracy", "naive_wape", "fva"]
            ].to_markdown(index=False, floatfmt=".3f")
        )
    if len(nodes):
        chosen = nodes.groupby(["level", "kind", "model"], dropna=False).size()
        metadata["models_chosen"] = dg.MetadataValue.md(
            chosen.rename("series").reset_index().to_markdown(index=False)
        )
        actual = history.assign(month=pd.to_datetime(history["month"]))
        actual = actual[actual["month"] <= pd.Timestamp(month)].groupby("month")["quantity"].sum()
        portfolio = forecast.families[forecast.families["family"] == "ALL"]
        metadata["portfolio_chart"] = dg.MetadataValue.md(
            forecast_chart(actual, portfolio, f"Portfolio demand, forecast of {month:%Y-%m}")
        )
    return metadata
