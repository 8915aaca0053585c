"""Spot interruption handling: the drain budget every service must fit."""

from __future__ import annotations

from pydantic import Field, model_validator

from components.drain_budget import DrainBudget
from infra.settings.base import Section
from infra.settings.rules import KeyRuleError


class InterruptionSettings(Section):
    """How reclaimed spot nodes are drained."""

    node_drain_seconds: int = Field(
        90,
        ge=30,
        le=120,
        description="Time the termination handler gives a node to drain after a spot notice "
        "(its `nodeTerminationGracePeriod`). Default `90`: the 120 s notice less detection time "
        "and a margin.",
    )
    pod_grace_seconds: int = Field(
        -1,
        ge=-1,
        le=120,
        description="Grace period the handler gives each evicted pod (`podTerminationGracePeriod`); "
        "`-1` uses each pod's own `terminationGracePeriodSeconds`. Default `-1`.",
    )

    def drain_budget(self) -> DrainBudget:
        return DrainBudget(node_drain_seconds=self.node_drain_seconds, pod_grace_seconds=self.pod_grace_seconds)

    @model_validator(mode="after")
    def _handler_fits_the_notice(self) -> "InterruptionSettings":
        problem = self.drain_budget().handler_problem()
        if problem:
            key = "podGraceSeconds" if "pod grace" in problem else "nodeDrainSeconds"
            raise KeyRuleError(key, problem, getattr(self, "pod_grace_seconds" if key == "podGraceSeconds" else "node_drain_seconds"))
        return self
