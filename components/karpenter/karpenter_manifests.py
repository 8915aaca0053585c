"""Karpenter's EC2NodeClass and NodePool manifests for the platform's worker pools, as plain data.

Pure functions: the tests validate what they return against the CRD schemas of the pinned
release (tests/data/karpenter-1.14.1/, from aws/karpenter-provider-aws v1.14.1
`pkg/apis/crds/`), and `KarpenterNodePools` only turns them into objects. Field meanings are
from the v1.14 docs, `website/content/en/v1.14/concepts/nodepools.md` and `nodeclasses.md`
(aws/karpenter-provider-aws at commit 1d927085, the docs of release v1.14.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from components.nodes.instance_catalog import (
    MIN_SPOT_GPU_INSTANCE_TYPES,
    MIN_SPOT_INSTANCE_TYPES,
    instance_catalog,
)
from components.nodes.node_launch import IMDS_HOP_LIMIT, ROOT_DEVICE
from components.nodes.placement import CAPACITY_LABEL, GPU_TAINT, POOL_LABEL, SPOT_TAINT

NODEPOOL_API = "karpenter.sh/v1"
NODECLASS_API = "karpenter.k8s.aws/v1"
NODECLASS_GROUP = "karpenter.k8s.aws"

DISCOVERY_TAG = "karpenter.sh/discovery"
"""The tag by which the EC2NodeClass finds the stack's private subnets and the cluster security
group (its value is the cluster name), as Karpenter's getting-started guide tags them."""

SPOT_WEIGHT = 50
ON_DEMAND_WEIGHT = 10
"""NodePool weights: a pod that fits both kinds (`capacity: spot-preferred`) goes to the spot
NodePool first; when spot launches fail (insufficient capacity), Karpenter marks those offerings
unavailable and the pod lands on the lower-weight on-demand NodePool, as the autoscaler's
priority expander does today."""

DISRUPTION_BUDGET_NODES = "1"
"""Graceful disruption (consolidation, and drift: a new `amiVersion` rolls the pool) of at most
one node of a pool at a time, so each service's other zones keep serving while a node drains.
Budgets do not hold back the forceful methods, expiry and interruption (v1.14 docs,
concepts/disruption.md, "NodePool Disruption Budgets"). Every drain goes through the eviction
API, so the services' PodDisruptionBudgets hold; no `terminationGracePeriod` is set, so an
expired node waits for its PDBs rather than evicting past them."""

CONSOLIDATION_POLICY = "WhenEmptyOrUnderutilized"

CapacityKind = Literal["spot", "on-demand"]


@dataclass(frozen=True, kw_only=True)
class KarpenterPool:
    """One `ml-platform:nodePools` entry as Karpenter runs it (see
    infra/settings/karpenter.py for what each key becomes)."""

    name: str
    """The pool's name: its NodePool, its EC2NodeClass and its `POOL_LABEL` value."""
    capacity: CapacityKind
    """`spot` (onDemandPercentageAboveBaseCapacity 0) or `on-demand` (100)."""
    instance_types: Sequence[str]
    """The admitted types, one shape (the settings check it)."""
    max_size: int
    """The most nodes; becomes the NodePool's cpu and memory limits."""
    root_volume_gib: int = 40
    """Encrypted gp3 root volume. Default 40 GiB."""
    gpu: bool = False
    """The GPU pool (`cluster.gpuPool`): tainted `nvidia.com/gpu`, its spot floor the GPU one,
    and `nvidia.com/gpu` limited too. The AL2023 alias needs nothing more: Karpenter resolves
    its NVIDIA variant for GPU types (pkg/providers/amifamily/al2023.go at v1.14.1). Default
    off."""


@dataclass(frozen=True, kw_only=True)
class KarpenterNodeSettings:
    """What every pool shares."""

    cluster_name: str
    """The discovery tag's value."""
    ami_version: str
    """EKS AL2023 AMI release, e.g. "v20260714"."""
    expire_after_hours: int = 720
    """NodePool `expireAfter`. Default 720 h."""
    consolidate_after_minutes: int = 10
    """How long a node must be empty or underused before consolidation. Default 10 min."""
    cost_tags: Mapping[str, str] = field(default_factory=dict)
    """`spec.tags`: Karpenter puts them on the instances and volumes (CreateFleet tag
    specifications) and network interfaces (launch template tag specifications):
    pkg/providers/instance/types.go and pkg/providers/launchtemplate/types.go at v1.14.1."""


def ami_alias(ami_version: str) -> str:
    return f"al2023@{ami_version}"


