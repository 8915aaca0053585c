"""cluster-autoscaler: adds nodes when pods are pending, preferring spot-heavy pools."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.cluster.addon_compatibility import KubernetesSupport
from components.cluster.addon_security import container_security_context, pod_security_context
from components.cluster.workload_role import WorkloadRole, WorkloadRoleArgs
from components.nodes.placement import system_pod_placement

CHART = "cluster-autoscaler"
CHART_REPOSITORY = "https://kubernetes.github.io/autoscaler"
# Chart and image per Kubernetes minor: the autoscaler's minor must match the cluster's
# (kubernetes/autoscaler cluster-autoscaler/README.md "Releases" @55c37cd: "We recommend using
# Cluster Autoscaler with the Kubernetes control plane version for which it was meant", and
# "users always use the latest" patch of that minor). Charts: Chart.yaml history (@55c37cd,
# 2026-08-22): 9.59.0 -> appVersion 1.35.0 (2026-07-13), the newest chart; 9.53.0 -> 1.34.2
# (2025-12-02). Images: the newest patch tags of each minor, `cluster-autoscaler-1.35.2`
# (2026-07-22) and `cluster-autoscaler-1.34.5` (2026-07-22), published as
# registry.k8s.io/autoscaling/cluster-autoscaler:vX.Y.Z; the chart's `image.tag` overrides its
# appVersion.
CHART_FOR_KUBERNETES = {
    "1.35": ("9.59.0", "v1.35.2"),
    "1.34": ("9.53.0", "v1.34.5"),
}
KUBERNETES_SUPPORT = {
    minor: KubernetesSupport(
        addon=f"cluster-autoscaler {image} (chart {chart})",
        minimum=minor,
        tested_through=minor,
        statement="one autoscaler minor per Kubernetes minor",
        source="kubernetes/autoscaler cluster-autoscaler/README.md, Releases (@55c37cd)",
    )
    for minor, (chart, image) in CHART_FOR_KUBERNETES.items()
}
POD_SECURITY_CONTEXT_KEY = "securityContext"
CONTAINER_SECURITY_CONTEXT_KEY = "containerSecurityContext"
"""Charts 9.59.0 and 9.53.0, templates/deployment.yaml: `.Values.securityContext` is rendered whole
as the pod's securityContext, `.Values.containerSecurityContext` as the container's (both default
{}). The autoscaler needs no host access and writes nothing, so the whole hardened context
applies."""
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
PRIORITY_CONFIG_MAP = "cluster-autoscaler-priority-expander"
"""The name the priority expander reads, in the autoscaler's namespace."""
CATCH_ALL_PRIORITY = 1
"""Groups matched by no other entry (the system node group) stay eligible, last."""


@dataclass(frozen=True)
class PoolPreference:
    """What the expander needs to know about a node group."""

    group_name: str
    on_demand_base_capacity: int
    on_demand_percentage_above_base_capacity: int


def expander_priorities(pools: Sequence[PoolPreference]) -> dict[int, list[str]]:
    """Priority expander tiers: the more spot a pool buys, the higher it ranks; on-demand pools
    are the fallback when spot groups cannot grow (the autoscaler backs off a group whose
    scale-up fails and moves to the next tier). Pools with the same mix share a tier (the
    expander then picks among them with its next expander). A `.*` tier at the bottom keeps
    every other group eligible: groups matching no entry are never considered."""
    mixes = sorted({(p.on_demand_percentage_above_base_capacity, p.on_demand_base_capacity) for p in pools})
    tiers: dict[int, list[str]] = {}
    for rank, mix in enumerate(mixes):
        priority = 10 * (len(mixes) - rank) + 10
        tiers[priority] = sorted(
            f"^{re.escape(p.group_name)}$"
            for p in pools
            if (p.on_demand_percentage_above_base_capacity, p.on_demand_base_capacity) == mix
        )
    tiers[CATCH_ALL_PRIORITY] = [".*"]
    return tiers


def priority_config_map_data(priorities: Mapping[int, Sequence[str]]) -> dict[str, str]:
    """The ConfigMap's `priorities` key: YAML of priority -> list of node-group regexes."""
    ordered = {priority: list(priorities[priority]) for priority in sorted(priorities, reverse=True)}
    return {"priorities": yaml.safe_dump(ordered, default_flow_style=False, sort_keys=False)}


