"""Advisory cost rules: money spent on purpose or by accident (the on-demand share, NAT gateways
outside production, a search engine on paid extended support)."""

from __future__ import annotations

from collections.abc import Sequence

from components.search.search_engine_support import extended_support_since
from mlplatform_policy.resources import (
    PlannedResource,
    StackContext,
    Violation,
    as_number,
    dig,
    is_mapping,
)
from mlplatform_policy.rules.rule import AUTOSCALING_GROUP, NAT_GATEWAY, SEARCH_DOMAIN

PRODUCTION_STACKS = ("prod",)


def check_on_demand_share(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    """Share of worker capacity (self-managed Auto Scaling groups) that runs on-demand, weighted
    by each group's baseline size (`desiredCapacity`, else `minSize`; `maxSize` when all are 0)."""
    groups = [r for r in resources if r.type == AUTOSCALING_GROUP]
    if not groups:
        return []

    def baseline(group: PlannedResource, key: str) -> float:
        return as_number(group.props.get(key), 0.0)

    sizes = [baseline(g, "desiredCapacity") or baseline(g, "minSize") for g in groups]
    if not any(sizes):
        sizes = [baseline(g, "maxSize") for g in groups]
    total = sum(sizes)
    if not total:
        return []
    on_demand = 0.0
    for group, size in zip(groups, sizes):
        distribution = dig(group.props, "mixedInstancesPolicy", "instancesDistribution")
        if not is_mapping(group.props.get("mixedInstancesPolicy")):
            on_demand += size
            continue
        base = min(as_number(dig(distribution, "onDemandBaseCapacity"), 0.0), size)
        percentage = as_number(dig(distribution, "onDemandPercentageAboveBaseCapacity"), 100.0)
        on_demand += base + (size - base) * percentage / 100
    share, limit = on_demand / total, float(context.config["maxOnDemandShare"])
    if share > limit:
        return [
            Violation(
                f"{share:.0%} of worker capacity is on-demand (limit {limit:.0%}); spot costs "
                "roughly a third of on-demand for the same instance"
            )
        ]
    return []


def check_nat_per_az_outside_prod(
    resources: Sequence[PlannedResource], context: StackContext
) -> list[Violation]:
    gateways = [r for r in resources if r.type == NAT_GATEWAY]
    if len(gateways) > 1 and context.stack not in PRODUCTION_STACKS:
        return [
            Violation(
                f"{len(gateways)} NAT gateways in non-production stack {context.stack!r}: each adds an "
                "hourly fee; `network.natStrategy: single` trades zone independence for one fee"
            )
        ]
    return []


def check_search_extended_support(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type != SEARCH_DOMAIN:
        return []
    version = str(resource.props.get("engineVersion") or "")
    since = extended_support_since(version, context.today)
    if since is None:
        return []
    return [
        f"engine {version} has been on paid extended support since {since.isoformat()} "
        "(a surcharge per normalized instance-hour); upgrade to a version on standard support"
    ]
