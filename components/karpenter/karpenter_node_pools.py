"""The worker pools as Karpenter runs them: one EC2NodeClass and one NodePool per pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.karpenter.karpenter_manifests import (
    DISCOVERY_TAG,
    NODECLASS_API,
    NODEPOOL_API,
    KarpenterNodeSettings,
    KarpenterPool,
    node_class_spec,
    node_pool_spec,
)


@dataclass(frozen=True, kw_only=True)
class KarpenterNodePoolsArgs:
    """Inputs of `KarpenterNodePools`."""

    pools: Sequence[KarpenterPool]
    """The worker pools, from `ml-platform:nodePools`."""
    shared: KarpenterNodeSettings
    """AMI, expiry, consolidation delay, cost tags, discovery tag value."""
    node_role_name: pulumi.Input[str]
    """The role Karpenter makes each EC2NodeClass's instance profile from."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group: tagged for discovery here, because EKS created it and no
    other resource of the program manages its tags."""
    kubernetes_provider: k8s.Provider
    """The cluster's provider."""
    create_spot_service_linked_role: bool = False
    """Declare the account's EC2 Spot service-linked role, before any NodePool. Default off (an
    account that ever ran spot has it; declaring it there fails)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The controller release and the node access entry: the objects are created after them
    and deleted before them, while Karpenter still runs to terminate the nodes. Default none."""

    def problems(self) -> list[str]:
        names = [pool.name for pool in self.pools]
        found = []
        if not names:
            found.append("at least one pool is required")
        if len(set(names)) != len(names):
            found.append(f"pool names repeat: {names}")
        return found


class KarpenterNodePools(pulumi.ComponentResource):
    """Karpenter's view of the worker pools.

    The CRDs come from the `karpenter-crd` Helm release, not from CustomResourceDefinition
    objects of the program; pulumi-kubernetes resolves CRDs a Release installs during preview
    since 4.32.0 (CHANGELOG, #3176; the project pins 4.34), so a first preview of these
    cluster-scoped objects works before the release exists.

    Creates the `karpenter.sh/discovery` tag on the cluster security group (the stack's private
    subnets carry it from the network), then per pool an EC2NodeClass (`node_class_spec`: the
    pinned AL2023 alias, discovery selectors, IMDSv2 hop limit 1, encrypted gp3 root, cost tags)
    and a NodePool (`node_pool_spec`: types, capacity type and weight, the pool's labels and
    taints, consolidation with a one-node budget, expiry, limits).
    """

    pool_names: list[str]

    def __init__(
        self, name: str, args: KarpenterNodePoolsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        problems = args.problems()
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("mlplatform:karpenter:KarpenterNodePools", name, None, opts)
        security_group_tag = aws.ec2.Tag(
            f"{name}-sg-discovery",
            resource_id=args.cluster_security_group_id,
            key=DISCOVERY_TAG,
            value=args.shared.cluster_name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        pool_depends_on = list(args.depends_on)
        if args.create_spot_service_linked_role:
            # Karpenter v1.14 getting-started, step06-add-spot-role.sh: CreateFleet for spot
            # fails with AuthFailure.ServiceLinkedRoleCreationNotPermitted without it.
            pool_depends_on.append(
                aws.iam.ServiceLinkedRole(
                    f"{name}-spot-service-linked-role",
                    aws_service_name="spot.amazonaws.com",
                    description="Lets EC2 launch and manage the cluster's spot instances",
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        for pool in args.pools:
            node_class = k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}-class",
                api_version=NODECLASS_API,
                kind="EC2NodeClass",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=pool.name),
                spec=pulumi.Output.from_input(args.node_role_name).apply(
                    lambda role, pool=pool: node_class_spec(pool, args.shared, role)
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.kubernetes_provider,
                    depends_on=[security_group_tag, *args.depends_on],
                ),
            )
            k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}",
                api_version=NODEPOOL_API,
                kind="NodePool",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=pool.name),
                spec=node_pool_spec(pool, args.shared),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.kubernetes_provider,
                    depends_on=[node_class, *pool_depends_on],
                ),
            )
        self.pool_names = [pool.name for pool in args.pools]
        self.register_outputs({"pool_names": self.pool_names})
