"""The whole program, per stack, checked against what its stack file says."""

from __future__ import annotations

import pytest

from infra.settings import load_settings


@pytest.fixture
def settings_of(stack_document, engine_config):
    return lambda stack: load_settings(stack, engine_config(stack_document(stack)))


def test_network_spans_the_configured_zones(stack_inventory, settings_of):
    network = settings_of(stack_inventory.stack).network
    subnets = stack_inventory.of_type("aws:ec2/subnet:Subnet")
    zones = {s.inputs["availabilityZone"] for s in subnets}
    assert len(zones) == network.az_count
    assert len(subnets) == 2 * network.az_count


def test_nat_gateways_follow_the_strategy(stack_inventory, settings_of):
    network = settings_of(stack_inventory.stack).network
    expected = 1 if network.nat_strategy == "single" else network.az_count
    assert len(stack_inventory.of_type("aws:ec2/natGateway:NatGateway")) == expected


def test_interface_endpoints_are_the_configured_ones(stack_inventory, settings_of):
    settings = settings_of(stack_inventory.stack)
    network = settings.network
    prefix = f"com.amazonaws.{settings.region}."
    services = sorted(
        e.inputs["serviceName"].removeprefix(prefix)
        for e in stack_inventory.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs["vpcEndpointType"] == "Interface"
    )
    assert services == sorted(network.interface_endpoints)


def test_the_two_stacks_differ_where_their_files_differ(plan):
    dev, prod = plan("dev"), plan("prod")
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) < len(prod.of_type("aws:ec2/natGateway:NatGateway"))


def test_every_resource_uses_an_explicit_provider(stack_inventory):
    """Default providers are disabled in the stack files; a resource without an explicit
    provider would fail at `pulumi up`."""
    missing = [
        r.urn
        for r in stack_inventory.resources
        if r.custom and not r.type.startswith("pulumi:providers:") and r.provider is None
    ]
    assert not missing, f"resources without an explicit provider: {missing}"


def test_every_log_group_has_a_retention(stack_inventory):
    groups = stack_inventory.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups
    for group in groups:
        assert group.inputs.get("retentionInDays", 0) > 0, f"{group.name} keeps logs forever"


def test_provider_carries_the_cost_allocation_tags(stack_inventory, settings_of):
    import json

    from infra.tags import REQUIRED_TAG_KEYS

    (provider,) = stack_inventory.of_type("pulumi:providers:aws")
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert set(REQUIRED_TAG_KEYS) <= set(tags)
    assert tags["environment"] == stack_inventory.stack
    assert tags["cost-center"] == settings_of(stack_inventory.stack).tags.cost_center

