"""`sop scenario`: re-plan one ad-hoc what-if from the published tables, in about a second.

A planner in the S&OP meeting asks "what if Pumps demand is 30% higher from
March?"; re-running the pipeline for that would take minutes. The published
baseline holds every input of its plan (see `published_plan_inputs`), so the
scenario is one LP solve on those inputs, compared with the published
baseline. Nothing is written: the published tables stay those of the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from models.planning.scenarios import (
    BASELINE,
    apply_scenario,
    compare_to_baseline,
    format_comparison,
    parse_adhoc_scenario,
    validate_scenarios,
)
from models.planning.supply_plan import PlanSettings, plan_supply
from orchestration.plan_inputs import published_plan_inputs


@dataclass(frozen=True)
class ScenarioOutcome:
    """The ad-hoc scenario's plan, its comparison with baseline, and how long it took."""

    run_month: object
    plan: pd.DataFrame
    comparison: pd.DataFrame
    seconds: float

    def render(self) -> str:
        """What `sop scenario` prints."""
        return (
            f"Scenario 'adhoc' vs baseline, published run {self.run_month:%Y-%m} "
            f"(re-planned in {self.seconds:.2f} s):\n{format_comparison(self.comparison)}"
        )


def run_adhoc_scenario(
    published_db: Path, changes: list[str], settings: PlanSettings | None = None
) -> ScenarioOutcome:
    """Plan the scenario of `changes` (see `parse_adhoc_scenario`) on the published run."""
    started = time.perf_counter()
    scenario = parse_adhoc_scenario(changes)
    if not published_db.exists():
        raise FileNotFoundError(f"{published_db} does not exist yet: run `sop run` first")
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        inputs = published_plan_inputs(con)
        baseline = con.execute(
            "select * from marts.fct_supply_plan where run_month = ? and scenario = ?",
            [inputs.run_month, BASELINE],
        ).df()
        catalog = con.execute("select product_id, family from marts.dim_products").df()
    finally:
        con.close()
    validate_scenarios([scenario], catalog, inputs.capacity)
    plan = plan_supply(apply_scenario(inputs, scenario), settings or PlanSettings()).plan
    comparison = compare_to_baseline(baseline, plan)
    return ScenarioOutcome(inputs.run_month, plan, comparison, time.perf_counter() - started)
