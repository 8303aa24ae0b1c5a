"""Forecasting group: the statistical demand forecast, one snapshot per run month."""

import dagster as dg
import pandas as pd

from models.forecasting import forecast_demand
from models.forecasting.accuracy import accuracy_summary, forecast_accuracy
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.warehouse import replace_rows, replace_table, to_dates

DEMAND_FORECAST_TABLE = "forecasting.fct_demand_forecast"
DEMAND_FORECAST_KEY = dg.AssetKey(["forecasting", "fct_demand_forecast"])
ACCURACY_TABLE = "forecasting.fct_forecast_accuracy"
ACCURACY_SUMMARY_TABLE = "forecasting.fct_forecast_accuracy_summary"
ACCURACY_KEY = dg.AssetKey(["forecasting", "fct_forecast_accuracy"])


def build_forecasting_defs(settings: Settings) -> dg.Definitions:
    """The forecasting group: the demand forecast asset (its GX checks are in `quality`)."""

    @warehouse_asset(
        settings,
        key=DEMAND_FORECAST_KEY,
        group_name="forecasting",
        deps=[dg.AssetKey(["marts", "fct_demand_history"]), dg.AssetKey(["marts", "dim_products"])],
        kinds={"python", "sktime", "duckdb"},
        description=(
            "Monthly demand forecast per product and region (region 'ALL' = product total, "
            "reconciled bottom-up) for the forecast horizon, with 80% intervals. Every run "
            "month's snapshot is kept so accuracy can be tracked by lag."
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
                "select product_id, launch_date, end_date from marts.dim_products"
            ).df()
        forecast = forecast_demand(
            history, products, pd.Period(month, "M"), horizon=sop.forecast_horizon
        )
        forecast = to_dates(forecast, ["run_month", "target_month"])
        with sop.warehouse() as con:
            replace_rows(con, DEMAND_FORECAST_TABLE, forecast, "run_month = ?", [month])
        totals = forecast[forecast["region"] == "ALL"]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(forecast),
                "products": int(totals["product_id"].nunique()),
                "series": int(forecast.groupby(["product_id", "region"]).ngroups),
                "horizon_months": sop.forecast_horizon,
                "total_forecast_qty": float(totals["forecast_qty"].sum()),
                "models": dg.MetadataValue.json(
                    forecast["model"].value_counts().astype(int).to_dict()
                ),
            }
        )

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
            replace_table(con, ACCURACY_TABLE, accuracy, ("target_month", "run_month"))
            replace_table(
                con, ACCURACY_SUMMARY_TABLE, summary, ("first_target_month", "last_target_month")
            )
        portfolio = summary[summary["level"] == "portfolio"][
            ["lag", "points", "wape", "bias", "accuracy", "fva"]
        ]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(accuracy),
                "snapshots_scored": int(accuracy["run_month"].nunique()) if len(accuracy) else 0,
                "portfolio_by_lag": dg.MetadataValue.md(
                    portfolio.to_markdown(index=False, floatfmt=".3f")
                    if len(portfolio)
                    else "no target month has actuals yet (run earlier months first)"
                ),
            }
        )

    return dg.Definitions(assets=[fct_demand_forecast, fct_forecast_accuracy])
