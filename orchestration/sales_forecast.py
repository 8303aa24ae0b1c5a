"""Forecasting group: the bookings forecast per region and month, one snapshot per run month."""

import dagster as dg

from models.forecasting.bookings import forecast_sales
from orchestration.partitions import partition_month, warehouse_asset
from orchestration.resources import SopResource
from orchestration.settings import Settings
from orchestration.warehouse import replace_rows, to_dates

SALES_FORECAST_TABLE = "forecasting.fct_sales_forecast"
SALES_FORECAST_KEY = dg.AssetKey(["forecasting", "fct_sales_forecast"])
BOOKINGS_KEY = dg.AssetKey(["marts", "fct_region_bookings_monthly"])
OPEN_PIPELINE_KEY = dg.AssetKey(["intermediate", "int_open_pipeline_weighted"])

# The pipeline views need sums per month end, region, close month and category only.
_PIPELINE_SQL = """
select
    month,
    region,
    expected_close_month,
    forecast_category,
    sum(amount) as amount,
    sum(weighted_amount) as weighted_amount,
    sum(win_rate_weighted_amount) as win_rate_weighted_amount
from intermediate.int_open_pipeline_weighted
where month <= ?
group by 1, 2, 3, 4
"""


def build_sales_forecast_defs(settings: Settings) -> dg.Definitions:
    """The bookings forecast asset (its GX checks are in `quality`)."""

    @warehouse_asset(
        settings,
        key=SALES_FORECAST_KEY,
        group_name="forecasting",
        deps=[BOOKINGS_KEY, OPEN_PIPELINE_KEY],
        kinds={"python", "sktime", "duckdb"},
        description=(
            "Bookings forecast per region and target month for the forecast horizon: the open "
            "pipeline by expected close month weighted by stage probability and by historical "
            "stage-to-win rate, a statistical forecast of bookings with its 80% interval, their "
            "blend with a weight per lag chosen by rolling-origin backtest, and the Commit / "
            "Best Case / Pipeline roll-up. Every run month's snapshot is kept."
        ),
    )
    def fct_sales_forecast(
        context: dg.AssetExecutionContext, sop: SopResource
    ) -> dg.MaterializeResult:
        month = partition_month(context)
        with sop.warehouse(read_only=True) as con:
            bookings = con.execute(
                "select region, month, bookings_amount from marts.fct_region_bookings_monthly"
            ).df()
            pipeline = con.execute(_PIPELINE_SQL, [month]).df()
        result = forecast_sales(bookings, pipeline, month, horizon=sop.forecast_horizon)
        forecast = to_dates(result.forecast, ["run_month", "target_month"])
        with sop.warehouse() as con:
            replace_rows(con, SALES_FORECAST_TABLE, forecast, "run_month = ?", [month])
        backtest = result.backtest
        weights = {
            str(row.lag): f"{row.blend_weight:.1f} {row.pipeline_view} ({row.weight_source})"
            for row in backtest.itertuples()
        }
        table = backtest.assign(
            first_origin=backtest["first_origin"].dt.strftime("%Y-%m"),
            last_origin=backtest["last_origin"].dt.strftime("%Y-%m"),
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(forecast),
                "regions": int(forecast["region"].nunique()),
                "horizon_months": sop.forecast_horizon,
                "total_forecast_amount": float(forecast["forecast_amount"].sum()),
                "blend_weights_by_lag": dg.MetadataValue.json(weights),
                "backtest_wape_by_lag": dg.MetadataValue.md(
                    table.to_markdown(index=False, floatfmt=".3f")
                ),
            }
        )

    return dg.Definitions(assets=[fct_sales_forecast])
