"""The search domain sized from its index: AWS's storage, shard and master guidance, and the
query capacity left after a zone loss (components/search_sizing.py)."""

from __future__ import annotations

import math

import pytest

from components.search_sizing import (
    STORAGE_FACTOR,
    SearchIndex,
    SizingError,
    plan_domain,
    search_instance_catalog,
    surviving_nodes,
)
from mlp.cost.prices import PriceTable


def _index(**overrides) -> SearchIndex:
    values = dict(documents=2_000_000, average_document_bytes=1024, replicas=2, queries_per_second=200, query_millis=10)
    return SearchIndex(**{**values, **overrides})


def test_every_priced_opensearch_type_has_a_shape():
    priced = {item.removeprefix("opensearch_") for item in PriceTable.load().services if item.endswith(".search")}
    assert priced and priced == set(search_instance_catalog()), "a price row without a shape row (or the reverse)"


def test_prod_figures_give_one_small_node_per_zone():
    plan = plan_domain(_index(), 3)
    assert (plan.instance_type, plan.instance_count, plan.volume_size_gib) == ("m7g.medium.search", 3, 10)
    assert (plan.primary_shards, plan.dedicated_master_count) == (1, 0)
    source = 2_000_000 * 1024 / 2**30
    assert f"{source * 3 * STORAGE_FACTOR:.2f} GiB" in plan.steps[1], "the storage formula is shown"
    assert "2 of 3 remain, a majority" in plan.zone_loss


def test_a_large_index_gets_shards_of_at_most_30_gib_and_volumes_that_hold_it():
    plan = plan_domain(_index(documents=200_000_000, average_document_bytes=2048), 3)
    source = 200_000_000 * 2048 / 2**30
    assert plan.primary_shards == math.ceil(source * 1.1 / 30)
    assert plan.volume_size_gib * plan.instance_count >= source * 3 * STORAGE_FACTOR


def test_the_peak_is_served_by_the_nodes_left_after_a_zone_loss():
    plan = plan_domain(_index(queries_per_second=2000), 3)
    kind = search_instance_catalog()[plan.instance_type]
    left = surviving_nodes(plan.instance_count, 3)
    assert left * kind.search_threads * 1000 / 10 >= 2000 * plan.primary_shards
    smaller = plan_domain(_index(), 3)
    assert kind.usd_per_hour * plan.instance_count > search_instance_catalog()[smaller.instance_type].usd_per_hour * 3


def test_the_floor_ignores_the_query_load_and_never_costs_more():
    catalog = search_instance_catalog()
    for qps in (50, 2000, 20000):
        plan = plan_domain(_index(queries_per_second=qps), 3)
        floor = plan_domain(_index(queries_per_second=qps), 3, serve_queries=False, dedicated_master_count=0)
        assert catalog[floor.instance_type].usd_per_hour * floor.instance_count <= (
            catalog[plan.instance_type].usd_per_hour * plan.instance_count
        )


def test_two_zones_get_dedicated_masters_and_say_what_a_zone_loss_does():
    plan = plan_domain(_index(replicas=1), 2)
    assert plan.dedicated_master_count == 3
    assert "loses the quorum" in plan.zone_loss


def test_one_zone_says_the_domain_is_lost_with_it():
    plan = plan_domain(_index(replicas=0, queries_per_second=5), 1)
    assert plan.instance_count == 1 and plan.dedicated_master_count == 0
    assert "loses the domain" in plan.zone_loss


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"index": _index(replicas=1), "zones": 3}, "index.replicas"),
        ({"index": _index(documents=50_000_000), "zones": 3, "volume_size_gib": 10}, "volumeSizeGib"),
        ({"index": _index(), "zones": 3, "instance_type": "r9g.large.search"}, "instanceType"),
    ],
)
def test_a_choice_that_cannot_hold_the_index_names_its_key(kwargs, key):
    with pytest.raises(SizingError) as caught:
        plan_domain(kwargs.pop("index"), kwargs.pop("zones"), **kwargs)
    assert caught.value.key == key
