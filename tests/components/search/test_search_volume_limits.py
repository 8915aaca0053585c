"""The gp3 volume OpenSearch Service attaches to a data node of each type
(components/search/search_volume_limits.py, data/opensearch/ebs_volume_limits.csv), and the
sizing that keeps a derived or pinned volume within it (components/search/search_sizing.py)."""

from __future__ import annotations

import math

import pytest

from components.search.search_domain import SearchSizing, sizing_problems
from components.search.search_sizing import STORAGE_FACTOR, SearchIndex, SizingError, plan_domain
from components.search.search_volume_limits import volume_limits, volume_limits_table
from mlp.cost.prices import PriceTable

# AWS's own figures (grade A): "EBS volume size quotas", awsdocs/amazon-opensearch-service-
# developer-guide doc_source/limits.md @ c012b41595aa, columns "Minimum EBS size" and
# "Maximum EBS size (gp3)". Written here from that page, not from the CSV, so a typo in the CSV fails.
AWS_TABLE = {
    "t3.small.search": (10, 100),
    "t3.medium.search": (10, 200),
    "m6g.large.search": (10, 1024),
    "r6g.large.search": (10, 2048),
    "c6g.large.search": (10, 256),
}
GIB = 2**30


def test_every_priced_opensearch_type_has_volume_limits():
    """A priced type without limits would be refused; a row for an unpriced type is never used."""
    priced = {
        item.removeprefix("opensearch_")
        for item in PriceTable.load().services
        if item.endswith(".search")
    }
    assert priced and priced == set(volume_limits_table()), (
        "data/opensearch/ebs_volume_limits.csv out of step"
    )


def test_aws_authored_rows_match_the_aws_table():
    for instance_type, (minimum, maximum) in AWS_TABLE.items():
        limits = volume_limits(instance_type)
        assert (limits.minimum_gib, limits.maximum_gib, limits.grade) == (minimum, maximum, "A"), (
            instance_type
        )


def test_every_row_says_where_it_comes_from():
    for limits in volume_limits_table().values():
        cited = {"L1"} if limits.grade == "A" else {"L2", "L3"}
        assert cited & set(limits.source.replace("(", " ").replace(",", " ").split()), (
            limits.instance_type
        )
        assert limits.grade == "A" or limits.instance_type not in AWS_TABLE, limits.instance_type


@pytest.mark.parametrize("instance_type", sorted(volume_limits_table()))
def test_a_volume_is_accepted_at_each_bound_and_refused_just_past_it(instance_type):
    limits = volume_limits(instance_type)
    sizing = SearchSizing(
        instance_type=instance_type, volume_iops=3000, volume_throughput_mibps=125
    )
    for accepted in (limits.minimum_gib, limits.maximum_gib):
        problems = sizing_problems(SearchSizing(**{**sizing.__dict__, "volume_size_gib": accepted}))
        assert "volume_size_gib" not in problems, (instance_type, accepted, problems)
    too_big = sizing_problems(
        SearchSizing(**{**sizing.__dict__, "volume_size_gib": limits.maximum_gib + 1})
    )
    assert f"at most {limits.maximum_gib:,} GiB" in too_big["volume_size_gib"], instance_type
    too_small = sizing_problems(
        SearchSizing(**{**sizing.__dict__, "volume_size_gib": limits.minimum_gib - 1})
    )
    assert f"at least {limits.minimum_gib} GiB" in too_small["volume_size_gib"], instance_type


def test_a_type_without_recorded_limits_is_refused_for_data_nodes():
    problems = sizing_problems(SearchSizing(instance_type="r9g.large.search"))
    assert "no EBS volume limits recorded" in problems["instance_type"]


def test_third_party_limits_say_so_in_the_refusal():
    problem = sizing_problems(SearchSizing(instance_type="m7g.medium.search", volume_size_gib=769))[
        "volume_size_gib"
    ]
    assert "third-party transcriptions" in problem
    problem = sizing_problems(SearchSizing(instance_type="m6g.large.search", volume_size_gib=1025))[
        "volume_size_gib"
    ]
    assert "third-party" not in problem


# --- sizing within the limits -----------------------------------------------------------------


def _one_zone_index(documents: int) -> SearchIndex:
    """1 MiB documents, no replica: source = documents / 1024 GiB."""
    return SearchIndex(
        documents=documents,
        average_document_bytes=2**20,
        replicas=0,
        queries_per_second=1,
        query_millis=10,
    )


