"""Dagster code location of the S&OP platform: assets, checks, schedules and the `sop` CLI."""

import warnings

# Every asset sets `backfill_policy` (one month per run, because each month is
# built with its own as-of date); Dagster 1.13 flags that parameter as beta on
# every asset, which would bury the run summary in identical warnings. Matched
# by message, so that commands without Dagster (`sop scenario`) do not import it.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")
