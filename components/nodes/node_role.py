"""The IAM role EC2 nodes run as, with only what a node needs."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

NODE_MANAGED_POLICIES = (
    # Describe calls kubelet makes and the Pod Identity token exchange.
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    # Pull images from ECR, nothing else (the narrower successor of ...ReadOnly).
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
)
"""Deliberately absent: `AmazonEKS_CNI_Policy` (the VPC CNI has its own IRSA role, so no pod
on the node can borrow ENI permissions) and `AmazonSSMManagedInstanceCore` (no shell access by
default; nodes are replaced, not logged into)."""


def node_trust_policy() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


class NodeRole(pulumi.ComponentResource):
    """A node IAM role and, optionally, its instance profile.

    Creates the role (trusted by EC2 only), one attachment per `NODE_MANAGED_POLICIES` entry and,
    with `instance_profile=True` (self-managed nodes), an instance profile. EKS managed node
    groups make their own profile from the role, so they pass `False`.
    """

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    instance_profile_arn: pulumi.Output[str] | None

    def __init__(self, name: str, instance_profile: bool, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:nodes:NodeRole", name, None, opts)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(node_trust_policy()),
            description="EKS node: kubelet and image pulls only",
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, policy_arn in enumerate(NODE_MANAGED_POLICIES):
            aws.iam.RolePolicyAttachment(
                f"{name}-managed-{index}",
                role=role.name,
                policy_arn=policy_arn,
                opts=pulumi.ResourceOptions(parent=role),
            )
        self.role_arn = role.arn
        self.role_name = role.name
        self.instance_profile_arn = None
        if instance_profile:
            profile = aws.iam.InstanceProfile(
                f"{name}-profile", role=role.name, opts=pulumi.ResourceOptions(parent=role)
            )
            self.instance_profile_arn = profile.arn
        self.register_outputs(
            {"role_arn": self.role_arn, "role_name": self.role_name, "instance_profile_arn": self.instance_profile_arn}
        )
