"""Forecasting group: the statistical demand forecast, one snapshot per run month."""

import dagster as dg
import pandas as pd

from models.forecasting import forecast_demand
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.warehouse import replace_rows, to_dates

DEMAND_FORECAST_TABLE = "forecasting.fct_demand_forecast"
DEMAND_FORECAST_KEY = dg.AssetKey(["forecasting", "fct_demand_forecast"])


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

    return dg.Definitions(assets=[fct_demand_forecast])
