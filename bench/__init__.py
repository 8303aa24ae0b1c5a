"""Benchmarks: run by command, reported as ratios to a baseline measured in the same run."""
