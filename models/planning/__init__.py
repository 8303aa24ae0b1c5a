"""Planning models: the consensus demand plan, its overrides and their value added."""

from models.planning.demand_plan import DemandPlan, apply_overrides, consensus_demand_plan
from models.planning.overrides import (
    OverrideFileError,
    OverrideRejection,
    parse_overrides,
    validate_against_plan,
)
from models.planning.plan_accuracy import override_fva, score_plans

__all__ = [
    "DemandPlan",
    "OverrideFileError",
    "OverrideRejection",
    "apply_overrides",
    "consensus_demand_plan",
    "override_fva",
    "parse_overrides",
    "score_plans",
    "validate_against_plan",
]
