"""Wiring for `cluster.capacityEngine: karpenter`: the pools as NodePools, the controller, its
interruption queue. Kept out of `__main__.py` so the program stays a table of contents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.cluster.eks_cluster import EksCluster
from components.karpenter.karpenter_controller import KarpenterController, KarpenterControllerArgs
from components.karpenter.karpenter_interruption_queue import (
    KarpenterInterruptionQueue,
    KarpenterInterruptionQueueArgs,
)
from components.karpenter.karpenter_manifests import (
    DISCOVERY_TAG,
    KarpenterNodeSettings,
    KarpenterPool,
)
from components.karpenter.karpenter_node_pools import KarpenterNodePools, KarpenterNodePoolsArgs
from infra.cluster_wiring import GPU_POOL, pool_settings
from infra.settings import PlatformSettings


def discovery_subnet_tags(settings: PlatformSettings, cluster_name: str) -> dict[str, str]:
    """The private subnets' discovery tag, on a Karpenter stack only (so a stack on the
    autoscaler plans exactly as before)."""
    return {DISCOVERY_TAG: cluster_name} if settings.uses_karpenter else {}


def karpenter_pools(settings: PlatformSettings) -> list[KarpenterPool]:
    """`ml-platform:nodePools` (and the GPU pool, when on) as Karpenter pools; the settings
    already refused what a NodePool cannot honour (infra/settings/karpenter.py)."""
    return [
        KarpenterPool(
            name=name,
            capacity="on-demand"
            if pool.on_demand_percentage_above_base_capacity >= 100
            else "spot",
            instance_types=tuple(pool.instance_types),
            max_size=pool.max_size,
            root_volume_gib=pool.root_volume_gib,
            gpu=name == GPU_POOL,
        )
        for name, pool in pool_settings(settings).items()
    ]


def karpenter_node_settings(
    settings: PlatformSettings, cluster_name: str, cost_tags: Mapping[str, str]
) -> KarpenterNodeSettings:
    return KarpenterNodeSettings(
        cluster_name=cluster_name,
        ami_version=settings.cluster.karpenter.ami_version,
        expire_after_hours=settings.cluster.karpenter.expire_after_hours,
        # The autoscaler's "unneeded for N minutes" is Karpenter's consolidateAfter.
        consolidate_after_minutes=settings.cluster.autoscaling.scale_down_unneeded_minutes,
        cost_tags=cost_tags,
    )


@dataclass(frozen=True)
class KarpenterCapacity:
    controller: KarpenterController
    node_pools: KarpenterNodePools
    interruption: KarpenterInterruptionQueue | None


def declare_karpenter(
    settings: PlatformSettings,
    *,
    cluster_name: str,
    cluster: EksCluster,
    account_id: str,
    cost_tags: Mapping[str, str],
    alarm_topic_arn: pulumi.Input[str],
    on_aws: pulumi.ResourceOptions,
    on_cluster: pulumi.ResourceOptions,
) -> KarpenterCapacity:
    interruption = None
    if settings.interruption.enabled:
        interruption = KarpenterInterruptionQueue(
            "karpenter-interruption",
            KarpenterInterruptionQueueArgs(
                alarm_topic_arn=alarm_topic_arn,
                queue_age_alarm_seconds=settings.interruption.queue_age_alarm_seconds,
            ),
            opts=on_aws,
        )
    controller = KarpenterController(
        "karpenter",
        KarpenterControllerArgs(
            cluster_name=cluster_name,
            region=settings.region,
            account_id=account_id,
            kubernetes_provider=cluster.kubernetes_provider,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            interruption_queue_name=interruption.queue_name if interruption else None,
            interruption_queue_arn=interruption.queue_arn if interruption else None,
            replicas=settings.cluster.autoscaling.autoscaler_replicas,
            depends_on=[cluster],
        ),
        opts=on_cluster,
    )
    node_pools = KarpenterNodePools(
        "karpenter-pools",
        KarpenterNodePoolsArgs(
            pools=karpenter_pools(settings),
            shared=karpenter_node_settings(settings, cluster_name, cost_tags),
            node_role_name=controller.node_role_name,
            cluster_security_group_id=cluster.cluster_security_group_id,
            kubernetes_provider=cluster.kubernetes_provider,
            create_spot_service_linked_role=settings.cluster.karpenter.create_spot_service_linked_role,
            depends_on=[controller.release, controller.node_access],
        ),
        opts=on_cluster,
    )
    return KarpenterCapacity(
        controller=controller, node_pools=node_pools, interruption=interruption
    )
