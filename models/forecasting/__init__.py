"""Statistical demand forecasting: a vectorized seasonal naive forecaster and the run."""

from models.forecasting.demand import forecast_demand
from models.forecasting.seasonal_naive import VectorizedSeasonalNaive

__all__ = ["VectorizedSeasonalNaive", "forecast_demand"]
