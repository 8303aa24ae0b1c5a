"""Dagster code location of the S&OP platform: assets, checks, schedules and the `sop` CLI."""

import warnings

from dagster import BetaWarning

# Every asset sets `backfill_policy` (one month per run, because each month is
# built with its own as-of date); Dagster 1.13 flags that parameter as beta on
# every asset, which would bury the run summary in identical warnings.
warnings.filterwarnings("ignore", category=BetaWarning, message="Parameter `backfill_policy`")