# The most 1 MiB documents one m7g.medium.search node holds: storage = docs / 1024 × 1.45 ≤ 768 GiB.
AT_M7G_MEDIUM_LIMIT = math.floor(768 * 1024 / STORAGE_FACTOR)


def test_a_derived_volume_stays_within_the_type_and_takes_another_node_past_it():
    at_limit = plan_domain(
        _one_zone_index(AT_M7G_MEDIUM_LIMIT), 1, instance_type="m7g.medium.search"
    )
    assert (at_limit.instance_count, at_limit.volume_size_gib) == (1, 768)
    past = plan_domain(
        _one_zone_index(AT_M7G_MEDIUM_LIMIT + 1), 1, instance_type="m7g.medium.search"
    )
    assert past.instance_count == 2 and past.volume_size_gib <= 768


def test_a_pinned_count_whose_volume_would_exceed_the_type_names_the_count():
    plan = plan_domain(
        _one_zone_index(AT_M7G_MEDIUM_LIMIT), 1, instance_type="m7g.medium.search", instance_count=1
    )
    assert plan.volume_size_gib == 768
    with pytest.raises(SizingError) as caught:
        plan_domain(
            _one_zone_index(AT_M7G_MEDIUM_LIMIT + 1),
            1,
            instance_type="m7g.medium.search",
            instance_count=1,
        )
    assert caught.value.key == "instanceCount"
    assert (
        "769 GiB a node exceed the 768 GiB gp3 volume OpenSearch Service attaches to m7g.medium.search"
        in str(caught.value)
    )


def test_the_automatic_choice_never_exceeds_a_type_limit():
    """Up to about 2 TiB of source. Bounded by gp3's 16 TiB alone, the sizing chose one
    m6g.large.search a zone with 2,833 GiB each, past the 1,024 GiB AWS attaches to it."""
    for documents, document_bytes in ((10_000, 4096), (20_000_000, 4096), (2_000_000, 2**20)):
        for zones in (1, 2, 3):
            index = SearchIndex(
                documents=documents,
                average_document_bytes=document_bytes,
                replicas=zones - 1,
                queries_per_second=1,
                query_millis=10,
            )
            plan = plan_domain(index, zones)
            limits = volume_limits(plan.instance_type)
            assert limits.minimum_gib <= plan.volume_size_gib <= limits.maximum_gib, (
                documents,
                zones,
                plan,
            )


def test_a_pinned_volume_is_checked_against_a_pinned_type():
    index = _one_zone_index(1)
    assert (
        plan_domain(
            index, 1, instance_type="m7g.medium.search", volume_size_gib=768
        ).volume_size_gib
        == 768
    )
    with pytest.raises(SizingError) as caught:
        plan_domain(index, 1, instance_type="m7g.medium.search", volume_size_gib=769)
    assert caught.value.key == "volumeSizeGib"
    assert "at most 768 GiB" in str(caught.value) and "r7g.large.search" in str(caught.value)


def test_a_pinned_volume_without_a_pinned_type_picks_a_type_that_takes_it():
    index = _one_zone_index(1)
    largest = max(limits.maximum_gib for limits in volume_limits_table().values())
    plan = plan_domain(index, 1, volume_size_gib=largest)
    assert volume_limits(plan.instance_type).maximum_gib == largest
    with pytest.raises(SizingError) as caught:
        plan_domain(index, 1, volume_size_gib=largest + 1)
    assert caught.value.key == "volumeSizeGib" and "no known data node type" in str(caught.value)


def test_a_type_without_limits_is_never_chosen_and_refused_when_pinned():
    index = SearchIndex(
        documents=2_000_000,
        average_document_bytes=1024,
        replicas=2,
        queries_per_second=200,
        query_millis=10,
    )
    chosen = plan_domain(index, 3).instance_type
    without = {name: limits for name, limits in volume_limits_table().items() if name != chosen}
    assert plan_domain(index, 3, limits=without).instance_type != chosen
    with pytest.raises(SizingError) as caught:
        plan_domain(index, 3, instance_type=chosen, limits=without)
    assert caught.value.key == "instanceType" and "no EBS volume limits recorded" in str(
        caught.value
    )
