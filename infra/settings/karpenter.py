"""Karpenter as the capacity engine (`cluster.capacityEngine: karpenter`): its own keys, and what
each `ml-platform:nodePools` key means under it (or why it is refused)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from components.karpenter.karpenter_controller import CHART_VERSION as KARPENTER_VERSION
from components.karpenter.karpenter_controller import KUBERNETES_RANGE, supports_kubernetes
from infra.settings.base import Section
from infra.settings.rules import KeyRuleError

_AMI_VERSION = re.compile(r"^v\d{8}$")


class KarpenterSettings(Section):
    """Karpenter's own settings; read only with `capacityEngine: karpenter`."""

    # Source: awslabs/amazon-eks-ami CHANGELOG.md at tag v20260724, "AMI Release v20260714":
    # amazon-eks-node-al2023-x86_64-standard-1.35-v20260714 (and -nvidia-, 1.33 to 1.36).
    # Karpenter resolves `al2023@<version>` to the SSM parameter
    # /aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/x86_64/standard/
    # amazon-eks-node-al2023-x86_64-standard-<k8s>-<version>/image_id
    # (aws/karpenter-provider-aws v1.14.1 pkg/providers/amifamily/al2023.go).
    ami_version: str = Field(
        "v20260714",
        description="EKS-optimized AL2023 AMI release the nodes run (`amiSelectorTerms` alias "
        "`al2023@<version>`). Pinned: a new release is a reviewed change, and Karpenter's drift "
        "replaces every node onto it. Default `v20260714`.",
    )
    expire_after_hours: int = Field(
        720,
        ge=24,
        le=2160,
        description="A node is replaced after this many hours (NodePool `expireAfter`), so nodes "
        "roll onto the pinned AMI and its kernel even between releases. Default `720` (30 days, "
        "Karpenter's own default).",
    )

    create_spot_service_linked_role: bool = Field(
        False,
        description="Declare the account's EC2 Spot service-linked role "
        "(AWSServiceRoleForEC2Spot). Karpenter's spot launches need it and its controller may "
        'not create it (Karpenter v1.14 troubleshooting, "Missing Service Linked Role"). '
        "Default `false`: accounts that "
        "ever launched spot have it, and declaring it fails where it exists, so on a fresh account "
        "exactly one stack sets this.",
    )

    @field_validator("ami_version")
    @classmethod
    def _ami_version_shape(cls, value: str) -> str:
        if not _AMI_VERSION.match(value):
            raise ValueError(
                "must be an EKS AMI release such as v20260714 "
                "(never `latest`: the nodes' image is pinned)"
            )
        return value


def karpenter_pool_problem(pool_name: str, pool) -> KeyRuleError | None:
    """Why Karpenter cannot honour one `nodePools.<name>` entry, or None.

    What each key means under Karpenter:
    - `instanceTypes`: the NodePool's `node.kubernetes.io/instance-type In [...]` requirement,
      with `minValues` = the spot floor, so every launch is offered that many types;
    - `onDemandPercentageAboveBaseCapacity`: `0` is a spot NodePool (weight above the on-demand
      ones), `100` an on-demand NodePool; anything between is refused: a NodePool has no
      percentage split (split the pool in two, one of each);
    - `onDemandBaseCapacity`: refused above 0: a NodePool keeps no on-demand base;
    - `minSize`: refused above 0: Karpenter keeps no node floor, nodes exist for pending pods
      (the services' minimum replicas, spread over zones, are what keeps nodes up);
    - `maxSize`: the NodePool's `limits`: maxSize times the largest admitted type's vCPU and
      memory (the types are one shape, so this is exactly maxSize nodes);
    - `rootVolumeGib`: the pool's EC2NodeClass root volume.
    """
    if 0 < pool.on_demand_percentage_above_base_capacity < 100:
        return KeyRuleError(
            f"{pool_name}.onDemandPercentageAboveBaseCapacity",
            "Karpenter cannot split one NodePool between spot and on-demand by percentage; use 0 "
            "(spot) or 100 (on-demand), and declare a second pool for the other kind",
            pool.on_demand_percentage_above_base_capacity,
        )
    if pool.on_demand_base_capacity > 0:
        return KeyRuleError(
            f"{pool_name}.onDemandBaseCapacity",
            "Karpenter keeps no on-demand base in a NodePool; set 0 and declare an on-demand pool "
            "(onDemandPercentageAboveBaseCapacity: 100) for what must not run on spot",
            pool.on_demand_base_capacity,
        )
    if pool.min_size > 0:
        return KeyRuleError(
            f"{pool_name}.minSize",
            "Karpenter keeps no node floor: it launches nodes for pending pods only; set 0 (the "
            "services' minimum replicas, spread over the zones, are what keeps nodes up)",
            pool.min_size,
        )
    return None


def karpenter_problem(settings) -> KeyRuleError | None:
    """The first setting of a `capacityEngine: karpenter` stack that Karpenter cannot honour, or
    None: the cluster version, the handler's and the autoscaler's own knobs, then every pool
    (`karpenter_pool_problem`). `settings` is the whole `PlatformSettings`."""
    if not supports_kubernetes(settings.cluster.kubernetes_version):
        lowest, highest = (".".join(map(str, bound)) for bound in KUBERNETES_RANGE)
        return KeyRuleError(
            "cluster.kubernetesVersion",
            f"Karpenter {KARPENTER_VERSION} supports Kubernetes {lowest} to {highest}",
            settings.cluster.kubernetes_version,
        )
    if settings.cluster.gpu_pool.enabled:
        problem = karpenter_pool_problem("cluster.gpuPool", settings.cluster.gpu_pool)
        if problem:
            return problem
    if settings.interruption.notice_alarm.model_fields_set:
        return KeyRuleError(
            "interruption.noticeAlarm",
            "the per-pool termination alarms count the groups' lifecycle rules, which a "
            "Karpenter stack does not have; remove it (the queue-age alarm stays)",
            None,
            False,
        )
    if "max_node_provision_minutes" in settings.cluster.autoscaling.model_fields_set:
        return KeyRuleError(
            "cluster.autoscaling.maxNodeProvisionMinutes",
            "is cluster-autoscaler's wait before the next priority tier; Karpenter falls back "
            "to the on-demand NodePool as soon as a spot launch fails; remove it",
            settings.cluster.autoscaling.max_node_provision_minutes,
        )
    if "capacity_rebalance" in settings.interruption.model_fields_set:
        return KeyRuleError(
            "interruption.capacityRebalance",
            "is the worker Auto Scaling groups' Capacity Rebalancing; a Karpenter stack has no "
            "group (Karpenter acts on EC2's rebalance recommendations itself); remove it",
            settings.interruption.capacity_rebalance,
        )
    if settings.interruption.webhook_url is not None:
        return KeyRuleError(
            "interruption.webhookUrl",
            "Karpenter has no webhook notifier (the node termination handler does); remove it "
            "or keep cluster-autoscaler",
            None,
            False,
        )
    for name, pool in settings.node_pools.items():
        problem = karpenter_pool_problem(f"nodePools.{name}", pool)
        if problem:
            return problem
    return None
