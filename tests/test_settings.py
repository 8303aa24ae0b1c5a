"""Settings.from_env: the materiality thresholds of the S&OP actions."""

from __future__ import annotations

import pytest

from orchestration.resources import SopResource
from orchestration.settings import Settings


def test_materiality_defaults_and_environment(tmp_path) -> None:
    base = {"SOP_DATA_DIR": str(tmp_path)}
    defaults = Settings.from_env(base)
    assert (defaults.materiality_units, defaults.materiality_amount) == (10.0, 1000.0)
    chosen = Settings.from_env(
        {**base, "SOP_MATERIALITY_UNITS": "2.5", "SOP_MATERIALITY_AMOUNT": "0"}
    )
    assert (chosen.materiality_units, chosen.materiality_amount) == (2.5, 0.0)
    # The Dagster resource carries them to the assets unchanged.
    assert SopResource.from_settings(chosen).settings == chosen


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "SOP_MATERIALITY_UNITS must not be negative"), ("ten", "must be a number")],
)
def test_a_bad_materiality_setting_names_the_variable(tmp_path, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({"SOP_DATA_DIR": str(tmp_path), "SOP_MATERIALITY_UNITS": value})
