"""Karpenter's NodePools as priced pools: read from the stack, floored by zone spread, and the
Karpenter stacks priced whole."""

from __future__ import annotations

import pytest

from mlp.cost.karpenter_pools import karpenter_node_pools, zones_needed
from mlp.cost.model import PricingContext
from mlp.cost.prices import PriceTable
from mlp.cost.stack import estimate_resources
from tests.infra.test_karpenter_program import _settings


def _estimate(karpenter_plan, stack):
    return estimate_resources(karpenter_plan(stack).resources, _settings(stack), stack).estimate


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_karpenter_stacks_are_priced(stack, karpenter_plan):
    estimate = _estimate(karpenter_plan, stack)
    assert not estimate.unpriced, estimate.unpriced
    pools = {p.pool: p for p in estimate.pools}
    assert "spot" in pools and pools["spot"].nodes >= 1, pools
    (item,) = [i for i in estimate.items if i.name == "karpenter-pools-spot"]
    assert "spot ×" in item.basis and "Karpenter NodePool" in item.basis
    (controller,) = [
        i for i in estimate.items if i.name == "karpenter-controller" and "Release" in i.type
    ]
    assert controller.monthly_usd > 0 and "on pool system" in controller.basis, (
        "the controller's requests (controller.resources) are charged on the system pool"
    )
    services = [i for i in estimate.items if i.type == "kubernetes:apps/v1:Deployment"]
    assert services and all(i.monthly_usd > 0 for i in services), (
        "every service is charged its share"
    )


def test_node_pools_are_read_cheapest_type_first(karpenter_plan):
    inventory = karpenter_plan("prod")
    prices = PriceTable.load()
    ctx = PricingContext(
        prices=prices, usage=_settings("prod").cost, as_of=None, resources=inventory.resources
    )
    pools = {p.name: p for p in karpenter_node_pools(ctx)}
    assert set(pools) == {"spot", "on-demand"}
    for pool in pools.values():
        hourly = [prices.on_demand_hourly(t) for t in pool.instance_types]
        assert hourly == sorted(hourly)
        assert (
            pool.min_size == 0 and pool.max_size == _settings("prod").node_pools[pool.name].max_size
        )
        assert pool.volumes and pool.volumes[0].size_gb == 40
    assert pools["spot"].carries_spot and not pools["on-demand"].carries_spot
    assert pools["spot"].desired == 3, (
        "prod's services spread over three zones: three nodes at least"
    )
    assert pools["on-demand"].desired == 0, "nothing runs on the fallback pool at idle"


def test_zone_spread_sets_the_floor():
    spread = {
        "topologySpreadConstraints": [
            {
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "minDomains": 3,
            }
        ]
    }
    assert zones_needed(spread, 2) == 2
    assert zones_needed(spread, 5) == 3
    soft = {
        "topologySpreadConstraints": [
            {
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "minDomains": 3,
            }
        ]
    }
    assert zones_needed(soft, 5) == 1
    assert zones_needed({}, 0) == 0
