"""Estimate a stack from its stack file: plan it offline, read its cost settings, price it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from infra.settings import PlatformSettings, load_settings
from infra.settings.cost import CostSettings
from mlp.cost.estimate import estimate
from mlp.cost.model import Estimate, PricingContext, Resource
from mlp.cost.naive import naive_posture
from mlp.cost.pools import node_pools
from mlp.cost.prices import PriceTable
from mlp.stack_file import read_stack_config


def stack_settings(project_dir: Path, stack: str) -> PlatformSettings:
    return load_settings(stack, read_stack_config(project_dir, stack).values)


@dataclass(frozen=True)
class StackEstimate:
    estimate: Estimate
    budget_usd: float
    settings: PlatformSettings

    @property
    def over_budget(self) -> bool:
        return self.estimate.monthly_total > self.budget_usd


def pool_instance_types(resources: Sequence[Resource], prices: PriceTable) -> set[str]:
    ctx = PricingContext(prices=prices, usage=CostSettings(), as_of=date.today(), resources=resources)
    return {t for pool in node_pools(ctx) for t in pool.instance_types}


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
        resources, usage, stack=stack, region=settings.region, prices=prices, as_of=as_of, at_peak=naive
    )
    return StackEstimate(estimate=result, budget_usd=settings.cost.monthly_budget_usd, settings=settings)
