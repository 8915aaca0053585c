"""How slim a stack is: pods at minimum scale, what they request, and the nodes each pool needs
for them. Read from the inventory alone (what the program declares), so it measures the program
rather than restating its config.

Placement and packing are `mlp.cost.pools`' (the same the cost estimate uses): each Deployment
goes to the pool its node affinity and tolerations allow and prefer, and a pool's pods are
packed first-fit decreasing by their requests onto its first instance type, less the share kept
for the kubelet and DaemonSets (`cost.nodeReservedFraction`). On top of that, a service whose
pods spread across zones with `DoNotSchedule` needs a node in as many zones as it has pods, up
to the constraint's `minDomains`, however small its requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from infra.settings.cost import CostSettings
from mlp.cost.floor import pool_config_key
from mlp.cost.model import PricingContext, lookup
from mlp.cost.pools import (
    DEPLOYMENT,
    HELM_RELEASE,
    NodePool,
    PodGroup,
    fits_pool,
    node_pools,
    pack,
    place,
    pod_groups,
    spill,
)
from mlp.cost.prices import PriceTable, UnpricedError
from mlp.declared import Inventory
from mlp.wording import plural

SERVICE_COMPONENT = "mlplatform:services:MlService"
AWS_PROVIDER = "pulumi:providers:aws"
ZONE_KEY = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class Workload:
    """A Deployment at its minimum scale and the pool it lands on."""

    namespace: str
    name: str
    pods: int
    cpu_millicores: float
    """Per pod."""
    memory_mib: float
    """Per pod."""
    pool: str | None
    """The pool placement picks; None when no pool admits the pods."""
    zones: int
    """Zones its pods must spread over (the zone constraint's `minDomains`, capped by the pod
    count); 0 without a hard zone spread."""


@dataclass(frozen=True)
class PoolFootprint:
    """One pool's share of the stack at minimum scale."""

    pool: str
    instance_types: tuple[str, ...]
    pods: int
    packed_nodes: int
    """Nodes of the first instance type the pods' requests fill."""
    zone_nodes: int
    """Nodes the hard zone spreads alone need (one per zone a service spreads over)."""
    cpu_percent: float
    memory_percent: float
    """Requests against the nodes' allocatable CPU and memory, at `nodes`."""
    vcpu: float
    memory_gib: float
    allocatable_fraction: float
    max_size: int = 0
    """The pool's ceiling (`maxSize`, summed over its zonal groups)."""
    workloads: tuple[str, ...] = ()
    """`namespace/name` of the workloads placed on it."""
    stranded_nodes: int = 0
    """Nodes needed by the workloads no other pool admits."""
    stranded: tuple[str, ...] = ()
    """Those workloads."""

    @property
    def nodes(self) -> int:
        return max(self.packed_nodes, self.zone_nodes)

    @property
    def over_ceiling(self) -> bool:
        return self.nodes > self.max_size


@dataclass(frozen=True)
class CapacityFit:
    """Whether a pool's ceiling holds the minimum footprint placed on it."""

    refusals: tuple[str, ...]
    """The pods that may run nowhere else need more nodes than `maxSize`: they would stay Pending."""
    warnings: tuple[str, ...]
    """The pool overflows, but what overflows may run on another pool (at that pool's price)."""


@dataclass(frozen=True)
class Footprint:
    stack: str
    services: int
    workloads: tuple[Workload, ...]
    pools: tuple[PoolFootprint, ...]
    problems: tuple[str, ...] = ()
    """Pools that could not be sized (no known instance type), workloads no pool admits."""
    without_workload: tuple[str, ...] = ()
    """Services declared without a Deployment (no image pushed yet, the first deploy)."""

    addons: int = 0
    """Helm releases whose pods are counted (their values set requests)."""

    unplaceable: tuple[str, ...] = ()
    """Pools whose overflow finds no other pool with room under its own `maxSize` (`spill`)."""

    @property
    def pods(self) -> int:
        return sum(w.pods for w in self.workloads)

    @property
    def cpu_millicores(self) -> float:
        return sum(w.pods * w.cpu_millicores for w in self.workloads)

    @property
    def memory_mib(self) -> float:
        return sum(w.pods * w.memory_mib for w in self.workloads)


def zone_spread(pod_spec: Mapping[str, Any]) -> int:
    """The `minDomains` of the pod's hard zone spread (1 when unset), or 0 without one."""
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        if constraint.get("topologyKey") == ZONE_KEY and constraint.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule":
            return int(constraint.get("minDomains") or 1)
    return 0


