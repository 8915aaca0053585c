"""Choosing zones by ID (`components.network.zone_choice`), against region answers shaped like EC2's."""

from __future__ import annotations

import re

import pytest

from components.network.zone_choice import (
    Zone,
    ZoneChoiceError,
    choose_zones,
    offered_types_by_zone,
    region_zones,
)

# An account whose names do not line up with IDs, and whose `a` is the zone EKS refuses.
ZONES = region_zones(
    ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
    ["use1-az3", "use1-az6", "use1-az1", "use1-az2", "use1-az4", "use1-az5"],
)
POOLS = {"system": ["m6a.large"], "spot": ["m6a.large", "m7a.large"]}
ALL_OFFERED = {zone.zone_id: {"m6a.large", "m7a.large"} for zone in ZONES}


def test_offerings_are_read_from_parallel_lists():
    assert offered_types_by_zone(["m6a.large", "m7a.large", "m6a.large"], ["use1-az1", "use1-az1", "use1-az2"]) == {
        "use1-az1": {"m6a.large", "m7a.large"},
        "use1-az2": {"m6a.large"},
    }


def test_pinned_ids_map_to_this_accounts_names_in_the_given_order():
    chosen = choose_zones(ZONES, 3, POOLS, ALL_OFFERED, ["use1-az4", "use1-az1", "use1-az2"])
    assert chosen.warnings == []
    assert chosen.zones == [Zone("us-east-1e", "use1-az4"), Zone("us-east-1c", "use1-az1"), Zone("us-east-1d", "use1-az2")]


def test_the_default_never_lands_on_a_zone_eks_refuses():
    """Sorted by name, this account's first zone is use1-az3; by ID it is never chosen."""
    assert [zone.zone_id for zone in choose_zones(ZONES, 3, POOLS, ALL_OFFERED).zones] == ["use1-az1", "use1-az2", "use1-az4"]


@pytest.mark.parametrize(
    "offered",
    [
        ALL_OFFERED,
        {**ALL_OFFERED, "use1-az2": {"m6a.large"}},  # no m7a.large in az2 today
        {**ALL_OFFERED, "use1-az1": {"m6a.large"}, "use1-az4": {"m6a.large"}},
    ],
)
def test_the_default_is_the_sorted_zone_ids_whatever_the_offerings(offered):
    """Subnet CIDRs follow the zones' positions: a choice that moved with EC2's live offerings
    would re-plan and replace every subnet on a later update."""
    choice = choose_zones(ZONES, 2, POOLS, offered)
    assert [zone.zone_id for zone in choice.zones] == ["use1-az1", "use1-az2"]


def test_a_default_zone_that_strands_a_pool_is_refused_not_skipped():
    offered = {**ALL_OFFERED, "use1-az2": {"m7a.large"}}  # nothing of the system pool in az2
    with pytest.raises(ZoneChoiceError, match=r"use1-az2 offers none of pool system's.*pin network.availabilityZoneIds"):
        choose_zones(ZONES, 2, POOLS, offered)


def test_a_zone_lacking_some_types_is_taken_last_and_reported():
    offered = {zone_id: {"m6a.large"} for zone_id in ALL_OFFERED}  # m7a.large nowhere
    choice = choose_zones(ZONES, 2, POOLS, offered)
    assert [zone.zone_id for zone in choice.zones] == ["use1-az1", "use1-az2"]
    assert choice.warnings == [
        "use1-az1 (us-east-1c) does not offer m7a.large (pool spot); its group there uses the others",
        "use1-az2 (us-east-1d) does not offer m7a.large (pool spot); its group there uses the others",
    ]


@pytest.mark.parametrize(
    ("pinned", "offered", "fragment"),
    [
        (["use1-az1", "use1-az9"], ALL_OFFERED, "use1-az9 not among the region's zones"),
        (["use1-az1", "use1-az3"], ALL_OFFERED, "use1-az3 cannot hold EKS cluster subnets"),
        (["use1-az1", "use1-az2"], {**ALL_OFFERED, "use1-az2": {"m7a.large"}}, "use1-az2 offers none of pool system's instance types (m6a.large)"),
    ],
)
def test_pinned_zones_the_region_cannot_give_are_refused(pinned, offered, fragment):
    with pytest.raises(ZoneChoiceError, match=re.escape(fragment)):
        choose_zones(ZONES, 2, POOLS, offered, pinned)


def test_too_few_eks_zones_say_what_to_change():
    zones = region_zones(["us-east-1a", "us-east-1b"], ["use1-az3", "use1-az1"])
    with pytest.raises(ZoneChoiceError, match=r"only 1 zone\(s\) .*use1-az1.*2 needed"):
        choose_zones(zones, 2, POOLS, ALL_OFFERED)
