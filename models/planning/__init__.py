"""Planning models: demand plan (and, later, supply plan and scenarios)."""

from models.planning.demand_plan import consensus_demand_plan

__all__ = ["consensus_demand_plan"]
