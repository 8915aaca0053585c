import ipaddress

import pytest

from components.network.subnet_plan import plan_subnets


@pytest.mark.parametrize("cidr", ["10.40.0.0/16", "10.50.0.0/18", "172.16.0.0/20"])
@pytest.mark.parametrize("zones", [["a", "b"], ["a", "b", "c"]])
def test_subnets_are_disjoint_and_inside_the_vpc(cidr, zones):
    vpc = ipaddress.IPv4Network(cidr)
    plan = plan_subnets(cidr, zones)
    networks = [ipaddress.IPv4Network(c) for z in plan for c in (z.public_cidr, z.private_cidr)]
    assert [z.availability_zone for z in plan] == zones
    assert all(net.subnet_of(vpc) for net in networks)
    for i, first in enumerate(networks):
        for second in networks[i + 1 :]:
            assert not first.overlaps(second), f"{first} overlaps {second}"


def test_private_subnets_take_a_quarter_of_the_vpc_each():
    plan = plan_subnets("10.40.0.0/16", ["a", "b", "c"])
    assert [z.private_cidr for z in plan] == ["10.40.0.0/18", "10.40.64.0/18", "10.40.128.0/18"]
    assert [z.public_cidr for z in plan] == ["10.40.192.0/22", "10.40.196.0/22", "10.40.200.0/22"]


def test_more_than_three_zones_is_refused():
    with pytest.raises(ValueError, match="between 1 and 3"):
        plan_subnets("10.40.0.0/16", ["a", "b", "c", "d"])
