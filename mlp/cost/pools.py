"""Node pools and what runs on them.

A pool is a self-managed Auto Scaling group (mixed instances: an on-demand base, then a
percentage split between on-demand and spot) or an EKS managed node group. It is priced at its
desired size: on-demand instances at the on-demand price, spot instances at the spot price, plus
each instance's EBS volumes from its launch template.

Assumptions, stated once:
- on-demand instances launch as the first override (`prioritized`, the default without
  instance requirements) or the cheapest (`lowest-price`);
- a spot instance costs the average spot price over the pool's types (price-capacity-optimized
  picks by capacity first, so no single type can be assumed);
- above the base, on-demand instances are rounded up (the conservative side).

Workloads (Deployments, replicas from their HPA's `minReplicas`, and the add-ons' pods from the
values of their Helm releases) are packed by their requests onto their pool's first instance
type, first fit decreasing. Each Deployment is charged the share
of node-hours its requests take; what no one requests stays on the pool's line as idle capacity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import mean
from typing import Any

from components.nodes.placement import (
    CAPACITY_LABEL,
    POOL_LABEL,
    SPOT_TAINT,
    SYSTEM_POOL,
    SYSTEM_TAINT,
)
from mlp.cost.model import PricingContext, Resource, lookup
from mlp.cost.prices import UnpricedError
from mlp.cost.quantity import parse_quantity
from mlp.cost.rules import Priced, ebs_monthly

ASG = "aws:autoscaling/group:Group"
MANAGED_NODE_GROUPS = ("eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup")
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA_TYPES = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")

CA_LABEL_TAG = "k8s.io/cluster-autoscaler/node-template/label/"
CA_TAINT_TAG = "k8s.io/cluster-autoscaler/node-template/taint/"
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"  # EKS managed node groups without instanceTypes
EKS_DEFAULT_DISK_GB = 20  # EKS managed node groups without a launch template


@dataclass(frozen=True)
class Volume:
    size_gb: float
    volume_type: str
    iops: float = 0
    throughput: float = 0


@dataclass(frozen=True)
class NodePool:
    resource: Resource
    name: str
    instance_types: tuple[str, ...]
    desired: int
    min_size: int
    max_size: int
    on_demand_base: int = 0
    on_demand_percentage: float = 100
    on_demand_strategy: str = "prioritized"
    volumes: tuple[Volume, ...] = ()
    volume_note: str = ""
    taint_keys: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    zonal_groups: tuple[Resource, ...] = ()
    """The pool's other Auto Scaling groups (one per zone; `resource` is the first), whose sizes
    and on-demand bases are summed into this one's."""

    @property
    def system(self) -> bool:
        return self.name == SYSTEM_POOL or SYSTEM_TAINT["key"] in self.taint_keys

    def split(self, nodes: int) -> tuple[int, int]:
        """(on-demand, spot) instances at a size."""
        base = min(nodes, self.on_demand_base)
        on_demand_above = math.ceil((nodes - base) * self.on_demand_percentage / 100)
        on_demand = base + on_demand_above
        return on_demand, nodes - on_demand

    @property
    def carries_spot(self) -> bool:
        return self.on_demand_percentage < 100

    @property
    def capacity_type(self) -> str:
        if self.on_demand_percentage >= 100:
            return "on-demand"
        if self.on_demand_base == 0 and self.on_demand_percentage == 0:
            return "spot"
        return "mixed"


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
    from mlp.cost.karpenter import karpenter_node_pools  # its pools are this module's NodePool

    return pools + karpenter_node_pools(ctx)


def pool_cost(pool: NodePool, nodes: int, ctx: PricingContext) -> Priced:
    if not pool.instance_types:
        raise UnpricedError(f"pool {pool.name}: no instance type found")
    on_demand, spot = pool.split(nodes)
    prices = ctx.prices
    if pool.on_demand_strategy == "lowest-price":
        od_type = min(pool.instance_types, key=prices.on_demand_hourly)
    else:
        od_type = pool.instance_types[0]
    od_hourly = prices.on_demand_hourly(od_type)
    parts = [f"{nodes} nodes"]
    monthly = on_demand * od_hourly * ctx.hours
    if on_demand:
        parts.append(f"{on_demand} on-demand {od_type} × {ctx.hours:g} h × ${od_hourly:.4f}")
    if spot:
        spot_hourly = mean(prices.spot_hourly(t) for t in pool.instance_types)
        monthly += spot * spot_hourly * ctx.hours
        parts.append(f"{spot} spot × {ctx.hours:g} h × ${spot_hourly:.4f} (avg of {', '.join(pool.instance_types)})")
    for volume in pool.volumes:
        priced = ebs_monthly(ctx, volume.size_gb, volume.volume_type, volume.iops, volume.throughput)
        monthly += nodes * priced.monthly_usd
        parts.append(f"{nodes} × {priced.basis}")
    if pool.volume_note:
        parts.append(pool.volume_note)
    parts.extend(pool.notes)
    return Priced(monthly, "; ".join(parts))


