"""The search domain sized from its index: AWS's storage, shard and master guidance, and the
query capacity left after a zone loss (components/search/search_sizing.py)."""

from __future__ import annotations

import math
import re

import pytest

from components.search.search_sizing import (
    STORAGE_FACTOR,
    SearchIndex,
    SizingError,
    plan_domain,
    search_instance_catalog,
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
    assert "= 8.30 GiB" in plan.steps[1], "1.91 GiB × 3 copies × 1.45, written out"
    assert "2 of 3 remain, a majority" in plan.zone_loss


def test_storage_matches_the_aws_worked_example():
    # bp-storage.html, "Calculating storage requirements": 66 GiB of data with one replica needs
    # 66 × 2 × 1.1 / 0.95 / 0.8 = 191 GiB (66 × 2 × 1.45 = 191.4).
    plan = plan_domain(_index(documents=66 * 2**20, average_document_bytes=1024, replicas=1), 2, serve_queries=False)
    assert "source 69,206,016 docs × 1,024 B = 66.00 GiB" == plan.steps[0]
    assert "= 191.40 GiB" in plan.steps[1]
    assert plan.volume_size_gib * plan.instance_count >= 191.4


def test_a_large_index_gets_shards_of_at_most_30_gib_and_volumes_that_hold_it():
    plan = plan_domain(_index(documents=200_000_000, average_document_bytes=2048), 3)
    source = 200_000_000 * 2048 / 2**30
    assert plan.primary_shards == math.ceil(source * 1.1 / 30)
    assert plan.volume_size_gib * plan.instance_count >= source * 3 * STORAGE_FACTOR


def test_the_peak_is_served_by_the_nodes_left_after_a_zone_loss():
    # Independent figures: m7g.medium.search has 1 vCPU (EC2 m7g.medium); a CPU-bound 10 ms
    # shard-query gives 100 a second per vCPU, so two nodes left of three serve 200, not the
    # 400 the thread pool's int(1.5 × 1) + 1 = 2 threads would claim.
    plan = plan_domain(_index(queries_per_second=200), 3)
    assert (plan.instance_type, plan.instance_count) == ("m7g.medium.search", 3)
    assert any("2 nodes after a zone loss × 1 vCPU × 1000 / 10 ms = 200 " in step for step in plan.steps)
    bigger = plan_domain(_index(queries_per_second=201), 3)
    assert (bigger.instance_type, bigger.instance_count) != ("m7g.medium.search", 3), "201 QPS exceed 200"
    catalog = search_instance_catalog()
    assert catalog[bigger.instance_type].usd_per_hour * bigger.instance_count > catalog["m7g.medium.search"].usd_per_hour * 3


def test_the_floor_ignores_the_query_load_and_never_costs_more():
    catalog = search_instance_catalog()
    for qps in (50, 2000, 10000):
        plan = plan_domain(_index(queries_per_second=qps), 3)
        floor = plan_domain(_index(queries_per_second=qps), 3, serve_queries=False, dedicated_master_count=0)
        assert catalog[floor.instance_type].usd_per_hour * floor.instance_count <= (
            catalog[plan.instance_type].usd_per_hour * plan.instance_count
        )


def test_two_zones_get_dedicated_masters_and_say_what_a_zone_loss_does():
    # "Availability zone disruptions" (managedomains-multiaz.html): in a Region with three or
    # more zones the three masters of a two-zone domain sit in three zones; in a two-zone Region
    # one zone holds two of them.
    plan = plan_domain(_index(replicas=1), 2)  # us-east-1: six zones
    assert plan.dedicated_master_count == 3
    assert "leaves 2 of 3, a majority" in plan.zone_loss and "loses the quorum" not in plan.zone_loss
    two_zone_region = plan_domain(_index(replicas=1), 2, region_zones=2)
    assert "loses the quorum" in two_zone_region.zone_loss


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


def test_the_printed_steps_count_in_english():
    """A one-zone domain without replicas (dev's shape): "1 copy", "1 zone", "1 node", "1 shard"."""
    text = "\n".join(plan_domain(_index(replicas=0), 1).steps)
    for counted in ("1 copy", "1 zone", "1 node after a zone loss", "× 1 shard"):
        assert counted in text, f"{counted!r} not in {text}"
    assert not re.findall(r"\b1 (?:copies|zones|nodes|shards)\b|\(s\)", text), text