def _region(inventory: Inventory) -> str:
    regions = {r.inputs.get("region") for r in inventory.of_type(AWS_PROVIDER) if r.inputs.get("region")}
    return regions.pop() if len(regions) == 1 else "us-east-1"


def _workload(group: PodGroup) -> Workload:
    inputs = group.resource.inputs
    # A Deployment names itself in its metadata; a Helm release (an add-on) in its own inputs.
    metadata = inputs.get("metadata") or {"namespace": inputs.get("namespace"), "name": inputs.get("name")}
    pod_spec = lookup(inputs, "spec.template.spec", None) or inputs.get("values") or {}
    zones = min(group.replicas, zone_spread(pod_spec)) if group.replicas else 0
    return Workload(
        namespace=metadata.get("namespace") or "default",
        name=metadata.get("name") or group.resource.name,
        pods=group.replicas,
        cpu_millicores=group.cpu * 1000,
        memory_mib=group.memory_gib * 1024,
        pool=group.placed_on.name if group.placed_on is not None else None,
        zones=zones,
    )


def _pool_footprint(
    pool: NodePool,
    groups: Sequence[PodGroup],
    workloads: Sequence[Workload],
    ctx: PricingContext,
    others: Sequence[NodePool] = (),
) -> PoolFootprint:
    instance = ctx.prices.instance(pool.instance_types[0])
    usable = 1 - ctx.usage.node_reserved_fraction
    packed = pack(groups, pool, ctx)
    zone_nodes = max((w.zones for w in workloads), default=0)
    stranded = [i for i, group in enumerate(groups) if not any(fits_pool(group, other) for other in others)]
    stranded_nodes = 0
    if stranded:
        stranded_nodes = max(
            pack([groups[i] for i in stranded], pool, ctx), max(workloads[i].zones for i in stranded)
        )
        pack(groups, pool, ctx)  # the shares of every group on the pool, as the estimate uses them
    nodes = max(packed, zone_nodes)
    cpu = sum(g.replicas * g.cpu for g in groups)
    memory = sum(g.replicas * g.memory_gib for g in groups)
    return PoolFootprint(
        pool=pool.name,
        instance_types=pool.instance_types,
        pods=sum(g.replicas for g in groups),
        packed_nodes=packed,
        zone_nodes=zone_nodes,
        cpu_percent=100 * cpu / (nodes * instance.vcpu * usable) if nodes else 0.0,
        memory_percent=100 * memory / (nodes * instance.memory_gib * usable) if nodes else 0.0,
        vcpu=instance.vcpu,
        memory_gib=instance.memory_gib,
        allocatable_fraction=usable,
        max_size=pool.max_size,
        workloads=tuple(f"{w.namespace}/{w.name}" for w in workloads),
        stranded_nodes=stranded_nodes,
        stranded=tuple(f"{workloads[i].namespace}/{workloads[i].name}" for i in stranded),
    )


def max_size_key(pool: str) -> str:
    return f"ml-platform:{pool_config_key(pool)}.maxSize"


def capacity_fit(result: Footprint) -> CapacityFit:
    """Each pool's minimum footprint against its `maxSize`: refused when pods that no other pool
    admits cannot fit under the ceiling, or when what spills finds no pool with room under its own
    ceiling; a warning when only pods that may run elsewhere spill and another pool takes them."""
    refusals, warnings = [], []
    for pool in result.pools:
        if not pool.over_ceiling:
            continue
        key = max_size_key(pool.pool)
        if pool.stranded_nodes > pool.max_size:
            refusals.append(
                f"pool {pool.pool}: the minimum footprint of {', '.join(sorted(pool.stranded))} needs "
                f"{plural(pool.stranded_nodes, 'node')}, above the pool's maxSize {pool.max_size} ({key}), and no other "
                f"pool admits them: raise {key} or lower those services' replicas.min or requests"
            )
        else:
            warnings.append(
                f"pool {pool.pool}: the minimum footprint of {', '.join(sorted(pool.workloads))} needs "
                f"{plural(pool.nodes, 'node')}, above the pool's maxSize {pool.max_size} ({key}); the rest goes to another pool that "
                f"admits it (at that pool's price)"
            )
    refused = {r.split(':', 1)[0] for r in refusals}
    refusals += [u for u in result.unplaceable if u.split(':', 1)[0] not in refused]
    refused = {r.split(':', 1)[0] for r in refusals}
    warnings = [w for w in warnings if w.split(':', 1)[0] not in refused]
    return CapacityFit(refusals=tuple(refusals), warnings=tuple(warnings))


