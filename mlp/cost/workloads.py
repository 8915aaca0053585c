"""The pods a stack runs, as the estimate packs them: each Deployment (replicas from its HPA's
`minReplicas`, or `maxReplicas` at peak) and each add-on's pods (from the values of its Helm
release), with what they request and where they may be scheduled (node selector, tolerations,
node affinity). Which pool they land on is `mlp.cost.placement`; how many nodes they take,
`mlp.cost.packing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL
from mlp.cost.model import PricingContext, Resource, lookup
from mlp.cost.node_pool import NodePool
from mlp.cost.quantity import parse_quantity

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA_TYPES = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass
class PodGroup:
    resource: Resource
    replicas: int
    cpu: float
    memory_gib: float
    pool_selector: str | None
    capacity_selector: str | None
    tolerated: frozenset[str] | None  # None: tolerates everything
    required_terms: tuple[Mapping[str, Any], ...] = ()  # nodeAffinity required nodeSelectorTerms (ORed)
    preferred_terms: tuple[Mapping[str, Any], ...] = ()  # nodeAffinity preferred terms with weights
    replicas_note: str = ""
    placed_on: NodePool | None = None
    shares: list[float] = field(default_factory=list)


def _requests(pod_spec: Mapping[str, Any]) -> tuple[float, float]:
    cpu = memory = 0.0
    for container in pod_spec.get("containers") or []:
        requests = lookup(container, "resources.requests", {}) or {}
        if "cpu" in requests:
            cpu += float(parse_quantity(str(requests["cpu"])))
        if "memory" in requests:
            memory += float(parse_quantity(str(requests["memory"]))) / 2**30
    return cpu, memory


def _tolerated(tolerations: Sequence[Mapping[str, Any]]) -> frozenset[str] | None:
    """The taint keys tolerated; None when a key-less `Exists` toleration tolerates everything."""
    if any(not t.get("key") and t.get("operator") == "Exists" for t in tolerations):
        return None
    return frozenset(t.get("key") for t in tolerations if t.get("key"))


def addon_groups(ctx: PricingContext) -> list[PodGroup]:
    """The add-ons' pods from the values the program passes each Helm release: replicas
    (`replicaCount` or `replicas`, the two spellings the pinned charts use; 1 when unset, the
    charts' default), `resources.requests`, `nodeSelector` and `tolerations`. A release whose
    values set no requests is left out (its chart's defaults are not read here), so what the
    system pool shows as requested is what the program asks for."""
    groups = []
    for release in ctx.of_type(HELM_RELEASE):
        values = release.inputs.get("values") or {}
        # Karpenter's chart keeps its container's resources under `controller.resources`.
        requests = (
            lookup(values, "resources.requests", {})
            or lookup(values, "controller.resources.requests", {})
            or {}
        )
        if not requests:
            continue
        key = "replicaCount" if "replicaCount" in values else "replicas"
        replicas = int(values.get(key) or 1)
        selector = values.get("nodeSelector") or {}
        tolerated = _tolerated(values.get("tolerations") or [])
        cpu, memory = _requests({"containers": [{"resources": {"requests": requests}}]})
        groups.append(
            PodGroup(
                resource=release,
                replicas=replicas,
                cpu=cpu,
                memory_gib=memory,
                pool_selector=selector.get(POOL_LABEL),
                capacity_selector=selector.get(CAPACITY_LABEL),
                tolerated=tolerated,
                replicas_note=f"values.{key}" if key in values else "chart default",
            )
        )
    return groups


def _metadata_key(resource: Resource) -> tuple[str, str]:
    metadata = resource.inputs.get("metadata") or {}
    return metadata.get("namespace") or "default", metadata.get("name") or resource.name


def pod_groups(ctx: PricingContext, *, at_peak: bool = False) -> list[PodGroup]:
    """Deployments with their replica count: the HPA's `minReplicas` (or `maxReplicas` when
    `at_peak`, the naive fixed-size posture), else `spec.replicas` (default 1)."""
    scalers: dict[tuple[str, str], Mapping[str, Any]] = {}
    for hpa in ctx.of_type(*HPA_TYPES):
        namespace, _ = _metadata_key(hpa)
        target = lookup(hpa.inputs, "spec.scaleTargetRef", {}) or {}
        if target.get("kind") == "Deployment":
            scalers[(namespace, target.get("name"))] = hpa.inputs.get("spec") or {}
    groups = []
    for deployment in ctx.of_type(DEPLOYMENT):
        spec = deployment.inputs.get("spec") or {}
        pod_spec = lookup(spec, "template.spec", {}) or {}
        scaler = scalers.get(_metadata_key(deployment))
        if scaler is not None:
            key = "maxReplicas" if at_peak else "minReplicas"
            replicas, note = int(scaler.get(key) or scaler.get("minReplicas") or 1), f"HPA {key}"
        else:
            replicas, note = int(spec.get("replicas", 1)), "spec.replicas"
        cpu, memory = _requests(pod_spec)
        selector = pod_spec.get("nodeSelector") or {}
        tolerations = pod_spec.get("tolerations") or []
        node_affinity = lookup(pod_spec, "affinity.nodeAffinity", {}) or {}
        required_terms = tuple(
            lookup(node_affinity, "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", []) or []
        )
        preferred_terms = tuple(node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
        tolerated = _tolerated(tolerations)
        groups.append(
            PodGroup(
                resource=deployment,
                replicas=replicas,
                cpu=cpu,
                memory_gib=memory,
                pool_selector=selector.get(POOL_LABEL),
                capacity_selector=selector.get(CAPACITY_LABEL),
                tolerated=tolerated,
                required_terms=required_terms,
                preferred_terms=preferred_terms,
                replicas_note=note,
            )
        )
    return groups + addon_groups(ctx)
