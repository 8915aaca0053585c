"""Wiring from cluster and node-pool settings to the cluster, its worker pools and the
autoscaler's view of them; kept out of `__main__.py` so the program stays a table of contents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.capacity.cluster_autoscaler import PoolPreference
from components.capacity.nvidia_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs
from components.capacity.worker_pool import WorkerPool, WorkerPoolArgs, zonal_group_name
from components.cluster.eks_cluster import EksCluster, EksClusterArgs
from components.cluster.managed_addons import AddonVersions
from components.network.network import Network
from infra.settings import PlatformSettings
from infra.settings.cluster import ClusterSettings, GpuPoolSettings
from infra.settings.node_pools import NodePoolSettings

GPU_POOL = "gpu"


def cluster_args(
    cluster: ClusterSettings,
    cluster_name: str,
    account_id: str,
    network: Network,
    cost_tags: Mapping[str, str],
    deployer_principal_arn: str,
) -> EksClusterArgs:
    return EksClusterArgs(
        cluster_name=cluster_name,
        kubernetes_version=cluster.kubernetes_version,
        account_id=account_id,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        addon_versions=AddonVersions(**cluster.addons.model_dump()),
        admin_role_arns=cluster.admin_role_arns,
        deployer_principal_arn=deployer_principal_arn,
        viewer_role_arns=cluster.preview_role_arns,
        system_instance_types=cluster.system_pool.instance_types,
        system_min_size=cluster.system_pool.min_size,
        system_max_size=cluster.system_pool.max_size,
        public_endpoint=cluster.endpoint.public_access,
        public_access_cidrs=cluster.endpoint.admitted_cidrs(),
        private_access_cidrs=cluster.endpoint.private_access_cidrs,
        private_access_security_group_ids=cluster.endpoint.private_access_security_group_ids,
        log_retention_days=cluster.log_retention_days,
        support_type=cluster.support_type,
        deletion_protection=cluster.deletion_protection,
        cost_tags=cost_tags,
    )


def pool_settings(settings: PlatformSettings) -> dict[str, NodePoolSettings | GpuPoolSettings]:
    """Every worker pool the stack runs: the configured ones, plus `gpu` when switched on."""
    pools: dict[str, NodePoolSettings | GpuPoolSettings] = dict(settings.node_pools)
    if settings.cluster.gpu_pool.enabled:
        pools[GPU_POOL] = settings.cluster.gpu_pool
    return pools


def pool_instance_types(settings: PlatformSettings) -> dict[str, tuple[str, ...]]:
    """Every pool that runs in each zone, system pool included, and its instance types: what a
    zone must offer to be chosen."""
    types = {name: pool.instance_types for name, pool in pool_settings(settings).items()}
    return {"system": settings.cluster.system_pool.instance_types, **types}


def zone_subnet_ids(network: Network) -> dict[str, pulumi.Output[str]]:
    """Availability zone -> its private subnet (the network declares them in zone order)."""
    return {
        zone: network.private_subnet_ids.apply(lambda ids, index=index: ids[index])
        for index, zone in enumerate(network.availability_zones)
    }


def group_name(cluster_name: str, pool_name: str) -> str:
    return f"{cluster_name}-{pool_name}"


def declare_worker_pools(
    settings: PlatformSettings,
    cluster_name: str,
    cluster: EksCluster,
    network: Network,
    cost_tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    extra_instance_tags: Mapping[str, str] | None = None,
) -> dict[str, WorkerPool]:
    pools = {}
    for pool_name, pool in pool_settings(settings).items():
        pools[pool_name] = WorkerPool(
            f"pool-{pool_name}",
            WorkerPoolArgs(
                pool_name=pool_name,
                group_name=group_name(cluster_name, pool_name),
                cluster_name=cluster.cluster_name,
                cluster_endpoint=cluster.endpoint,
                cluster_certificate_authority=cluster.certificate_authority,
                service_cidr=cluster.service_cidr,
                kubernetes_version=cluster.kubernetes_version,
                zone_subnet_ids=zone_subnet_ids(network),
                # The EKS cluster SG alone, as on the system pool: it admits the control plane
                # (kubelet, webhooks) and every node (CoreDNS, metrics-server across pools), and is
                # the one group tagged `kubernetes.io/cluster/<name>` that the load balancer
                # controller opens to its ALBs for ip targets.
                security_group_ids=[cluster.cluster_security_group_id],
                instance_types=pool.instance_types,
                on_demand_base_capacity=pool.on_demand_base_capacity,
                on_demand_percentage_above_base_capacity=pool.on_demand_percentage_above_base_capacity,
                min_size=pool.min_size,
                max_size=pool.max_size,
                root_volume_gib=pool.root_volume_gib,
                gpu=pool_name == GPU_POOL,
                cost_tags=cost_tags,
                extra_instance_tags=extra_instance_tags or {},
                capacity_rebalance=settings.interruption.capacity_rebalance,
            ),
            opts=opts,
        )
    return pools


def declare_gpu_support(settings: PlatformSettings, opts: pulumi.ResourceOptions) -> NvidiaDevicePlugin | None:
    """With the GPU pool, what makes its GPUs schedulable: the NVIDIA device plugin on it."""
    if not settings.cluster.gpu_pool.enabled:
        return None
    return NvidiaDevicePlugin("nvidia-device-plugin", NvidiaDevicePluginArgs(gpu_pool=GPU_POOL), opts=opts)


def pool_preferences(settings: PlatformSettings, cluster_name: str, zones: Sequence[str]) -> list[PoolPreference]:
    """One preference per zonal group: every zone's group of a pool ranks as the pool does."""
    return [
        PoolPreference(
            group_name=zonal_group_name(group_name(cluster_name, pool_name), zone),
            on_demand_base_capacity=pool.on_demand_base_capacity,
            on_demand_percentage_above_base_capacity=pool.on_demand_percentage_above_base_capacity,
        )
        for pool_name, pool in pool_settings(settings).items()
        for zone in zones
    ]