def footprint(inventory: Inventory, prices: PriceTable | None = None, usage: CostSettings | None = None) -> Footprint:
    ctx = PricingContext(
        prices=prices or PriceTable.load(),
        usage=usage or CostSettings(),
        as_of=date.today(),
        resources=inventory.resources,
        region=_region(inventory),
    )
    pools = node_pools(ctx)
    groups = pod_groups(ctx)
    place(groups, pools)
    _, moves = spill([replace(g, shares=[]) for g in groups], pools, ctx)
    unplaceable = tuple(
        f"pool {move.source}: {move.workload} need {plural(move.pods, 'node')} at minimum scale even after every pod "
        f"that may run elsewhere moved to a pool with room under its own maxSize; the pool's maxSize is "
        f"{move.max_size} ({max_size_key(move.source)}): raise it or lower those services' replicas.min or requests"
        for move in moves
        if move.target is None
    )
    workloads = [_workload(group) for group in groups]
    problems = [
        f"{w.namespace}/{w.name}: no pool admits its pods (node affinity, tolerations)"
        for w in workloads
        if w.pool is None and w.pods
    ]
    sized = []
    for pool in pools:
        members = [i for i, group in enumerate(groups) if group.placed_on is pool and group.replicas]
        if not members:
            continue
        others = [other for other in pools if other is not pool]
        try:
            sized.append(_pool_footprint(pool, [groups[i] for i in members], [workloads[i] for i in members], ctx, others))
        except (UnpricedError, IndexError):
            problems.append(f"pool {pool.name}: no instance type in the price table to size it on")
    services = inventory.of_type(SERVICE_COMPONENT)
    # A service's Deployments are its direct children (`MlService` declares them under itself).
    deployed = {getattr(resource, "parent", None) for resource in inventory.of_type(DEPLOYMENT)}
    without_workload = tuple(sorted(service.name for service in services if service.urn not in deployed))
    return Footprint(
        stack=inventory.stack,
        services=len(services),
        without_workload=without_workload,
        addons=sum(1 for group in groups if group.resource.type == HELM_RELEASE),
        workloads=tuple(workloads),
        pools=tuple(sized),
        problems=tuple(problems),
        unplaceable=unplaceable,
    )


def render(result: Footprint) -> str:
    headline = (
        f"footprint at minimum scale ({result.stack}): {plural(result.pods, 'pod')} for "
        f"{plural(result.services, 'service')} and {plural(result.addons, 'add-on')}, "
        f"requests {result.cpu_millicores / 1000:.2f} vCPU and {result.memory_mib / 1024:.2f} GiB"
    )
    lines = [headline]
    if result.without_workload:
        lines.append(
            f"  no workload yet for {len(result.without_workload)} of {plural(result.services, 'service')} "
            f"(no image pinned): {', '.join(result.without_workload)}"
        )
    for workload in sorted(result.workloads, key=lambda w: (w.namespace, w.name)):
        spread = f", over {workload.zones} zones" if workload.zones > 1 else ""
        lines.append(
            f"  {workload.namespace}/{workload.name}: {workload.pods} × "
            f"({workload.cpu_millicores:.0f}m, {workload.memory_mib:.0f}Mi) on {workload.pool or 'no pool'}{spread}"
        )
    if not result.pools and not result.problems:
        lines.append("  pools: no pod lands on a node pool in this stack")
    for pool in result.pools:
        why = f"{pool.packed_nodes} by requests"
        if pool.zone_nodes > pool.packed_nodes:
            why += f", {pool.zone_nodes} for the zone spread"
        types = ", ".join(pool.instance_types)
        lines.append(
            f"  pool {pool.pool}: {plural(pool.nodes, 'node')} for {plural(pool.pods, 'pod')} ({why}); types {types}; "
            f"sized on {pool.instance_types[0]} ({pool.vcpu:g} vCPU, {pool.memory_gib:g} GiB, "
            f"{pool.allocatable_fraction:.0%} allocatable): {pool.cpu_percent:.0f}% CPU, "
            f"{pool.memory_percent:.0f}% memory requested"
        )
    lines += [f"  {problem}" for problem in result.problems]
    return "\n".join(lines)
