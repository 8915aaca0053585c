"""The node pools a stack declares, read from its inventory: each self-managed Auto Scaling
group (mixed instances: an on-demand base, then a percentage split between on-demand and spot),
each EKS managed node group, and each Karpenter NodePool (`mlp.cost.karpenter_pools`), as a
`NodePool` (`mlp.cost.node_pool`) at its desired size, with the EBS volumes of its launch
template. The zonal groups of one worker pool are one pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from components.nodes.placement import POOL_LABEL, SPOT_TAINT, SYSTEM_POOL, SYSTEM_TAINT
from mlp.cost.karpenter_pools import karpenter_node_pools
from mlp.cost.model import PricingContext, Resource, lookup
from mlp.cost.node_pool import NodePool, Volume

# mlp.footprint imports the estimate's placement and packing from here; they live in their own
# modules now, named here until its imports name those modules.
from mlp.cost.packing import pack, spill  # noqa: F401
from mlp.cost.placement import fits_pool, place  # noqa: F401
from mlp.cost.workloads import DEPLOYMENT, HELM_RELEASE, PodGroup, pod_groups  # noqa: F401

ASG = "aws:autoscaling/group:Group"
MANAGED_NODE_GROUPS = ("eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup")
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

CA_LABEL_TAG = "k8s.io/cluster-autoscaler/node-template/label/"
CA_TAINT_TAG = "k8s.io/cluster-autoscaler/node-template/taint/"
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"  # EKS managed node groups without instanceTypes
EKS_DEFAULT_DISK_GB = 20  # EKS managed node groups without a launch template


def _tag_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, Sequence) and not isinstance(tags, str):  # a list, or pulumi-policy's proxy of one
        return {str(t.get("key")): str(t.get("value")) for t in tags if isinstance(t, Mapping)}
    return {}


def _mock_identities(resource: Resource, region: str) -> set[str]:
    """Ids and names the offline plan's mocks gave a resource (deterministic per URN), so an
    input holding a launch template's id can be traced back to the declared template."""
    from mlp.mock_state import MockContext, resource_state

    context = MockContext(region=region, urn=resource.urn, name=resource.name, inputs=dict(resource.inputs))
    resource_id, state = resource_state(resource.type, context)
    return {value for value in (resource_id, state.get("name"), state.get("arn"), resource.inputs.get("name")) if value}


def find_launch_template(reference: Mapping[str, Any] | None, owner: Resource, ctx: PricingContext) -> Resource | None:
    templates = ctx.of_type(LAUNCH_TEMPLATE)
    if not reference or not templates:
        return None
    wanted = {str(v) for k, v in reference.items() if k in ("id", "name", "launchTemplateId", "launchTemplateName") and v}
    for template in templates:
        if wanted & _mock_identities(template, ctx.region):
            return template
    siblings = [t for t in templates if t.parent == owner.parent]
    return siblings[0] if len(siblings) == 1 else None


def _volumes(template: Resource | None) -> tuple[tuple[Volume, ...], str]:
    if template is None:
        return (), "no launch template found: root volume NOT priced"
    mappings = template.inputs.get("blockDeviceMappings") or []
    volumes = []
    for mapping in mappings:
        ebs = mapping.get("ebs") or {}
        if ebs.get("volumeSize"):
            volumes.append(
                Volume(float(ebs["volumeSize"]), ebs.get("volumeType") or "gp3", float(ebs.get("iops") or 0), float(ebs.get("throughput") or 0))
            )
    return tuple(volumes), "" if volumes else "launch template sets no EBS size: root volume from the AMI, NOT priced"


