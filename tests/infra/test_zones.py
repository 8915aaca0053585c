"""Zones by ID in the program: the region's answer maps them to names before anything else."""

from __future__ import annotations

import pytest
import yaml

from components.network.zone_choice import EKS_UNSUPPORTED_ZONE_IDS
from infra.settings import ConfigError
from mlp.mock_state import _availability_zones
from mlp.plan import build_inventory


def _zone_ids_by_name(region: str = "us-east-1") -> dict[str, str]:
    answer = _availability_zones(region, {})
    return dict(zip(answer["names"], answer["zoneIds"], strict=True))


def test_the_offline_region_answers_ids_that_do_not_follow_names():
    """As in AWS: the same name is a different physical zone in another account."""
    by_name = _zone_ids_by_name()
    assert all(zone_id.startswith("use1-az") for zone_id in by_name.values())
    assert sorted(by_name) != sorted(by_name, key=by_name.get)
    assert _zone_ids_by_name("eu-central-1")["eu-central-1a"].startswith("euc1-az")


def _subnet_zone_ids(inventory) -> list[str]:
    by_name = _zone_ids_by_name()
    return [by_name[subnet.inputs["availabilityZone"]] for subnet in inventory.of_type("aws:ec2/subnet:Subnet") if "private" in subnet.name]


def test_prod_spans_its_pinned_zone_ids(plan, stack_document):
    pinned = stack_document("prod")["config"]["ml-platform:network"]["availabilityZoneIds"]
    assert _subnet_zone_ids(plan("prod")) == pinned


def test_dev_spans_zones_eks_accepts_by_default(plan):
    zone_ids = _subnet_zone_ids(plan("dev"))
    assert len(zone_ids) == 2 and not set(zone_ids) & EKS_UNSUPPORTED_ZONE_IDS
    assert zone_ids == sorted(zone_ids)


def test_the_worker_groups_follow_the_zones(plan):
    inventory = plan("prod")
    zones = {subnet.inputs["availabilityZone"] for subnet in inventory.of_type("aws:ec2/subnet:Subnet")}
    groups = [group.name for group in inventory.of_type("aws:autoscaling/group:Group")]
    assert groups and all(any(group.endswith(zone) for zone in zones) for group in groups)


def test_a_zone_id_outside_the_region_stops_the_plan_naming_the_key(scratch_project, stack_document):
    document = stack_document("prod")
    document["config"]["ml-platform:network"]["availabilityZoneIds"] = ["use1-az1", "use1-az2", "use1-az9"]
    with pytest.raises(ConfigError) as caught:
        build_inventory("prod", scratch_project("prod", yaml.safe_dump(document)))
    message = str(caught.value)
    assert "Pulumi.prod.yaml" in message and "ml-platform:network.availabilityZoneIds" in message
    assert "use1-az9 not among the region's zones" in message
