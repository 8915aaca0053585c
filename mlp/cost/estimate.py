"""The monthly estimate of a declared stack: every priced resource, per component."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from infra.settings.cost import CostSettings
from mlp.cost.floor import FloorLine, SearchFloor, pool_floor, search_floor_line
from mlp.cost.ingresses import alb_groups, public_zone_count
from mlp.cost.model import CostItem, Estimate, PoolUsage, PricingContext, Resource, top_component
from mlp.cost.node_pool import pool_cost, worker_spot_share
from mlp.cost.packing import pack, spill
from mlp.cost.placement import place
from mlp.cost.pools import node_pools
from mlp.cost.prices import PriceTable, UnpricedError
from mlp.cost.rules import RULES, Priced, alb_monthly, usd
from mlp.cost.workloads import pod_groups
from mlp.wording import plural


def estimate(
    resources: Sequence[Resource],
    usage: CostSettings,
    *,
    stack: str,
    region: str = "us-east-1",
    prices: PriceTable | None = None,
    as_of: date | None = None,
    at_peak: bool = False,
    search_floor: SearchFloor | None = None,
) -> Estimate:
    """Price `resources` for the month starting `as_of` (default today), and each line's floor
    (`mlp.cost.floor`; the search domain's from `search_floor`, else at its estimate).

    `at_peak` sizes workloads at their HPA's `maxReplicas` (the naive posture's fixed size; a
    hand-sized pool is not capped by `maxSize`). Otherwise each pool is capped at its `maxSize`
    and the pods beyond it are priced on the pool that takes them (`mlp.cost.packing.spill`).
    """
    prices = prices or PriceTable.load()
    ctx = PricingContext(prices=prices, usage=usage, as_of=as_of or date.today(), resources=resources, region=region)
    by_urn = ctx.by_urn()
    priced: dict[str, Priced] = {}
    floors: dict[str, FloorLine] = {}

    def attempt(resource: Resource, compute) -> None:
        try:
            priced[resource.urn] = compute()
        except UnpricedError as error:
            ctx.unpriced.append(f"{resource.name}: {error}")
            priced[resource.urn] = Priced(0.0, f"UNPRICED: {error}")

    for resource in resources:
        rule = RULES.get(resource.type)
        if rule is not None:
            attempt(resource, lambda r=resource, f=rule: f(r, ctx))

    zones = public_zone_count(ctx)
    for group in alb_groups(ctx):
        lead = group.ingresses[0]
        ungrouped = group.key.startswith("ingress:")
        label = "its own ALB (no group)" if ungrouped else f"one ALB for group {group.key} ({plural(len(group.ingresses), 'Ingress', 'Ingresses')})"
        alb = alb_monthly(ctx, internet_facing=group.internet_facing, zones=zones)
        priced[lead.urn] = Priced(alb.monthly_usd, f"{label}: {alb.basis}")
        for other in group.ingresses[1:]:
            priced[other.urn] = Priced(0.0, f"shares the ALB of group {group.key} (priced on {lead.name})")

    pools = node_pools(ctx)
    groups = pod_groups(ctx, at_peak=at_peak)
    place(groups, pools)
    spills = []
    if not at_peak:
        groups, spills = spill(groups, pools, ctx)
    usages = []
    for pool in pools:
        mine = [g for g in groups if g.placed_on is pool]
        try:
            needed = pack(mine, pool, ctx) if mine else 0
            nodes = max(pool.desired, needed)
            cost = pool_cost(pool, nodes, ctx)
        except UnpricedError as error:
            ctx.unpriced.append(f"{pool.resource.name}: {error}")
            priced[pool.resource.urn] = Priced(0.0, f"UNPRICED: {error}")
            for zonal in pool.zonal_groups:
                priced[zonal.urn] = Priced(0.0, f"zonal group of pool {pool.name}, which is UNPRICED")
            for group in mine:
                priced[group.resource.urn] = Priced(0.0, f"on pool {pool.name}, which is UNPRICED")
            continue
        node_month = cost.monthly_usd / nodes if nodes else 0.0
        requested = 0.0
        for group in mine:
            share = sum(group.shares)
            requested += share * node_month
            line = Priced(
                share * node_month,
                f"{plural(group.replicas, 'pod')} ({group.replicas_note}) × {group.cpu:g} vCPU / {group.memory_gib:.2f} GiB "
                f"requested on pool {pool.name} ({usd(node_month)} per average node-month of its mix): "
                f"{share:.2f} node-equivalents",
            )
            earlier = priced.get(group.resource.urn)
            if earlier is not None:  # a workload split over pools by `spill`
                line = Priced(earlier.monthly_usd + line.monthly_usd, f"{earlier.basis}; {line.basis}")
            priced[group.resource.urn] = line
        basis = f"pool {pool.name}: {cost.basis}"
        moved = [m for m in spills if m.source == pool.name and m.target]
        if moved:
            basis += "; capped at maxSize, " + ", ".join(f"{plural(m.pods, 'pod')} of {m.workload} priced on pool {m.target}" for m in moved)
        if needed > pool.desired:
            basis += f"; requests need {plural(needed, 'node')}, above desired {pool.desired}"
            if needed > pool.max_size:
                basis += f" and maxSize {pool.max_size}"
        basis += f"; workloads request {usd(requested)} (charged to the workloads), idle {usd(cost.monthly_usd - requested)}"
        priced[pool.resource.urn] = Priced(cost.monthly_usd - requested, basis)
        for zonal in pool.zonal_groups:
            priced[zonal.urn] = Priced(0.0, f"zonal group of pool {pool.name} (the pool is priced on {pool.resource.name})")
        floor_usd = _floor_pool(pool, mine, nodes, ctx, floors)
        usages.append(
            PoolUsage(
                pool=pool.name,
                nodes=nodes,
                nodes_needed=needed,
                monthly_usd=cost.monthly_usd,
                requested_usd=requested,
                floor_usd=floor_usd,
            )
        )
    for group in groups:
        if group.placed_on is None:
            ctx.unpriced.append(f"{group.resource.name}: no node pool matches its selector and tolerations")
            priced[group.resource.urn] = Priced(0.0, "not placed: no node pool in this stack matches its selector and tolerations")

    if search_floor is not None:
        for domain in ctx.of_type("aws:opensearch/domain:Domain"):
            try:
                floors[domain.urn] = search_floor_line(domain, search_floor, ctx)
            except UnpricedError as error:
                floors[domain.urn] = FloorLine(priced[domain.urn].monthly_usd, f"floor unknown: {error}")

    def floor_of(urn: str) -> FloorLine:
        return floors.get(urn) or FloorLine(priced[urn].monthly_usd, "fixed managed part: the floor is its estimate")

    items = tuple(
        CostItem(
            urn=resource.urn,
            type=resource.type,
            name=resource.name,
            component=top_component(resource, by_urn),
            monthly_usd=priced[resource.urn].monthly_usd,
            basis=priced[resource.urn].basis,
            floor_usd=floor_of(resource.urn).monthly_usd,
            floor_basis=floor_of(resource.urn).basis,
            reasons=floor_of(resource.urn).reasons,
        )
        for resource in resources
        if resource.urn in priced
    )
    return Estimate(
        stack=stack,
        region=region,
        items=items,
        unpriced=tuple(ctx.unpriced),
        pools=tuple(usages),
        price_source=prices.source,
        as_of=ctx.as_of,
    )


def _floor_pool(pool, groups, nodes: int, ctx: PricingContext, floors: dict[str, FloorLine]) -> float:
    """Record the floor of a pool and of the workloads on it; return the pool's floor cost.
    Run after the pool's estimate: packing onto the floor types replaces the groups' shares
    (same shape, so the same shares)."""
    try:
        floor, floor_nodes, cost, reasons = pool_floor(pool, groups, nodes, ctx)
    except (UnpricedError, KeyError) as error:
        note = f"floor unknown: {error}"
        for resource in [pool.resource, *pool.zonal_groups, *(g.resource for g in groups)]:
            floors[resource.urn] = FloorLine(0.0, note)
        return 0.0
    node_month = cost.monthly_usd / floor_nodes if floor_nodes else 0.0
    requested = 0.0
    for group in groups:
        share = sum(group.shares) * node_month
        requested += share
        line = FloorLine(
            share, f"{sum(group.shares):.2f} node-equivalents at {usd(node_month)} a node-month of the floor pool", reasons
        )
        earlier = floors.get(group.resource.urn)
        if earlier is not None and earlier.basis.endswith("of the floor pool"):  # split over pools by `spill`
            line = FloorLine(earlier.monthly_usd + share, f"{earlier.basis}; {line.basis}", (*earlier.reasons, *reasons))
        floors[group.resource.urn] = line
    floors[pool.resource.urn] = FloorLine(
        cost.monthly_usd - requested, f"floor of pool {pool.name} ({', '.join(floor.instance_types)}): {cost.basis}", reasons
    )
    for zonal in pool.zonal_groups:
        floors[zonal.urn] = FloorLine(0.0, f"zonal group of pool {pool.name}, floored on {pool.resource.name}")
    return cost.monthly_usd


def spot_share_problem(resources: Sequence[Resource], minimum: float, prices: PriceTable | None = None) -> str | None:
    """Why the worker pools keep too little capacity on spot, or None (also when there are no
    worker pools: nothing to keep)."""
    ctx = PricingContext(prices=prices or PriceTable.load(), usage=CostSettings(), as_of=date.today(), resources=resources)
    spot, total = worker_spot_share(node_pools(ctx))
    if total == 0 or spot / total >= minimum:
        return None
    return (
        f"worker pools keep {spot} of {plural(total, 'instance')} on spot ({spot / total:.0%}) at desired size; "
        f"the stack requires at least {minimum:.0%} (ml-platform:cost.minSpotShare)"
    )
