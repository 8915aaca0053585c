"""A node pool priced at a size: on-demand and spot instances from the price table rows, and the
count of nodes it is priced at, as people read it."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from infra.settings.cost import CostSettings
from mlp.cost.model import PricingContext
from mlp.cost.node_pool import NodePool, pool_cost
from mlp.cost.prices import PriceTable
from tests.mlp import price_rows as rows

TYPES = ("m6a.large", "m7a.large")


def _pool(percentage: float) -> NodePool:
    resource = SimpleNamespace(urn="urn:pool", type="aws:autoscaling/group:Group", name="pool", parent=None, inputs={})
    return NodePool(resource=resource, name="general", instance_types=TYPES, desired=1, min_size=1, max_size=3,
                    on_demand_percentage=percentage)


@pytest.fixture(scope="module")
def ctx():
    return PricingContext(prices=PriceTable.load(), usage=CostSettings(), as_of=date(2026, 11, 28), resources=[])


def test_one_node_is_one_node(ctx):
    priced = pool_cost(_pool(100), 1, ctx)
    assert priced.basis.startswith(f"1 node; 1 on-demand {TYPES[0]} × 730 h × "), priced.basis
    assert priced.monthly_usd == pytest.approx(730 * rows.on_demand(TYPES[0]))


def test_more_nodes_are_nodes_and_spot_is_the_average_over_the_types(ctx):
    priced = pool_cost(_pool(0), 2, ctx)
    assert priced.basis.startswith("2 nodes; 2 spot × 730 h × "), priced.basis
    average = sum(rows.spot(t) for t in TYPES) / len(TYPES)
    assert priced.monthly_usd == pytest.approx(2 * 730 * average, rel=1e-3)
