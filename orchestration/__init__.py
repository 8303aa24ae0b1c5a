"""Dagster code location of the S&OP platform: assets, checks, schedules and the `sop` CLI."""
