"""Issue 5, item 7: on public monthly series the automatic choice is at least as accurate as ETS.

The same measurement as ``python -m bench.forecast_accuracy --skip-demo``: 12
forecast origins one month apart, 3 months each, every forecaster refitted at
every origin, absolute errors pooled. The figures are pinned so a change to
the choice that loses accuracy on either series shows up here, not months
later in a planner's WAPE.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sktime.datasets import load_airline, load_shampoo_sales
from sktime.forecasting.naive import NaiveForecaster

from models.forecasting.rolling_origin import AUTOMATIC_VS_ETS, rolling_origin_errors


@pytest.mark.parametrize(
    ("name", "load", "auto_select_mae", "auto_ets_mae"),
    [
        ("airline", load_airline, 19.150, 24.540),
        ("shampoo", load_shampoo_sales, 65.431, 66.052),
    ],
)
def test_automatic_choice_is_at_least_as_accurate_as_automatic_ets(
    name, load, auto_select_mae, auto_ets_mae
) -> None:
    errors = rolling_origin_errors(load().astype(float), AUTOMATIC_VS_ETS).set_index("forecaster")

    assert errors.loc["auto_select", "mae"] <= errors.loc["auto_ets", "mae"], name
    assert errors.loc["auto_select", "mae"] == pytest.approx(auto_select_mae, abs=1e-3)
    assert errors.loc["auto_ets", "mae"] == pytest.approx(auto_ets_mae, abs=1e-3)
    assert errors["origins"].tolist() == [12, 12]


def test_rolling_origin_errors_hand_computed_with_a_naive_forecaster() -> None:
    # y = 1..10; the last naive forecast of each origin repeats the value before it:
    # origins cut at 6, 7 and 8 observations with 2 months each; naive's errors at
    # steps 1 and 2 are 1 and 2 on a line of slope 1, so MAE 1.5, WAPE 9 / sum(actuals)
    y = pd.Series(
        [float(v) for v in range(1, 11)], index=pd.period_range("2024-01", periods=10, freq="M")
    )
    errors = rolling_origin_errors(y, {"naive": NaiveForecaster}, horizon=2, origins=3)

    row = errors.iloc[0]
    assert row["mae"] == pytest.approx(1.5)
    # actuals: (7, 8), (8, 9), (9, 10) -> 51
    assert row["wape"] == pytest.approx(9 / 51)
    assert row["models"] == ""


def test_rolling_origin_errors_refuses_a_series_too_short_for_the_origins() -> None:
    y = pd.Series([1.0] * 10, index=pd.period_range("2024-01", periods=10, freq="M"))
    with pytest.raises(ValueError, match="10 observations are too few for 12 origins"):
        rolling_origin_errors(y, {"naive": NaiveForecaster}, horizon=3, origins=12)
