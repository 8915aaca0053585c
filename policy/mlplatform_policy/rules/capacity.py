"""Compute and capacity rules: IMDSv2 on what launches instances, diversified spot pools,
replacements that launch before they terminate, and the minimum footprint under each pool's
ceiling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.nodes.instance_catalog import (
    MIN_SPOT_GPU_INSTANCE_TYPES,
    MIN_SPOT_INSTANCE_TYPES,
    instance_catalog,
)
from mlp import karpenter_guardrails
from mlp.wording import plural
from mlplatform_policy.resources import (
    PlannedResource,
    StackContext,
    Violation,
    as_number,
    dig,
    is_mapping,
    items,
)
from mlplatform_policy.rules.rule import AUTOSCALING_GROUP, EC2_INSTANCE, LAUNCH_TEMPLATE


def check_imdsv2(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        if dig(resource.props, "metadataOptions", "httpTokens") != "required":
            return ["instance metadata allows IMDSv1 (set `metadataOptions.httpTokens: required`)"]
    return []


def is_spot_bearing(group: Mapping[str, Any]) -> bool:
    """A group with a mixed-instances policy whose share above the base is not all on-demand
    (AWS's default for `onDemandPercentageAboveBaseCapacity` is 100)."""
    policy = group.get("mixedInstancesPolicy")
    if not is_mapping(policy):
        return False
    percentage = dig(policy, "instancesDistribution", "onDemandPercentageAboveBaseCapacity")
    return as_number(percentage, 100.0) < 100


def check_spot_diversification(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type == karpenter_guardrails.NODEPOOL:
        problem = karpenter_guardrails.narrow_spot_node_pool(resource, MIN_SPOT_INSTANCE_TYPES)
        return [problem] if problem else []
    if resource.type != AUTOSCALING_GROUP or not is_spot_bearing(resource.props):
        return []
    overrides = items(dig(resource.props, "mixedInstancesPolicy", "launchTemplate", "overrides"))
    if any(is_mapping(o) and o.get("instanceRequirements") for o in overrides):
        return []  # attribute-based selection lets EC2 pick from every matching type
    types = {str(o.get("instanceType")) for o in overrides if is_mapping(o) and o.get("instanceType")}
    # The same floor config validation applies (components/nodes/instance_catalog.py): 4 types, or 3
    # for single-GPU shapes, of which the price table has exactly three.
    catalog = instance_catalog()
    gpu = bool(types) and all(name in catalog and catalog[name].gpu_count > 0 for name in types)
    floor = MIN_SPOT_GPU_INSTANCE_TYPES if gpu else MIN_SPOT_INSTANCE_TYPES
    if len(types) < floor:
        return [
            f"spot-bearing group can use {plural(len(types), 'instance type')} ({', '.join(sorted(types)) or 'none'}); "
            f"list at least {floor} in `mixedInstancesPolicy.launchTemplate.overrides`"
        ]
    return []


def check_launch_before_terminate(resource: PlannedResource, context: StackContext) -> list[str]:
    """A group's instance refresh launches before it terminates: its refresh preferences keep
    100 % healthy and allow more than 100 % in service. AWS's defaults (90 %, no maximum)
    terminate a one-instance group's only node first
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh.html). The
    group-level maintenance policy is left to AWS's default on purpose (see
    `components.capacity.worker_pool.instance_refresh`)."""
    if resource.type != AUTOSCALING_GROUP or not is_mapping(resource.props.get("instanceRefresh")):
        return []
    settings = dig(resource.props, "instanceRefresh", "preferences")
    low = as_number(dig(settings, "minHealthyPercentage"), 90.0)
    high = as_number(dig(settings, "maxHealthyPercentage"), 100.0)
    if low < 100 or high <= 100:
        return [
            f"`instanceRefresh.preferences` terminates before it launches (minHealthyPercentage {low:g}, "
            f"maxHealthyPercentage {high:g}); set 100 and more than 100"
        ]
    return []


class _Planned:
    """The planned resources in the shape `mlp.footprint` reads (an inventory)."""

    def __init__(self, resources: Sequence[PlannedResource], stack: str):
        self.resources = list(resources)
        self.stack = stack

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]


def check_capacity_fit(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    """The minimum footprint fits each pool's ceiling: `mlp plan`'s capacity-fit refusal, so
    `pulumi preview`/`up` refuse the same stack (placement and packing of `mlp.cost.pools`)."""
    from mlp.footprint import capacity_fit, footprint

    if not any(r.type == AUTOSCALING_GROUP for r in resources):
        return []
    fit = capacity_fit(footprint(_Planned(resources, context.stack)))  # type: ignore[arg-type]
    return [Violation(refusal) for refusal in fit.refusals]
