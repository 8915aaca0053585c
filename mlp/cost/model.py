"""What an estimate is made of: one priced line per resource, with the arithmetic behind it."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from infra.settings.cost import CostSettings
from mlp.cost.prices import PriceTable

RATIO_WITH_REASON = 1.3
"""Above this many times its floor (`mlp.cost.floor`), a component names the keys that cost more."""


def ratio(estimate_usd: float, floor_usd: float) -> float:
    """Estimate over floor; 1 when both are nothing, infinite when only the floor is."""
    if floor_usd <= 0:
        return 1.0 if estimate_usd <= 0.005 else math.inf
    return estimate_usd / floor_usd


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
    floor_usd: float | None = None
    """The same line at its floor (`mlp.cost.floor`); None where no floor was computed."""
    floor_basis: str = ""
    reasons: tuple[str, ...] = ()
    """Configuration keys that make the line cost more than its floor."""

    @property
    def floor(self) -> float:
        return self.monthly_usd if self.floor_usd is None else self.floor_usd

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "component": self.component,
            "monthly_usd": round(self.monthly_usd, 2),
            "basis": self.basis,
            "floor_usd": round(self.floor, 2),
            "floor_basis": self.floor_basis,
        }


@dataclass(frozen=True)
class PoolUsage:
    """How much of a node pool the workloads' requests use."""

    pool: str
    nodes: int
    nodes_needed: int
    monthly_usd: float
    requested_usd: float
    floor_usd: float = 0.0

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
    posture: Literal["configured", "naive"] = "configured"
    """What was priced: the stack as configured, or its naive posture (`mlp.cost.naive`: the
    baseline it is measured against)."""

    @property
    def monthly_total(self) -> float:
        return sum(item.monthly_usd for item in self.items)

    def by_component(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for item in self.items:
            totals[item.component] += item.monthly_usd
        return dict(sorted(totals.items(), key=lambda entry: (-entry[1], entry[0])))

    @property
    def floor_total(self) -> float:
        return sum(item.floor for item in self.items)

    def components(self) -> list[ComponentCost]:
        """Per component: estimate, floor, their ratio and, above `RATIO_WITH_REASON`, the keys
        that cost more; largest estimate first."""
        rows: dict[str, list] = {}
        for item in self.items:
            row = rows.setdefault(item.component, [0.0, 0.0, []])
            row[0] += item.monthly_usd
            row[1] += item.floor
            if item.monthly_usd > item.floor + 0.005:
                row[2] += [reason for reason in item.reasons if reason not in row[2]]
        result = []
        for component, (estimate_usd, floor_usd, reasons) in rows.items():
            over = ratio(estimate_usd, floor_usd)
            result.append(
                ComponentCost(component, estimate_usd, floor_usd, over, tuple(reasons) if over > RATIO_WITH_REASON else ())
            )
        return sorted(result, key=lambda c: (-c.monthly_usd, c.component))

    def to_json(self) -> dict[str, Any]:
        """Exactly the documented shape of `mlp cost --json`."""
        return {
            "stack": self.stack,
            "region": self.region,
            "currency": "USD",
            "posture": self.posture,
            "monthly_total": round(self.monthly_total, 2),
            "floor_total": round(self.floor_total, 2),
            "ratio": round(ratio(self.monthly_total, self.floor_total), 3),
            "components": [component.to_json() for component in self.components()],
            "items": [item.to_json() for item in self.items],
        }


@dataclass(frozen=True)
class ComponentCost:
    component: str
    monthly_usd: float
    floor_usd: float
    ratio: float
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "monthly_usd": round(self.monthly_usd, 2),
            "floor_usd": round(self.floor_usd, 2),
            "ratio": round(self.ratio, 3) if self.ratio != float("inf") else None,
            "reasons": list(self.reasons),
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
