"""Where the estimate puts each Deployment: the pools the scheduler would allow, in the order it
and the autoscaler's priority expander would favour them."""

from __future__ import annotations

from datetime import date

import pytest

from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL, service_pod_placement
from infra.settings.cost import CostSettings
from mlp.cost.model import PricingContext
from mlp.cost.placement import _expression_holds, fits_pool, place
from mlp.cost.pools import node_pools
from mlp.cost.prices import PriceTable
from mlp.cost.workloads import pod_groups

LABELS = {POOL_LABEL: "spot", CAPACITY_LABEL: "mixed"}


@pytest.mark.parametrize(
    ("expression", "holds"),
    [
        ({"key": CAPACITY_LABEL, "operator": "In", "values": ["spot", "mixed"]}, True),
        ({"key": CAPACITY_LABEL, "operator": "In", "values": ["on-demand"]}, False),
        ({"key": POOL_LABEL, "operator": "NotIn", "values": ["system"]}, True),
        ({"key": POOL_LABEL, "operator": "NotIn", "values": ["spot"]}, False),
        ({"key": CAPACITY_LABEL, "operator": "Exists"}, True),
        ({"key": "gpu", "operator": "Exists"}, False),
        ({"key": "gpu", "operator": "DoesNotExist"}, True),
    ],
)
def test_node_affinity_operators(expression, holds):
    assert _expression_holds(expression, LABELS) is holds


def _context(inventory):
    return PricingContext(
        prices=PriceTable.load(), usage=CostSettings(), as_of=date(2026, 11, 28), resources=inventory.resources
    )


def test_each_deployment_lands_on_a_pool_its_affinity_allows(pinned_inventory):
    ctx = _context(pinned_inventory)
    pools = node_pools(ctx)
    groups = pod_groups(ctx)
    place(groups, pools)
    assert groups, f"{pinned_inventory.stack} declares no Deployment"
    for group in groups:
        assert group.placed_on is not None, f"{group.resource.name}: no pool accepts it"
        addon = group.resource.type == "kubernetes:helm.sh/v3:Release"
        assert group.placed_on.system is addon, f"{group.resource.name}: add-ons on the system pool, services off it"
        allowed = [pool for pool in pools if fits_pool(group, pool)]
        spot_bearing = [pool for pool in allowed if pool.carries_spot]
        if spot_bearing:
            # Spot-tolerant services are priced where the priority expander grows capacity first.
            assert group.placed_on.carries_spot, f"{group.resource.name} placed on {group.placed_on.name}"


@pytest.mark.parametrize(("capacity", "expected"), [("spot", "spot"), ("spot-preferred", "spot"), ("on-demand", "on-demand")])
def test_service_capacity_settings_map_to_the_expected_pool(plan, capacity, expected):
    """The placement a service's `capacity` renders, matched against prod's pools."""
    ctx = _context(plan("prod", images="pinned"))
    pools = node_pools(ctx)
    (group, *_) = pod_groups(ctx)
    placement = service_pod_placement(capacity)
    affinity = placement["affinity"]["nodeAffinity"]
    group.required_terms = tuple(affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"])
    group.preferred_terms = tuple(affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
    group.tolerated = frozenset(t["key"] for t in placement["tolerations"])
    group.pool_selector = group.capacity_selector = None
    place([group], pools)
    assert group.placed_on is not None and group.placed_on.name == expected
