"""Compensation models: the commission plan and its reference commission formula."""

from models.compensation.comp_plan import (
    CompPlan,
    CompPlanError,
    Tier,
    commission,
    empty_tiers_frame,
    load_comp_plan,
)

__all__ = [
    "CompPlan",
    "CompPlanError",
    "Tier",
    "commission",
    "empty_tiers_frame",
    "load_comp_plan",
]
