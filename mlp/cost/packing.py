"""How many nodes a pool's workloads take, and where the pods beyond a pool's `maxSize` go.

Pods are packed by their requests onto the pool's first instance type, first fit decreasing,
less the share of each node kept for the kubelet and DaemonSets (`cost.nodeReservedFraction`).
Each workload's pods get their share of a node (the dominant resource), which is what the
estimate charges them; what no one requests stays on the pool's line as idle capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from mlp.cost.model import PricingContext
from mlp.cost.node_pool import NodePool
from mlp.cost.placement import favoured_first, fits_pool
from mlp.cost.workloads import PodGroup


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
            targets = favoured_first(group, [p for p in pools if p is not pool and fits_pool(group, p)])
            if not targets:
                continue
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