def autoscaler_policy(cluster_name: str, region: str, account_id: str) -> dict:
    """Least privilege for auto-discovery (kubernetes/autoscaler cloudprovider/aws README,
    "Full Cluster Autoscaler Features Policy"): describe calls on `*` (they take no resource),
    this cluster's managed node groups, and the two mutating calls only on this account's
    groups tagged as this cluster's."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ReadOwnManagedNodeGroups",
                "Effect": "Allow",
                "Action": "eks:DescribeNodegroup",
                "Resource": f"arn:aws:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*",
            },
            {
                "Sid": "ScaleOwnGroupsOnly",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": f"arn:aws:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/*",
                "Condition": {
                    "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
                },
            },
        ],
    }


def autoscaler_values(
    *,
    cluster_name: str,
    region: str,
    role_arn: str,
    image_tag: str,
    replicas: int,
    scale_down_unneeded_minutes: int,
    max_node_provision_minutes: int,
) -> dict:
    """Helm values of the official chart."""
    placement = system_pod_placement()
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "image": {"tag": image_tag},
        "replicaCount": replicas,
        "rbac": {
            "create": True,
            "serviceAccount": {
                "create": True,
                "name": SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            },
        },
        "extraArgs": {
            # Priority first (spot-heavy pools), then least-waste among equals.
            "expander": "priority,least-waste",
            "balance-similar-node-groups": True,
            # emptyDir scratch space must not pin a node forever.
            "skip-nodes-with-local-storage": False,
            "scale-down-unneeded-time": f"{scale_down_unneeded_minutes}m",
            # How long a group may take to deliver a node before the autoscaler gives up on it
            # and tries the next tier (a spot group with no capacity).
            "max-node-provision-time": f"{max_node_provision_minutes}m",
        },
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "priorityClassName": "system-cluster-critical",
        "podDisruptionBudget": {"maxUnavailable": 1},
        POD_SECURITY_CONTEXT_KEY: pod_security_context(),
        CONTAINER_SECURITY_CONTEXT_KEY: container_security_context(),
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "aws-cluster-autoscaler"}},
            }
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
    }


@dataclass(frozen=True, kw_only=True)
class ClusterAutoscalerArgs:
    """Inputs of `ClusterAutoscaler`."""

    cluster_name: str
    """The EKS cluster (auto-discovery tag and IAM condition)."""
    kubernetes_version: str
    """Cluster minor; picks the chart and image (must be in `CHART_FOR_KUBERNETES`)."""
    region: str
    """AWS region of the groups."""
    account_id: str
    """The account the groups live in (scopes the IAM policy)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider (IRSA)."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL."""
    pools: Sequence[PoolPreference]
    """The worker pools, for the priority expander."""
    replicas: int = 1
    """Autoscaler pods (one is active; others stand by through leader election). Default 1."""
    scale_down_unneeded_minutes: int = 10
    """How long a node must be unneeded before removal. Default 10."""
    max_node_provision_minutes: int = 10
    """Give-up time for a node that does not arrive. Default 10."""


class ClusterAutoscaler(pulumi.ComponentResource):
    """cluster-autoscaler from the official chart, on the system pool.

    Creates an IRSA role (describe on `*`; scaling only groups tagged
    `k8s.io/cluster-autoscaler/<cluster>=owned`), the priority expander ConfigMap and the Helm
    release (chart version pinned per Kubernetes minor) with priority and least-waste expanders,
    balance-similar-node-groups, a PDB and `system-cluster-critical` priority. Needs both an AWS
    and a Kubernetes provider in `opts.providers`.
    """

    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None):
        if args.kubernetes_version not in CHART_FOR_KUBERNETES:
            raise ValueError(
                f"no cluster-autoscaler chart pinned for Kubernetes {args.kubernetes_version}; "
                f"known: {', '.join(sorted(CHART_FOR_KUBERNETES))}"
            )
        super().__init__("mlplatform:capacity:ClusterAutoscaler", name, None, opts)
        chart_version, image_tag = CHART_FOR_KUBERNETES[args.kubernetes_version]
        role = WorkloadRole(
            f"{name}-irsa",
            WorkloadRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                inline_policies={"scaling": json.dumps(autoscaler_policy(args.cluster_name, args.region, args.account_id))},
                description="cluster-autoscaler: scale this cluster's groups",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        priorities = k8s.core.v1.ConfigMap(
            f"{name}-priorities",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=PRIORITY_CONFIG_MAP, namespace=NAMESPACE),
            data=priority_config_map_data(expander_priorities(args.pools)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        values = role.role_arn.apply(
            lambda role_arn: autoscaler_values(
                cluster_name=args.cluster_name,
                region=args.region,
                role_arn=role_arn,
                image_tag=image_tag,
                replicas=args.replicas,
                scale_down_unneeded_minutes=args.scale_down_unneeded_minutes,
                max_node_provision_minutes=args.max_node_provision_minutes,
            )
        )
        k8s.helm.v3.Release(
            f"{name}-release",
            name="cluster-autoscaler",
            chart=CHART,
            version=chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=NAMESPACE,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[priorities]),
        )
        self.role_arn = role.role_arn
        self.register_outputs({"role_arn": self.role_arn})