def worker_spot_share(pools: Sequence[NodePool]) -> tuple[int, int]:
    """(spot instances, all instances) at desired size, over worker pools (system excluded)."""
    spot = total = 0
    for pool in pools:
        if pool.system:
            continue
        _, pool_spot = pool.split(pool.desired)
        spot += pool_spot
        total += pool.desired
    return spot, total


# --- workloads -----------------------------------------------------------------------------


@dataclass
class PodGroup:
    resource: Resource
    replicas: int
    cpu: float
    memory_gib: float
    pool_selector: str | None
    capacity_selector: str | None
    tolerated: frozenset[str] | None  # None: tolerates everything
    required_terms: tuple[Mapping[str, Any], ...] = ()  # nodeAffinity required nodeSelectorTerms (ORed)
    preferred_terms: tuple[Mapping[str, Any], ...] = ()  # nodeAffinity preferred terms with weights
    replicas_note: str = ""
    placed_on: NodePool | None = None
    shares: list[float] = field(default_factory=list)


def _requests(pod_spec: Mapping[str, Any]) -> tuple[float, float]:
    cpu = memory = 0.0
    for container in pod_spec.get("containers") or []:
        requests = lookup(container, "resources.requests", {}) or {}
        if "cpu" in requests:
            cpu += float(parse_quantity(str(requests["cpu"])))
        if "memory" in requests:
            memory += float(parse_quantity(str(requests["memory"]))) / 2**30
    return cpu, memory


HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def _tolerated(tolerations: Sequence[Mapping[str, Any]]) -> frozenset[str] | None:
    """The taint keys tolerated; None when a key-less `Exists` toleration tolerates everything."""
    if any(not t.get("key") and t.get("operator") == "Exists" for t in tolerations):
        return None
    return frozenset(t.get("key") for t in tolerations if t.get("key"))


def addon_groups(ctx: PricingContext) -> list[PodGroup]:
    """The add-ons' pods from the values the program passes each Helm release: replicas
    (`replicaCount` or `replicas`, the two spellings the pinned charts use; 1 when unset, the
    charts' default), `resources.requests`, `nodeSelector` and `tolerations`. A release whose
    values set no requests is left out (its chart's defaults are not read here), so what the
    system pool shows as requested is what the program asks for."""
    groups = []
    for release in ctx.of_type(HELM_RELEASE):
        values = release.inputs.get("values") or {}
        # Karpenter's chart keeps its container's resources under `controller.resources`.
        requests = (
            lookup(values, "resources.requests", {})
            or lookup(values, "controller.resources.requests", {})
            or {}
        )
        if not requests:
            continue
        key = "replicaCount" if "replicaCount" in values else "replicas"
        replicas = int(values.get(key) or 1)
        selector = values.get("nodeSelector") or {}
        tolerated = _tolerated(values.get("tolerations") or [])
        cpu, memory = _requests({"containers": [{"resources": {"requests": requests}}]})
        groups.append(
            PodGroup(
                resource=release,
                replicas=replicas,
                cpu=cpu,
                memory_gib=memory,
                pool_selector=selector.get(POOL_LABEL),
                capacity_selector=selector.get(CAPACITY_LABEL),
                tolerated=tolerated,
                replicas_note=f"values.{key}" if key in values else "chart default",
            )
        )
    return groups


def _metadata_key(resource: Resource) -> tuple[str, str]:
    metadata = resource.inputs.get("metadata") or {}
    return metadata.get("namespace") or "default", metadata.get("name") or resource.name


