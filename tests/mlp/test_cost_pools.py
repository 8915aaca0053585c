"""Zonal Auto Scaling groups of one worker pool are priced as that pool."""

from __future__ import annotations

from types import SimpleNamespace

from mlp.cost.node_pool import NodePool
from mlp.cost.pools import merge_zonal_groups

TYPES = ("m6a.large", "m7a.large", "m6i.large", "m5a.large")


def _group(name: str, pool: str, *, minimum: int, maximum: int, base: int = 0, percentage: float = 0, types=TYPES) -> NodePool:
    resource = SimpleNamespace(urn=f"urn:{name}", type="aws:autoscaling/group:Group", name=name, parent=None, inputs={})
    return NodePool(
        resource=resource,
        name=pool,
        instance_types=types,
        desired=minimum,
        min_size=minimum,
        max_size=maximum,
        on_demand_base=base,
        on_demand_percentage=percentage,
    )


def test_zonal_groups_of_a_pool_add_up():
    zonal = [_group(f"spot-{z}", "spot", minimum=1, maximum=7, base=1) for z in "abc"]
    (pool,) = merge_zonal_groups(zonal)
    assert (pool.desired, pool.min_size, pool.max_size, pool.on_demand_base) == (3, 3, 21, 3)
    assert pool.resource.name == "spot-a"
    assert [g.name for g in pool.zonal_groups] == ["spot-b", "spot-c"]


def test_pools_stay_apart_and_in_order():
    groups = [
        _group("spot-a", "spot", minimum=1, maximum=2),
        _group("od-a", "on-demand", minimum=1, maximum=3, percentage=100),
        _group("spot-b", "spot", minimum=1, maximum=2),
        _group("od-b", "on-demand", minimum=1, maximum=3, percentage=100),
    ]
    pools = merge_zonal_groups(groups)
    assert [(p.name, p.min_size, p.max_size) for p in pools] == [("spot", 2, 4), ("on-demand", 2, 6)]


def test_groups_of_different_shape_are_not_merged_under_one_name():
    groups = [
        _group("x-a", "x", minimum=1, maximum=2),
        _group("x-b", "x", minimum=1, maximum=2, types=("m6a.xlarge", "m7a.xlarge", "m6i.xlarge", "m5a.xlarge")),
    ]
    assert [p.resource.name for p in merge_zonal_groups(groups)] == ["x-a", "x-b"]
