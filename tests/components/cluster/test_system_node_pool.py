"""`SystemNodePool` declared under the mocks: an on-demand EKS managed node group for add-ons
only, on a hardened launch template, with a node role that has only what a node needs."""

from __future__ import annotations

import pytest

from components.cluster.system_node_pool import SystemNodePool, SystemNodePoolArgs
from components.nodes.node_role import NODE_MANAGED_POLICIES
from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL

SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]


def _args(**overrides) -> SystemNodePoolArgs:
    values = dict(
        cluster_name="mlp-unit",
        kubernetes_version="1.35",
        subnet_ids=SUBNETS,
        instance_types=["m6a.large", "m6i.large"],
        cost_tags={"project": "ml-platform"},
    )
    values.update(overrides)
    return SystemNodePoolArgs(**values)


def test_system_pool_is_on_demand_tainted_and_hardened(declare):
    inventory = declare(lambda: SystemNodePool("cluster-system", _args()))
    (group,) = inventory.of_type("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["capacityType"] == "ON_DEMAND"
    assert group.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert group.inputs["labels"] == {POOL_LABEL: "system", CAPACITY_LABEL: "on-demand"}
    assert group.inputs["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 3, "desiredSize": 2}
    assert group.inputs["subnetIds"] == SUBNETS
    assert group.ignore_changes == ["scalingConfig.desiredSize"]
    (template,) = inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    assert "vpcSecurityGroupIds" not in template.inputs, "EKS must attach the cluster security group"
    node_policies = sorted(
        a.inputs["policyArn"]
        for a in inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if "system-node" in a.name
    )
    assert node_policies == sorted(NODE_MANAGED_POLICIES)


def test_eks_makes_the_instance_profile_and_launches_with_the_cost_tags(declare):
    inventory = declare(lambda: SystemNodePool("cluster-system", _args()))
    assert not inventory.of_type("aws:iam/instanceProfile:InstanceProfile"), (
        "cluster-system: a managed node group makes its own profile from the role"
    )
    (template,) = inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    for specification in template.inputs["tagSpecifications"]:
        assert specification["tags"]["project"] == "ml-platform", f"{template.name}: {specification}"
    assert {s["resourceType"] for s in template.inputs["tagSpecifications"]} >= {"instance", "volume"}


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (dict(min_size=0), "1 <= min_size <= max_size"),
        (dict(min_size=4, max_size=3), "1 <= min_size <= max_size"),
        (dict(instance_types=["m6a.large", "m6a.large"]), "more than once"),
        (dict(instance_types=["m6a.large", "m6i.2xlarge"]), "same shape"),
    ],
    ids=["no-node", "min-above-max", "duplicate-type", "two-shapes"],
)
def test_unusable_sizes_and_types_are_refused(declare, overrides, fragment):
    with pytest.raises(ValueError, match=fragment):
        declare(lambda: SystemNodePool("cluster-system", _args(**overrides)))
