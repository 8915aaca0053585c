"""The floor: what the same workloads cost, at the same availability, bought as cheaply as the
price table allows. Computed with the estimate's own code from the same prices, so the ratio
estimate / floor measures choices, not methods.

Per line of the estimate:
- a node pool and the workloads on it: the same pods (same replicas, same placement) packed by
  `pack` onto the cheapest instance types of the pool's shape (`cheapest_types`: same vCPU,
  memory, GPUs and architecture; burstable T types left out, their CPU is a credit balance, not
  a request the scheduler can rely on). Spot when every workload on the pool tolerates spot,
  priced as `pool_cost` prices spot: the average over the pool's spot-type minimum
  (`MIN_SPOT_INSTANCE_TYPES`, the platform's diversification rule) of the cheapest types. At
  least one node per zone a workload's pods must spread over; no node for a pool nothing needs;
- the search domain: the smallest domain that holds the stated index in the configured zones
  (`SearchSettings.floor_plan`), priced by the estimate's OpenSearch rule;
- everything else (control plane, NAT, endpoints, load balancers, keys, logs, queues,
  repositories): the fixed managed parts, at their estimate.

A component above `RATIO_WITH_REASON` (`mlp.cost.model`) times its floor carries the
configuration keys that cost more (`Reason`s), found by comparing the pool or domain with its floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from components.nodes.instance_catalog import (
    MIN_SPOT_GPU_INSTANCE_TYPES,
    MIN_SPOT_INSTANCE_TYPES,
    instance_catalog,
)
from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL, SPOT_TAINT, SYSTEM_POOL
from mlp.cost.model import (
    PricingContext,
    Resource,
    lookup,
    ratio,  # noqa: F401 (mlp.diff reads it here; defined beside the estimate)
)
from mlp.cost.node_pool import NodePool, pool_cost
from mlp.cost.packing import pack
from mlp.cost.placement import term_holds
from mlp.cost.prices import UnpricedError
from mlp.cost.rules import Priced, opensearch_domain
from mlp.cost.workloads import PodGroup
from mlp.wording import plural

ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"


@dataclass(frozen=True)
class FloorLine:
    monthly_usd: float
    basis: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchFloor:
    """The smallest domain for the stated index, and why the configured one costs more."""

    instance_type: str
    instance_count: int
    volume_size_gib: int
    zones: int
    reasons: tuple[str, ...] = ()


def pool_config_key(pool: str) -> str:
    """Where a pool is configured in the stack file."""
    if pool == SYSTEM_POOL:
        return "cluster.systemPool"
    if pool == "gpu":
        return "cluster.gpuPool"
    return f"nodePools.{pool}"


def cheapest_types(instance_type: str, *, spot: bool, ctx: PricingContext, count: int = 1) -> tuple[str, ...]:
    """The `count` cheapest types in the price table of `instance_type`'s shape and
    architecture (on-demand price, or estimated spot price), cheapest first."""
    catalog = instance_catalog()
    shape = catalog[instance_type]
    candidates = [
        t.name
        for t in catalog.values()
        if t.shape == shape.shape and t.architecture == shape.architecture and not t.family.startswith("t")
    ]
    price = ctx.prices.spot_hourly if spot else ctx.prices.on_demand_hourly
    priced = []
    for name in candidates:
        try:
            priced.append((price(name), name))
        except UnpricedError:
            continue
    return tuple(name for _, name in sorted(priced)[:count])


def spread_nodes(group: PodGroup) -> int:
    """Nodes a workload's replicas must land on apart: its hard (`DoNotSchedule`) topology
    spread over zones or hosts, up to `minDomains`. A soft spread is what the scheduler tries,
    not what the workload needs, so the floor does not pay for it (the estimate's pool may)."""
    pod_spec = lookup(group.resource.inputs, "spec.template.spec", None)
    if pod_spec is None:  # a Helm release: its values carry the constraints
        pod_spec = group.resource.inputs.get("values") or {}
    nodes = 0
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        hard = constraint.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
        if hard and constraint.get("topologyKey") in (ZONE_KEY, HOSTNAME_KEY):
            domains = int(constraint.get("minDomains") or group.replicas)
            nodes = max(nodes, min(group.replicas, domains))
    return nodes


def accepts_spot(group: PodGroup, pool: NodePool) -> bool:
    """Whether the workload could run on spot nodes of this pool: it tolerates the spot taint
    and neither its node selector nor its required node affinity rules out spot capacity."""
    if group.tolerated is not None and SPOT_TAINT["key"] not in group.tolerated:
        return False
    if group.capacity_selector not in (None, "spot"):
        return False
    labels = {POOL_LABEL: pool.name, CAPACITY_LABEL: "spot"}
    return not group.required_terms or any(term_holds(term, labels) for term in group.required_terms)


def _pool_reasons(
    pool: NodePool, floor: NodePool, nodes: int, floor_nodes: int, spot: bool, ctx: PricingContext
) -> tuple[str, ...]:
    key = pool_config_key(pool.name)
    reasons = []
    if nodes > floor_nodes:
        reasons.append(f"{key}.minSize ({plural(nodes, 'node')}, the workloads need {floor_nodes})")
    on_demand, _ = pool.split(nodes)
    if spot and on_demand:
        reasons.append(
            f"{key}.onDemandBaseCapacity / onDemandPercentageAboveBaseCapacity "
            f"({plural(on_demand, 'on-demand node')} for workloads that accept spot)"
        )
    # The same capacity type on both sides: does a node of the pool's types cost more?
    same_mix = replace(pool, on_demand_base=0, on_demand_percentage=floor.on_demand_percentage)
    if pool_cost(same_mix, 1, ctx).monthly_usd > pool_cost(floor, 1, ctx).monthly_usd + 0.005:
        reasons.append(f"{key}.instanceTypes (the cheapest of the shape: {', '.join(floor.instance_types)})")
    return tuple(reasons)


def pool_floor(
    pool: NodePool, groups: Sequence[PodGroup], nodes: int, ctx: PricingContext
) -> tuple[NodePool, int, Priced, tuple[str, ...]]:
    """(the floor pool, its nodes, its cost, why `pool` at `nodes` costs more)."""
    # Spot where the workloads accept it, whether or not this pool buys spot today.
    spot = bool(groups) and all(accepts_spot(g, pool) for g in groups)
    gpu = instance_catalog()[pool.instance_types[0]].gpu_count > 0
    width = (MIN_SPOT_GPU_INSTANCE_TYPES if gpu else MIN_SPOT_INSTANCE_TYPES) if spot else 1
    types = cheapest_types(pool.instance_types[0], spot=spot, ctx=ctx, count=width)
    floor = replace(
        pool,
        instance_types=types,
        on_demand_base=0,
        on_demand_percentage=0.0 if spot else 100.0,
        on_demand_strategy="lowest-price",
    )
    floor_nodes = 0
    if groups:
        floor_nodes = max(pack(groups, floor, ctx), max(spread_nodes(g) for g in groups))
    return floor, floor_nodes, pool_cost(floor, floor_nodes, ctx), _pool_reasons(pool, floor, nodes, floor_nodes, spot, ctx)


def search_floor_line(resource: Resource, floor: SearchFloor, ctx: PricingContext) -> FloorLine:
    """The smallest domain for the index, priced by the estimate's OpenSearch rule."""
    inputs = dict(resource.inputs)
    inputs["clusterConfig"] = {
        **(inputs.get("clusterConfig") or {}),
        "instanceType": floor.instance_type,
        "instanceCount": floor.instance_count,
        "dedicatedMasterEnabled": False,
    }
    inputs["ebsOptions"] = {**(inputs.get("ebsOptions") or {}), "volumeSize": floor.volume_size_gib, "iops": 3000, "throughput": 125}
    priced = opensearch_domain(replace(resource, inputs=inputs), ctx)  # a DeclaredResource
    return FloorLine(priced.monthly_usd, f"smallest domain for the index in {plural(floor.zones, 'zone')}: {priced.basis}", floor.reasons)

