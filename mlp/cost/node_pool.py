"""A node pool as the estimate prices it: its shape (instance types, size, on-demand and spot
mix, volumes, taints) and what it costs a month at a given size.

A pool is priced at a size: on-demand instances at the on-demand price, spot instances at the
spot price, plus each instance's EBS volumes. Assumptions, stated once:
- on-demand instances launch as the first override (`prioritized`, the default without
  instance requirements) or the cheapest (`lowest-price`);
- a spot instance costs the average spot price over the pool's types (price-capacity-optimized
  picks by capacity first, so no single type can be assumed);
- above the base, on-demand instances are rounded up (the conservative side).

Where pools come from is `mlp.cost.pools` (Auto Scaling groups, managed node groups) and
`mlp.cost.karpenter_pools` (Karpenter NodePools).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean

from components.nodes.placement import SYSTEM_POOL, SYSTEM_TAINT
from mlp.cost.model import PricingContext, Resource
from mlp.cost.prices import UnpricedError
from mlp.cost.rules import Priced, ebs_monthly
from mlp.wording import plural


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
    parts = [plural(nodes, "node")]
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
