"""Forecasting and planning models: plain Python on DataFrames, no Dagster import."""
