"""Which availability zones the platform spans: plain logic over what EC2 answers, tested
without Pulumi.

Zone names (`us-east-1a`) are shuffled per account; zone IDs (`use1-az1`) name the same physical
zone in every account (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html).
What a zone supports is stated by ID: EKS refuses cluster subnets in `use1-az3`, `usw1-az2` and
`cac1-az3` (UnsupportedAvailabilityZoneException; "Subnet requirements and considerations",
https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#network-requirements-subnets;
eksctl keeps the same deny list in `pkg/az`), and instance families are offered per zone ID
(`ec2:DescribeInstanceTypeOfferings` with `LocationType=availability-zone-id`). So zones are
chosen, and pinned, by ID, and mapped to names with the region's own answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

EKS_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
ZONE_ID = re.compile(r"^[a-z]{2,6}\d{1,2}-az\d{1,2}$")


class ZoneChoiceError(ValueError):
    """The region cannot give the zones asked for; the message says what to change."""


@dataclass(frozen=True)
class Zone:
    name: str
    zone_id: str


def region_zones(names: Sequence[str], zone_ids: Sequence[str]) -> list[Zone]:
    """`aws.get_availability_zones` answers names and IDs as parallel lists."""
    if len(names) != len(zone_ids):
        raise ValueError(f"{len(names)} zone names but {len(zone_ids)} zone ids")
    return [Zone(name, zone_id) for name, zone_id in zip(names, zone_ids, strict=True)]


def offered_types_by_zone(instance_types: Sequence[str], locations: Sequence[str]) -> dict[str, set[str]]:
    """`aws.ec2.get_instance_type_offerings` (by zone ID) answers parallel lists: zone ID -> the
    instance types it offers."""
    offered: dict[str, set[str]] = {}
    for instance_type, location in zip(instance_types, locations, strict=True):
        offered.setdefault(location, set()).add(instance_type)
    return offered


def _missing(zone_id: str, pools: Mapping[str, Sequence[str]], offered: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Pool -> its instance types the zone does not offer."""
    here = offered.get(zone_id, set())
    return {pool: missing for pool, types in pools.items() if (missing := [t for t in types if t not in here])}


def _stranded(zone_id: str, pools: Mapping[str, Sequence[str]], offered: Mapping[str, set[str]]) -> list[str]:
    """Pools none of whose types the zone offers: their group there could never launch."""
    return [pool for pool, missing in _missing(zone_id, pools, offered).items() if len(missing) == len(pools[pool])]


@dataclass(frozen=True)
class ZoneChoice:
    zones: list[Zone]
    """The zones to span, in subnet order."""
    warnings: list[str]
    """Instance types a chosen zone does not offer: its group there launches the others only
    (fewer spot capacity pools to draw on)."""


def choose_zones(
    zones: Sequence[Zone],
    count: int,
    pools: Mapping[str, Sequence[str]],
    offered: Mapping[str, set[str]],
    pinned_ids: Sequence[str] = (),
) -> ZoneChoice:
    """The zones to span, in order.

    Pinned: exactly those IDs, in the order given. Not pinned: the first `count` of the region's
    zone IDs, sorted, that EKS accepts; a function of the zone IDs alone. Subnet CIDRs are planned
    by position in this list (`components.network.subnet_plan`), so a choice that moved between updates
    would re-plan every subnet and replace it and all in it (EC2 refuses to delete a subnet that
    still holds interfaces: DependencyViolation). Instance type offerings therefore never choose
    or reorder zones; they only check the choice: a zone offering none of some pool's types is
    refused (its group there could never launch; pin `availabilityZoneIds` or change the types),
    one lacking some of them is reported in `warnings`.
    """
    by_id = {zone.zone_id: zone for zone in zones}
    if pinned_ids:
        unknown = [zone_id for zone_id in pinned_ids if zone_id not in by_id]
        if unknown:
            raise ZoneChoiceError(
                f"{', '.join(unknown)} not among the region's zones ({', '.join(sorted(by_id))})"
            )
        chosen = [by_id[zone_id] for zone_id in pinned_ids]
    else:
        supported = [zone for zone in sorted(zones, key=lambda zone: zone.zone_id) if zone.zone_id not in EKS_UNSUPPORTED_ZONE_IDS]
        if len(supported) < count:
            raise ZoneChoiceError(
                f"only {len(supported)} zone(s) of the region hold EKS "
                f"({', '.join(zone.zone_id for zone in supported) or 'none'}), {count} needed; lower network.azCount"
            )
        chosen = supported[:count]
    problems = []
    for zone in chosen:
        if zone.zone_id in EKS_UNSUPPORTED_ZONE_IDS:
            problems.append(f"{zone.zone_id} cannot hold EKS cluster subnets")
        problems += [
            f"{zone.zone_id} offers none of pool {pool}'s instance types ({', '.join(pools[pool])})"
            for pool in _stranded(zone.zone_id, pools, offered)
        ]
    if problems:
        hint = "" if pinned_ids else (
            " (zones are chosen by ID alone, never by offerings, so the subnets stay put; pin "
            "network.availabilityZoneIds to other zones or add types these zones offer)"
        )
        raise ZoneChoiceError("; ".join(problems) + hint)
    warnings = [
        f"{zone.zone_id} ({zone.name}) does not offer {', '.join(types)} (pool {pool}); its group there uses the others"
        for zone in chosen
        for pool, types in _missing(zone.zone_id, pools, offered).items()
    ]
    return ZoneChoice(zones=chosen, warnings=warnings)
