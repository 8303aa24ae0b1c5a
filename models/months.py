"""Month arithmetic shared by forecasting and planning (a module of its own, so that
planning code does not import the forecasting package and sktime with it)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# The member id of the whole portfolio in accuracy summaries (SPEC's 'ALL').
PORTFOLIO = "ALL"


def month_index(months: pd.Series) -> np.ndarray:
    """Months since year 0, for month arithmetic on first-of-month dates."""
    stamps = pd.to_datetime(months)
    return (stamps.dt.year * 12 + stamps.dt.month).to_numpy()
