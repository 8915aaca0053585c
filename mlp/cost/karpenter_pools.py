"""Karpenter's NodePools as priced pools.

A NodePool has no size of its own: Karpenter launches what the pending pods need. So a NodePool
is priced as a pool with no floor (desired 0), sized by packing the workloads placed on it
(`mlp.cost.packing.pack`, the same first-fit-decreasing packing the Auto Scaling groups get) onto
the cheapest instance type it admits, on-demand at that type's price (Karpenter launches
on-demand lowest-price first), spot at the price table's estimate over the admitted types (as
for the groups: price-capacity-optimized chooses by capacity, so no single type can be
assumed), plus each node's root volume from its EC2NodeClass.

One floor a NodePool does have: a workload with a hard zone spread (`whenUnsatisfiable:
DoNotSchedule`, `minDomains` = the zones) makes Karpenter launch a node in each zone it needs,
however small its pods. The pool's size is therefore at least the most zones any workload placed
on it needs (min(replicas, minDomains)); the packing decides above that.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from components.nodes.placement import POOL_LABEL, SPOT_TAINT
from mlp.cost.model import PricingContext, Resource, lookup
from mlp.cost.node_pool import NodePool, Volume
from mlp.cost.placement import place
from mlp.cost.quantity import parse_quantity
from mlp.cost.workloads import pod_groups
from mlp.wording import plural

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def _requirement(spec: dict[str, Any], key: str) -> list[str]:
    for requirement in lookup(spec, "template.spec.requirements", []) or []:
        if requirement.get("key") == key and requirement.get("operator") == "In":
            return list(requirement.get("values") or [])
    return []


def _volumes(node_class: Resource | None) -> tuple[tuple[Volume, ...], str]:
    if node_class is None:
        return (), "no EC2NodeClass found: root volume NOT priced"
    volumes = []
    for mapping in lookup(node_class.inputs, "spec.blockDeviceMappings", []) or []:
        ebs = mapping.get("ebs") or {}
        if ebs.get("volumeSize"):
            size_gib = float(parse_quantity(str(ebs["volumeSize"]))) / 2**30
            volumes.append(
                Volume(
                    size_gib,
                    ebs.get("volumeType") or "gp3",
                    float(ebs.get("iops") or 0),
                    float(ebs.get("throughput") or 0),
                )
            )
    return tuple(
        volumes
    ), "" if volumes else "EC2NodeClass sets no volume: root volume from the AMI, NOT priced"


def karpenter_node_pools(ctx: PricingContext) -> list[NodePool]:
    """The stack's NodePools as pools with no floor, their types cheapest first."""
    classes = {lookup(r.inputs, "metadata.name"): r for r in ctx.of_type(NODECLASS)}
    pools = []
    for resource in sorted(ctx.of_type(NODEPOOL), key=lambda r: r.urn):
        spec = resource.inputs.get("spec") or {}
        types = sorted(
            _requirement(spec, "node.kubernetes.io/instance-type"), key=ctx.prices.on_demand_hourly
        )
        capacity = _requirement(spec, "karpenter.sh/capacity-type") or ["on-demand"]
        labels = lookup(spec, "template.metadata.labels", {}) or {}
        taints = {
            t.get("key") for t in lookup(spec, "template.spec.taints", []) or [] if t.get("key")
        }
        spot = "spot" in capacity
        if spot:
            taints.add(SPOT_TAINT["key"])
        cpu_limit = lookup(spec, "limits.cpu")
        largest = max((ctx.prices.instance(t).vcpu for t in types), default=0)
        max_size = (
            int(float(parse_quantity(str(cpu_limit))) // largest) if cpu_limit and largest else 0
        )
        node_class = classes.get(lookup(spec, "template.spec.nodeClassRef.name"))
        volumes, volume_note = _volumes(node_class)
        pools.append(
            NodePool(
                resource=resource,
                name=labels.get(POOL_LABEL)
                or lookup(resource.inputs, "metadata.name")
                or resource.name,
                instance_types=tuple(types),
                desired=0,
                min_size=0,
                max_size=max_size,
                on_demand_percentage=0.0 if spot else 100.0,
                on_demand_strategy="lowest-price",
                volumes=volumes,
                volume_note=volume_note,
                taint_keys=frozenset(taints),
                notes=(
                    "Karpenter NodePool: no floor of its own, sized by the workloads placed on it",
                ),
            )
        )
    return _with_zone_floors(pools, ctx)


def zones_needed(pod_spec: dict[str, Any], replicas: int) -> int:
    """Nodes in distinct zones a Deployment's hard zone spread asks for."""
    needed = 1 if replicas else 0
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        if (
            constraint.get("topologyKey") == "topology.kubernetes.io/zone"
            and constraint.get("whenUnsatisfiable") == "DoNotSchedule"
        ):
            needed = max(needed, min(replicas, int(constraint.get("minDomains") or 1)))
    return needed


def _with_zone_floors(pools: list[NodePool], ctx: PricingContext) -> list[NodePool]:
    if not pools:
        return pools
    groups = pod_groups(ctx)
    place(groups, pools)
    floored = []
    for pool in pools:
        zones = max(
            (
                zones_needed(lookup(g.resource.inputs, "spec.template.spec", {}) or {}, g.replicas)
                for g in groups
                if g.placed_on is pool
            ),
            default=0,
        )
        note = (
            f"at least {plural(zones, 'node')}: a workload on it spreads over {plural(zones, 'zone')} "
            "(DoNotSchedule)"
        )
        floored.append(
            replace(pool, desired=zones, notes=(*pool.notes, note)) if zones > 1 else pool
        )
    return floored
