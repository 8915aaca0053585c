"""URNs as the engine writes them (pulumi/pulumi v3.259.0 `pkg/resource/deploy/deployment.go`,
`generateURN`): a child's type is qualified by its parent's whole type chain, and the root stack's
type is never part of it. `mlp diff` matches resources by URN, so this is what makes a changed
component type show as the replacement of every descendant that `pulumi up` would make."""

from __future__ import annotations


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def test_every_urn_carries_its_parents_whole_type_chain(stack_inventory):
    by_urn = {resource.urn: resource for resource in stack_inventory.resources}
    for resource in stack_inventory.resources:
        if resource.type == "pulumi:pulumi:Stack":
            continue
        parent = by_urn.get(resource.parent) if resource.parent else None
        if parent is None or parent.type == "pulumi:pulumi:Stack":
            expected = resource.type
        else:
            expected = f"{_qualified_type(parent.urn)}${resource.type}"
        assert _qualified_type(resource.urn) == expected, f"{resource.name}: {resource.urn}"


def test_a_grandchild_names_its_component_and_its_parent(plan):
    inventory = plan("dev")
    (vpc,) = [r for r in inventory.resources if r.urn.endswith("::network-vpc")]
    assert vpc.urn == "urn:pulumi:dev::ml-platform::mlplatform:network:Network$aws:ec2/vpc:Vpc::network-vpc"
    grandchildren = [r for r in inventory.resources if r.parent == vpc.urn]
    assert grandchildren, "the VPC has children (subnets, route tables)"
    for child in grandchildren:
        assert child.urn.startswith(
            "urn:pulumi:dev::ml-platform::mlplatform:network:Network$aws:ec2/vpc:Vpc$"
        ), child.urn
