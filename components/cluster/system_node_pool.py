"""The system pool: an EKS managed node group, on-demand, reserved for cluster add-ons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.nodes.instance_catalog import pool_type_problems
from components.nodes.node_launch import (
    encrypted_gp3_root,
    imdsv2_metadata_options,
    launch_tag_specifications,
)
from components.nodes.node_role import NodeRole
from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL, SYSTEM_POOL, SYSTEM_TAINT

# Kubernetes spells taint effects `NoSchedule`; the EKS node group API `NO_SCHEDULE`.
_EKS_TAINT_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def system_pool_labels() -> dict[str, str]:
    return {POOL_LABEL: SYSTEM_POOL, CAPACITY_LABEL: "on-demand"}


def system_pool_taint() -> aws.eks.NodeGroupTaintArgs:
    return aws.eks.NodeGroupTaintArgs(
        key=SYSTEM_TAINT["key"], value=SYSTEM_TAINT["value"], effect=_EKS_TAINT_EFFECT[SYSTEM_TAINT["effect"]]
    )


@dataclass(frozen=True, kw_only=True)
class SystemNodePoolArgs:
    """Inputs of `SystemNodePool`."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster."""
    kubernetes_version: str
    """Cluster minor version; the node group follows it."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets, one per zone: EKS spreads the nodes across them."""
    instance_types: Sequence[str]
    """On-demand types of one shape, in order of preference (managed node groups launch
    on-demand capacity by that order)."""
    min_size: int = 2
    """Fewest nodes. Default 2, one per zone for the add-ons' replicas."""
    max_size: int = 3
    """Most nodes. Default 3."""
    root_volume_gib: int = 30
    """gp3 root volume. Default 30 GiB."""
    cost_tags: Mapping[str, str] = field(default_factory=dict)
    """Cost tags for the instances, volumes and network interfaces EKS launches. Default none."""


class SystemNodePool(pulumi.ComponentResource):
    """The on-demand pool where cluster add-ons run (CoreDNS, the autoscaler, metrics-server,
    the termination handler, the load balancer controller).

    Creates a node role (no instance profile: EKS makes one; EKS also creates the node role's
    access entry for managed node groups), a launch template (IMDSv2 hop limit 1, encrypted gp3
    root, cost tags at launch) and an EKS managed node group, ON_DEMAND, using the
    EKS-optimized AL2023 AMI for the cluster version, labelled `POOL_LABEL=system`,
    `CAPACITY_LABEL=on-demand` and tainted `CriticalAddonsOnly` so workloads stay off it.
    The launch template names no security group, so EKS attaches the cluster security group.
    The autoscaler owns the desired size, so Pulumi ignores changes to it.
    """

    node_group_name: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: SystemNodePoolArgs, opts: pulumi.ResourceOptions | None = None):
        problems = pool_type_problems(args.instance_types, carries_spot=False)
        if not 1 <= args.min_size <= args.max_size:
            problems.append(f"sizes must satisfy 1 <= min_size <= max_size (got {args.min_size}..{args.max_size})")
        if problems:
            raise ValueError("system pool: " + "; ".join(problems))
        super().__init__("mlplatform:cluster:SystemNodePool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        node_role = NodeRole(f"{name}-node", instance_profile=False, opts=child)
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description="System pool: EKS managed AL2023 nodes",
            metadata_options=imdsv2_metadata_options(),
            block_device_mappings=[encrypted_gp3_root(args.root_volume_gib)],
            tag_specifications=launch_tag_specifications({**args.cost_tags, "Name": f"{name}-node"}),
            update_default_version=True,
            opts=child,
        )
        group = aws.eks.NodeGroup(
            f"{name}-group",
            cluster_name=args.cluster_name,
            version=args.kubernetes_version,
            node_role_arn=node_role.role_arn,
            subnet_ids=args.subnet_ids,
            capacity_type="ON_DEMAND",
            ami_type="AL2023_x86_64_STANDARD",
            instance_types=list(args.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, max_size=args.max_size, desired_size=args.min_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels=system_pool_labels(),
            taints=[system_pool_taint()],
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )
        self.node_group_name = group.node_group_name
        self.node_role_arn = node_role.role_arn
        self.register_outputs({"node_group_name": self.node_group_name, "node_role_arn": self.node_role_arn})