def _asg_pool(resource: Resource, ctx: PricingContext, by_urn: Mapping[str, Resource]) -> NodePool:
    inputs = resource.inputs
    policy = inputs.get("mixedInstancesPolicy")
    notes: list[str] = []
    if policy:
        distribution = policy.get("instancesDistribution") or {}
        base = int(distribution.get("onDemandBaseCapacity") or 0)
        percentage = float(distribution.get("onDemandPercentageAboveBaseCapacity", 100))
        strategy = distribution.get("onDemandAllocationStrategy") or "prioritized"
        overrides = lookup(policy, "launchTemplate.overrides", []) or []
        types = [o["instanceType"] for o in overrides if o.get("instanceType")]
        if any(float(o.get("weightedCapacity") or 1) != 1 for o in overrides):
            notes.append("weighted capacity ignored (one instance per unit)")
        reference = lookup(policy, "launchTemplate.launchTemplateSpecification")
    else:
        base, percentage, strategy, types = 0, 100.0, "prioritized", []
        reference = inputs.get("launchTemplate")
    template = find_launch_template(reference, resource, ctx)
    if template is not None:
        if not types and template.inputs.get("instanceType"):
            types = [template.inputs["instanceType"]]
        if lookup(template.inputs, "instanceMarketOptions.marketType") == "spot":
            percentage = 0.0
    volumes, volume_note = _volumes(template)
    tags = _tag_map(inputs.get("tags"))
    parent = by_urn.get(resource.parent or "")
    name = (
        tags.get(CA_LABEL_TAG + POOL_LABEL)
        or tags.get(POOL_LABEL)
        or (parent.name if parent is not None else resource.name)
    )
    taints = {key.removeprefix(CA_TAINT_TAG) for key in tags if key.startswith(CA_TAINT_TAG)}
    minimum = int(inputs.get("minSize") or 0)
    pool = NodePool(
        resource=resource,
        name=name,
        instance_types=tuple(types),
        desired=int(inputs.get("desiredCapacity") if inputs.get("desiredCapacity") is not None else minimum),
        min_size=minimum,
        max_size=int(inputs.get("maxSize") or minimum),
        on_demand_base=base,
        on_demand_percentage=percentage,
        on_demand_strategy=strategy,
        volumes=volumes,
        volume_note=volume_note,
        notes=tuple(notes),
    )
    if pool.carries_spot:
        taints.add(SPOT_TAINT["key"])  # the placement contract: every pool carrying spot is tainted
    return _with_taints(pool, taints)


def _with_taints(pool: NodePool, taints: set[str]) -> NodePool:
    return replace(pool, taint_keys=frozenset(taints))


def _managed_pool(resource: Resource, ctx: PricingContext) -> NodePool:
    inputs = resource.inputs
    scaling = inputs.get("scalingConfig") or {}
    template = find_launch_template(inputs.get("launchTemplate"), resource, ctx)
    types = list(inputs.get("instanceTypes") or [])
    if not types and template is not None and template.inputs.get("instanceType"):
        types = [template.inputs["instanceType"]]
    types = types or [EKS_DEFAULT_INSTANCE_TYPE]
    if template is not None:
        volumes, volume_note = _volumes(template)
    else:
        size = float(inputs.get("diskSize") or EKS_DEFAULT_DISK_GB)
        volumes, volume_note = (Volume(size, "gp3"),), ""
    taints = {t.get("key") for t in inputs.get("taints") or [] if isinstance(t, Mapping)}
    labels = inputs.get("labels") or {}
    spot = inputs.get("capacityType") == "SPOT"
    minimum = int(scaling.get("minSize") or 0)
    pool = NodePool(
        resource=resource,
        name=labels.get(POOL_LABEL) or (SYSTEM_POOL if SYSTEM_TAINT["key"] in taints else resource.name),
        instance_types=tuple(types),
        desired=int(scaling.get("desiredSize") if scaling.get("desiredSize") is not None else minimum),
        min_size=minimum,
        max_size=int(scaling.get("maxSize") or minimum),
        on_demand_percentage=0.0 if spot else 100.0,
        volumes=volumes,
        volume_note=volume_note,
    )
    return _with_taints(pool, {t for t in taints if t})


def _same_shape(a: NodePool, b: NodePool) -> bool:
    return (a.instance_types, a.on_demand_percentage, a.on_demand_strategy, a.volumes, a.taint_keys) == (
        b.instance_types,
        b.on_demand_percentage,
        b.on_demand_strategy,
        b.volumes,
        b.taint_keys,
    )


def merge_zonal_groups(pools: Sequence[NodePool]) -> list[NodePool]:
    """One pool per pool name: the zonal Auto Scaling groups of one worker pool (same types, mix
    and volumes) priced as that pool, their desired, min, max and on-demand base summed. Each
    zonal group applies its base and percentage to its own instances, so summed bases are
    exact and the percentage split is the pool-level one."""
    position: dict[str, int] = {}
    result: list[NodePool] = []
    for pool in pools:
        index = position.get(pool.name)
        if index is not None and _same_shape(result[index], pool):
            first = result[index]
            result[index] = replace(
                first,
                desired=first.desired + pool.desired,
                min_size=first.min_size + pool.min_size,
                max_size=first.max_size + pool.max_size,
                on_demand_base=first.on_demand_base + pool.on_demand_base,
                zonal_groups=(*first.zonal_groups, pool.resource),
            )
            continue
        position.setdefault(pool.name, len(result))
        result.append(pool)
    return result


def node_pools(ctx: PricingContext) -> list[NodePool]:
    by_urn = ctx.by_urn()
    # In URN order, so the group a pool is priced on does not depend on declaration order.
    groups = sorted(ctx.of_type(ASG), key=lambda r: r.urn)
    pools = merge_zonal_groups([_asg_pool(r, ctx, by_urn) for r in groups])
    pools += [_managed_pool(r, ctx) for r in ctx.of_type(*MANAGED_NODE_GROUPS)]
    return pools + karpenter_node_pools(ctx)
