"""Great-expectations suites (files in `suites/`) and the code that runs them on DataFrames."""

from expectations.suite_runner import SuiteFile, SuiteOutcome, list_suites, run_suite

__all__ = ["SuiteFile", "SuiteOutcome", "list_suites", "run_suite"]