def pod_groups(ctx: PricingContext, *, at_peak: bool = False) -> list[PodGroup]:
    """Deployments with their replica count: the HPA's `minReplicas` (or `maxReplicas` when
    `at_peak`, the naive fixed-size posture), else `spec.replicas` (default 1)."""
    scalers: dict[tuple[str, str], Mapping[str, Any]] = {}
    for hpa in ctx.of_type(*HPA_TYPES):
        namespace, _ = _metadata_key(hpa)
        target = lookup(hpa.inputs, "spec.scaleTargetRef", {}) or {}
        if target.get("kind") == "Deployment":
            scalers[(namespace, target.get("name"))] = hpa.inputs.get("spec") or {}
    groups = []
    for deployment in ctx.of_type(DEPLOYMENT):
        spec = deployment.inputs.get("spec") or {}
        pod_spec = lookup(spec, "template.spec", {}) or {}
        scaler = scalers.get(_metadata_key(deployment))
        if scaler is not None:
            key = "maxReplicas" if at_peak else "minReplicas"
            replicas, note = int(scaler.get(key) or scaler.get("minReplicas") or 1), f"HPA {key}"
        else:
            replicas, note = int(spec.get("replicas", 1)), "spec.replicas"
        cpu, memory = _requests(pod_spec)
        selector = pod_spec.get("nodeSelector") or {}
        tolerations = pod_spec.get("tolerations") or []
        node_affinity = lookup(pod_spec, "affinity.nodeAffinity", {}) or {}
        required_terms = tuple(
            lookup(node_affinity, "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", []) or []
        )
        preferred_terms = tuple(node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
        tolerated = _tolerated(tolerations)
        groups.append(
            PodGroup(
                resource=deployment,
                replicas=replicas,
                cpu=cpu,
                memory_gib=memory,
                pool_selector=selector.get(POOL_LABEL),
                capacity_selector=selector.get(CAPACITY_LABEL),
                tolerated=tolerated,
                required_terms=required_terms,
                preferred_terms=preferred_terms,
                replicas_note=note,
            )
        )
    return groups + addon_groups(ctx)


def _pool_labels(pool: NodePool) -> dict[str, str]:
    """The labels the scheduler sees on the pool's nodes (set through nodeadm or the node group)."""
    return {POOL_LABEL: pool.name, CAPACITY_LABEL: pool.capacity_type}


def _expression_holds(expression: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One `matchExpressions` entry, with the operators node affinity defines for labels."""
    key, operator = expression.get("key"), expression.get("operator")
    values = expression.get("values") or []
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # Gt/Lt compare integers; no pool label is numeric


def term_holds(term: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    return all(_expression_holds(expression, labels) for expression in term.get("matchExpressions") or [])


def fits_pool(group: PodGroup, pool: NodePool) -> bool:
    """Whether the scheduler may place the group's pods on the pool's nodes."""
    if group.pool_selector is not None and group.pool_selector != pool.name:
        return False
    if group.capacity_selector is not None and group.capacity_selector != pool.capacity_type:
        return False
    labels = _pool_labels(pool)
    if group.required_terms and not any(term_holds(term, labels) for term in group.required_terms):
        return False
    return group.tolerated is None or pool.taint_keys <= group.tolerated


def _preference(group: PodGroup, pool: NodePool) -> int:
    labels = _pool_labels(pool)
    return sum(
        int(term.get("weight") or 0)
        for term in group.preferred_terms
        if term_holds(term.get("preference") or {}, labels)
    )


def place(groups: Sequence[PodGroup], pools: Sequence[NodePool]) -> None:
    """Each group goes to the pool the scheduler would favour among those it may schedule on:
    highest preferred-affinity weight, then worker pools before the system pool, then spot-bearing
    pools before on-demand ones (the autoscaler's priority expander grows those first), then name."""
    for group in groups:
        fitting = [pool for pool in pools if fits_pool(group, pool)]
        fitting.sort(key=lambda p: (-_preference(group, p), p.system, not p.carries_spot, p.name))
        group.placed_on = fitting[0] if fitting else None


def pack(groups: Sequence[PodGroup], pool: NodePool, ctx: PricingContext) -> int:
    """First-fit-decreasing packing of the groups' pods onto the pool's first instance type;
    fills each group's per-pod share of a node (dominant resource) and returns nodes needed."""
    instance = ctx.prices.instance(pool.instance_types[0])
    usable = 1 - ctx.usage.node_reserved_fraction
    cpu_capacity, memory_capacity = instance.vcpu * usable, instance.memory_gib * usable
    pods = []
    for group in groups:
        share = min(1.0, max(group.cpu / cpu_capacity, group.memory_gib / memory_capacity))
        group.shares = [share] * group.replicas
        pods += [(share, group.cpu, group.memory_gib)] * group.replicas
    bins: list[list[float]] = []
    for _, cpu, memory in sorted(pods, reverse=True):
        for free in bins:
            if free[0] >= cpu and free[1] >= memory:
                free[0] -= cpu
                free[1] -= memory
                break
        else:
            bins.append([max(0.0, cpu_capacity - cpu), max(0.0, memory_capacity - memory)])
    return len(bins)


@dataclass(frozen=True)
class Spill:
    """Pods moved off a pool at its `maxSize` (`spill`), or, with no `target`, a pool still over
    its ceiling once every pod that may run elsewhere has moved where there is room."""

    source: str
    target: str | None
    workload: str
    """The moved workload; without a target, the workloads left on the pool."""
    pods: int
    """Pods moved; without a target, the nodes the pool still needs."""
    max_size: int = 0


def _load_fits(groups: Sequence[PodGroup], pool: NodePool, ctx: PricingContext) -> bool:
    live = [g for g in groups if g.replicas]
    return not live or pack(live, pool, ctx) <= pool.max_size


def _most_that_fit(group: PodGroup, others: Sequence[PodGroup], pool: NodePool, ctx: PricingContext) -> int:
    """The most of `group`'s pods that fit on `pool` next to `others` under its maxSize (binary
    search over the count; first-fit decreasing needs no fewer nodes for more pods)."""
    low, high = 0, group.replicas
    while low < high:
        middle = (low + high + 1) // 2
        if _load_fits([*others, replace(group, replicas=middle, shares=[])], pool, ctx):
            low = middle
        else:
            high = middle - 1
    return low


def spill(groups: Sequence[PodGroup], pools: Sequence[NodePool], ctx: PricingContext) -> tuple[list[PodGroup], list[Spill]]:
    """Cap every pool at its `maxSize`: "Cluster Autoscaler will respect the minimum and maximum
    values of each Auto Scaling Group" (kubernetes/autoscaler, cluster-autoscaler-1.36.1,
    cluster-autoscaler/cloudprovider/aws/README.md), so pods beyond it stay Pending for that pool
    and land only where another pool admits them and can still grow. After `place`: on each pool in turn, the pods that do not fit under
    its ceiling (taken from the last-placed workloads that another pool admits) move to the next
    pool in placement order that admits them and has room under its own `maxSize`. Returns the
    groups (a workload split over pools is one group per pool) and every move; a move with no
    target is pods that fit nowhere."""
    result = list(groups)
    moves: list[Spill] = []
    for pool in pools:
        mine = [g for g in result if g.placed_on is pool and g.replicas]
        if _load_fits(mine, pool, ctx):
            continue
        for group in reversed(mine):
            targets = [p for p in pools if p is not pool and fits_pool(group, p)]
            if not targets:
                continue
            targets.sort(key=lambda p: (-_preference(group, p), p.system, not p.carries_spot, p.name))
            others = [g for g in result if g.placed_on is pool and g.replicas and g is not group]
            keep = _most_that_fit(group, others, pool, ctx)
            excess = group.replicas - keep
            for target in targets:
                if not excess:
                    break
                there = [g for g in result if g.placed_on is target and g.replicas]
                moved = _most_that_fit(replace(group, replicas=excess, shares=[]), there, target, ctx)
                if moved:
                    result.append(replace(group, replicas=moved, placed_on=target, shares=[]))
                    moves.append(Spill(pool.name, target.name, group.resource.name, moved))
                    excess -= moved
            group.replicas = keep + excess  # what found no room stays here, over the ceiling
            if _load_fits([g for g in result if g.placed_on is pool], pool, ctx):
                break
        left = [g for g in result if g.placed_on is pool and g.replicas]
        if not _load_fits(left, pool, ctx):
            names = ", ".join(sorted({g.resource.name for g in left}))
            moves.append(Spill(pool.name, None, names, pack(left, pool, ctx), pool.max_size))
    return result, moves