def pool_limits(instance_types: Sequence[str], max_size: int) -> dict[str, str]:
    """maxSize nodes of the largest admitted type, as NodePool resource limits. Karpenter stops
    launching once the pool's nodes reach any limit, so a pool of one shape stops at exactly
    maxSize nodes. GPU types add their GPUs (`nvidia.com/gpu`)."""
    catalog = instance_catalog()
    unknown = [name for name in instance_types if name not in catalog]
    if unknown:
        raise ValueError(f"instance types not in the price tables: {', '.join(unknown)}")
    vcpu = max(catalog[name].vcpu for name in instance_types)
    memory_mib = max(round(catalog[name].memory_gib * 1024) for name in instance_types) * max_size
    memory = f"{memory_mib // 1024}Gi" if memory_mib % 1024 == 0 else f"{memory_mib}Mi"
    limits = {"cpu": str(vcpu * max_size), "memory": memory}
    gpus = max(catalog[name].gpu_count for name in instance_types)
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus * max_size)
    return limits


def node_class_spec(
    pool: KarpenterPool, shared: KarpenterNodeSettings, node_role_name: str
) -> dict:
    """The pool's EC2NodeClass `spec`."""
    discovery = [{"tags": {DISCOVERY_TAG: shared.cluster_name}}]
    return {
        # Karpenter makes and tags the instance profile from this role itself (nodeclasses.md,
        # spec.role); its controller policy may only touch profiles tagged for this cluster.
        "role": node_role_name,
        "amiSelectorTerms": [{"alias": ami_alias(shared.ami_version)}],
        "subnetSelectorTerms": discovery,
        "securityGroupSelectorTerms": discovery,
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": IMDS_HOP_LIMIT,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": ROOT_DEVICE,
                "rootVolume": True,
                "ebs": {
                    "volumeSize": f"{pool.root_volume_gib}Gi",
                    "volumeType": "gp3",
                    "iops": 3000,
                    "throughput": 125,
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        "tags": dict(shared.cost_tags),
    }


def node_class_manifest(
    pool: KarpenterPool, shared: KarpenterNodeSettings, node_role_name: str
) -> dict:
    return {
        "apiVersion": NODECLASS_API,
        "kind": "EC2NodeClass",
        "metadata": {"name": pool.name},
        "spec": node_class_spec(pool, shared, node_role_name),
    }


def node_pool_spec(pool: KarpenterPool, shared: KarpenterNodeSettings) -> dict:
    """The pool's NodePool `spec`: its types, its capacity type, its labels and taints (the same
    the self-managed groups put on their nodes, so the services' placement does not change),
    consolidation with a budget, expiry, and limits."""
    type_requirement: dict = {
        "key": "node.kubernetes.io/instance-type",
        "operator": "In",
        "values": list(pool.instance_types),
    }
    if pool.capacity == "spot":
        # Every spot launch is offered at least the platform's floor of types (CreateFleet picks
        # among them price-capacity-optimized). The controller runs `minValuesPolicy:
        # BestEffort` (karpenter_controller.controller_values), so when spot capacity is short
        # of that many types it launches on fewer rather than leave spot-only pods pending.
        type_requirement["minValues"] = (
            MIN_SPOT_GPU_INSTANCE_TYPES if pool.gpu else MIN_SPOT_INSTANCE_TYPES
        )
    template_spec: dict = {
        "nodeClassRef": {"group": NODECLASS_GROUP, "kind": "EC2NodeClass", "name": pool.name},
        "requirements": [
            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": [pool.capacity]},
            type_requirement,
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        ],
        "expireAfter": f"{shared.expire_after_hours}h",
    }
    taints = ([dict(SPOT_TAINT)] if pool.capacity == "spot" else []) + (
        [dict(GPU_TAINT)] if pool.gpu else []
    )
    if taints:
        template_spec["taints"] = taints
    return {
        "weight": SPOT_WEIGHT if pool.capacity == "spot" else ON_DEMAND_WEIGHT,
        "template": {
            "metadata": {"labels": {POOL_LABEL: pool.name, CAPACITY_LABEL: pool.capacity}},
            "spec": template_spec,
        },
        "disruption": {
            "consolidationPolicy": CONSOLIDATION_POLICY,
            "consolidateAfter": f"{shared.consolidate_after_minutes}m",
            "budgets": [{"nodes": DISRUPTION_BUDGET_NODES}],
        },
        "limits": pool_limits(pool.instance_types, pool.max_size),
    }


def node_pool_manifest(pool: KarpenterPool, shared: KarpenterNodeSettings) -> dict:
    return {
        "apiVersion": NODEPOOL_API,
        "kind": "NodePool",
        "metadata": {"name": pool.name},
        "spec": node_pool_spec(pool, shared),
    }


def pool_manifests(
    pools: Sequence[KarpenterPool], shared: KarpenterNodeSettings, node_role_name: str
) -> list[dict]:
    """Every EC2NodeClass, then every NodePool, of the stack."""
    return [node_class_manifest(pool, shared, node_role_name) for pool in pools] + [
        node_pool_manifest(pool, shared) for pool in pools
    ]
