"""Estimate a stack from its stack file: plan it offline, read its cost settings, price it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from infra.settings import PlatformSettings, load_settings
from infra.settings.cost import CostSettings
from mlp.cost.estimate import estimate
from mlp.cost.floor import SearchFloor
from mlp.cost.model import Estimate, PricingContext, Resource
from mlp.cost.naive import naive_posture
from mlp.cost.pools import node_pools
from mlp.cost.prices import PriceTable
from mlp.stack_file import read_stack_config
from mlp.wording import plural


def stack_settings(project_dir: Path, stack: str) -> PlatformSettings:
    return load_settings(stack, read_stack_config(project_dir, stack).values)


@dataclass(frozen=True)
class StackEstimate:
    estimate: Estimate
    budget_usd: float
    settings: PlatformSettings
    search_sizing: tuple[str, ...] = ()
    """The search domain's sizing arithmetic and its zone-loss answer, for the report."""

    @property
    def over_budget(self) -> bool:
        return self.estimate.monthly_total > self.budget_usd


def pool_instance_types(resources: Sequence[Resource], prices: PriceTable) -> set[str]:
    ctx = PricingContext(prices=prices, usage=CostSettings(), as_of=date.today(), resources=resources)
    return {t for pool in node_pools(ctx) for t in pool.instance_types}


def search_floor(settings: PlatformSettings) -> SearchFloor:
    """The smallest domain for the stated index, and the keys that make the configured one cost more."""
    search = settings.search
    plan, floor = search.domain_plan(), search.floor_plan()
    reasons = []
    if plan.dedicated_master_count:
        reasons.append(f"search.dedicatedMasterCount ({plural(plan.dedicated_master_count, 'dedicated master')})")
    if (plan.instance_type, plan.instance_count) != (floor.instance_type, floor.instance_count):
        pinned = [key for key, value in (("instanceType", search.instance_type), ("instanceCount", search.instance_count)) if value]
        reasons.append(
            ", ".join(f"search.{key}" for key in pinned)
            + f" ({plan.instance_count} × {plan.instance_type}, the index fits {floor.instance_count} × {floor.instance_type})"
            if pinned
            else f"search.index.queriesPerSecond (the peak after a zone loss needs {plan.instance_count} × {plan.instance_type})"
        )
    if plan.volume_size_gib > floor.volume_size_gib:
        reasons.append(f"search.volumeSizeGib ({plan.volume_size_gib} GiB a node, the index needs {floor.volume_size_gib})")
    if (search.volume_iops, search.volume_throughput_mibps) != (3000, 125):
        reasons.append("search.volumeIops / volumeThroughputMibps (above the gp3 baseline)")
    return SearchFloor(
        instance_type=floor.instance_type,
        instance_count=floor.instance_count,
        volume_size_gib=floor.volume_size_gib,
        zones=search.availability_zone_count,
        reasons=tuple(reasons),
    )


def search_sizing_lines(settings: PlatformSettings) -> tuple[str, ...]:
    plan = settings.search.domain_plan()
    return (*plan.steps, f"a lost zone: {plan.zone_loss}")


def estimate_resources(
    resources: Sequence[Resource],
    settings: PlatformSettings,
    stack: str,
    *,
    prices: PriceTable | None = None,
    naive: bool = False,
    as_of: date | None = None,
) -> StackEstimate:
    usage = settings.cost
    if naive:
        resources, usage = naive_posture(resources, usage)
    result = estimate(
        resources,
        usage,
        stack=stack,
        region=settings.region,
        prices=prices,
        as_of=as_of,
        at_peak=naive,
        search_floor=search_floor(settings),
    )
    if naive:
        result = replace(result, posture="naive")
    return StackEstimate(
        estimate=result,
        budget_usd=settings.cost.monthly_budget_usd,
        settings=settings,
        search_sizing=search_sizing_lines(settings),
    )
