"""`NodeRole` declared under the mocks: trusted by EC2 alone, only the managed policies a node
needs, and an instance profile only when asked for."""

from __future__ import annotations

import json

import pytest

from components.nodes.node_role import NodeRole

ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"

# What a node's kubelet needs (EKS user guide, "Amazon EKS node IAM role":
# https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html) with image pulls
# narrowed to the pull-only ECR policy. Not AmazonEKS_CNI_Policy (the VPC CNI has its own IRSA
# role) nor AmazonSSMManagedInstanceCore (nodes are replaced, not logged into).
NODE_NEEDS = {
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
}


def _role(declare, instance_profile: bool):
    return declare(lambda: NodeRole("workers", instance_profile=instance_profile))


@pytest.mark.parametrize("instance_profile", [True, False])
def test_the_role_is_assumed_by_ec2_alone(declare, instance_profile):
    (role,) = _role(declare, instance_profile).of_type("aws:iam/role:Role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }, f"{role.name} trusts more than EC2: {statement}"


def test_only_the_managed_policies_a_node_needs_are_attached(declare):
    inventory = _role(declare, instance_profile=False)
    (role,) = inventory.of_type("aws:iam/role:Role")
    attached = [a.inputs["policyArn"] for a in inventory.of_type(ATTACHMENT)]
    assert len(attached) == len(set(attached)), f"{role.name} has a policy attached twice: {attached}"
    assert set(attached) == NODE_NEEDS, f"{role.name} carries {sorted(set(attached) ^ NODE_NEEDS)} beyond or short of a node's needs"
    assert not inventory.of_type("aws:iam/rolePolicy:RolePolicy"), f"{role.name} has inline policies"
    for attachment in inventory.of_type(ATTACHMENT):
        assert attachment.parent == role.urn, f"{attachment.name} is not parented to {role.name}"


def test_an_instance_profile_only_when_asked_for(declare):
    with_profile = _role(declare, instance_profile=True)
    (role,) = with_profile.of_type("aws:iam/role:Role")
    (profile,) = with_profile.of_type(PROFILE)
    assert profile.parent == role.urn, f"{profile.name} is not parented to {role.name}"
    assert not _role(declare, instance_profile=False).of_type(PROFILE), (
        "managed node groups make their own profile; workers-profile must not be declared"
    )
