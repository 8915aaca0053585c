"""What an estimate is made of: one priced line per resource, with the arithmetic behind it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from infra.settings.cost import CostSettings
from mlp.cost.prices import PriceTable


class Resource(Protocol):
    """A declared resource as the inventory holds it (`mlp.mocks.DeclaredResource`)."""

    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]


@dataclass(frozen=True)
class CostItem:
    urn: str
    type: str
    name: str
    component: str
    monthly_usd: float
    basis: str

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "component": self.component,
            "monthly_usd": round(self.monthly_usd, 2),
            "basis": self.basis,
        }


@dataclass(frozen=True)
class PoolUsage:
    """How much of a node pool the workloads' requests use."""

    pool: str
    nodes: int
    nodes_needed: int
    monthly_usd: float
    requested_usd: float

    @property
    def idle_usd(self) -> float:
        return self.monthly_usd - self.requested_usd


@dataclass(frozen=True)
class Estimate:
    stack: str
    region: str
    items: tuple[CostItem, ...]
    unpriced: tuple[str, ...] = ()
    pools: tuple[PoolUsage, ...] = ()
    price_source: str = "snapshot"
    as_of: date | None = None

    @property
    def monthly_total(self) -> float:
        return sum(item.monthly_usd for item in self.items)

    def by_component(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for item in self.items:
            totals[item.component] += item.monthly_usd
        return dict(sorted(totals.items(), key=lambda entry: (-entry[1], entry[0])))

    def to_json(self) -> dict[str, Any]:
        """Exactly the documented shape of `mlp cost --json`."""
        return {
            "stack": self.stack,
            "region": self.region,
            "currency": "USD",
            "monthly_total": round(self.monthly_total, 2),
            "items": [item.to_json() for item in self.items],
        }


@dataclass
class PricingContext:
    """Everything a pricing rule may look at besides the resource itself."""

    prices: PriceTable
    usage: CostSettings
    as_of: date
    resources: Sequence[Resource]
    region: str = "us-east-1"
    unpriced: list[str] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return self.usage.hours_per_month

    def of_type(self, *types: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.type in types]

    def by_urn(self) -> Mapping[str, Resource]:
        return {resource.urn: resource for resource in self.resources}


def top_component(resource: Resource, by_urn: Mapping[str, Resource]) -> str:
    """The name of the top-level component a resource sits under (itself if top-level)."""
    current = resource
    seen = set()
    while current.parent and current.parent in by_urn and current.parent not in seen:
        seen.add(current.parent)
        current = by_urn[current.parent]
    return current.name


def lookup(value: Any, path: str, default: Any = None) -> Any:
    """`lookup(inputs, "a.b.c")`: a nested input, or `default` when any step is missing."""
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value or value[part] is None:
            return default
        value = value[part]
    return value


def resources_of(types: Iterable[str], resources: Iterable[Resource]) -> list[Resource]:
    wanted = set(types)
    return [resource for resource in resources if resource.type in wanted]
