"""Rolling-origin accuracy of forecasters on one series: the public-series target of issue 5.

The issue asks that, on public monthly series sktime ships (airline passengers,
shampoo sales), the automatic choice be at least as accurate as automatic ETS
alone. "Accurate" is measured the way the M competitions do on a single series:
many forecast origins, each forecaster refitted on the history known at the
origin, the absolute errors of the following months pooled. The benchmark
(``bench/forecast_accuracy.py``) prints the figures and a test pins them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster
from sktime.forecasting.statsforecast import StatsForecastAutoETS

from models.forecasting.auto_select import AutoSelectForecaster

# The comparison: the automatic choice with its defaults, and automatic ETS alone.
AUTOMATIC_VS_ETS: dict[str, Callable[[], BaseForecaster]] = {
    "auto_select": AutoSelectForecaster,
    "auto_ets": lambda: StatsForecastAutoETS(season_length=12),
}


def rolling_origin_errors(
    y: pd.Series,
    forecasters: Mapping[str, Callable[[], BaseForecaster]],
    horizon: int = 3,
    origins: int = 12,
) -> pd.DataFrame:
    """Pooled errors of each forecaster over the last ``origins`` forecast origins.

    Origins are one month apart; the last one forecasts the last ``horizon``
    months of ``y``. Each forecaster is made fresh and fitted at every origin.

    Returns
    -------
    DataFrame
        One row per forecaster: ``mae`` (mean absolute error over the
        ``origins * horizon`` points), ``wape`` (the absolute errors over the
        actuals) and ``models`` (the distinct ``model_`` values the forecaster
        reported over the origins, for those that report one).
    """
    if len(y) < origins + horizon + 2:
        raise ValueError(f"{len(y)} observations are too few for {origins} origins")
    errors: dict[str, list[np.ndarray]] = {name: [] for name in forecasters}
    models: dict[str, set[str]] = {name: set() for name in forecasters}
    actual_total = 0.0
    for k in range(origins, 0, -1):
        cut = len(y) - k - horizon + 1
        train, test = y.iloc[:cut], y.iloc[cut : cut + horizon]
        actual_total += float(test.sum())
        for name, make in forecasters.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # statsforecast numerics on short fits
                forecaster = make().fit(train)
                point = forecaster.predict(fh=list(range(1, horizon + 1)))
            errors[name].append(np.abs(np.asarray(point).ravel() - test.to_numpy()))
            if hasattr(forecaster, "model_"):
                models[name].update(map(str, np.atleast_1d(forecaster.model_)))
    rows = []
    for name, parts in errors.items():
        pooled = np.concatenate(parts)
        rows.append(
            {
                "forecaster": name,
                "origins": origins,
                "horizon": horizon,
                "mae": float(pooled.mean()),
                "wape": float(pooled.sum() / actual_total),
                "models": ", ".join(sorted(models[name])),
            }
        )
    return pd.DataFrame(rows)
