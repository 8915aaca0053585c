"""Carving a VPC CIDR into per-AZ subnets: plain arithmetic, tested without Pulumi."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class ZoneSubnets:
    availability_zone: str
    public_cidr: str
    private_cidr: str


def plan_subnets(vpc_cidr: str, availability_zones: list[str] | tuple[str, ...]) -> list[ZoneSubnets]:
    """Split `vpc_cidr` into one private and one public subnet per zone.

    The VPC is cut into quarters. Private subnets take one quarter each (a /18 of a /16: the VPC
    CNI gives every pod a VPC address, so pods, not nodes, size these). The public subnets share
    the last quarter, a sixteenth of it each (a /22 of a /16): they only hold
    NAT gateways and load balancer interfaces. Up to three zones fit.
    """
    if not 1 <= len(availability_zones) <= 3:
        raise ValueError(f"between 1 and 3 availability zones are supported, got {len(availability_zones)}")
    vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    quarters = list(vpc.subnets(prefixlen_diff=2))
    public_slices = list(quarters[3].subnets(prefixlen_diff=4))
    return [
        ZoneSubnets(zone, str(public_slices[index]), str(quarters[index]))
        for index, zone in enumerate(availability_zones)
    ]
