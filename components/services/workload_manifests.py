"""The objects that run one ML service, as plain dictionaries: its namespace and
ServiceAccount, and per variant the Deployment (locked-down pod, right-sized requests,
probes, zone spread, placement), Service, HorizontalPodAutoscaler and PodDisruptionBudget.
"""

from __future__ import annotations

import math
from typing import Any

from components.nodes.placement import service_pod_placement
from components.services.service_spec import (
    NAME_LABEL,
    PORT_NAME,
    READINESS_GATE_INJECT_LABEL,
    ServiceSpec,
    Variant,
    common_labels,
    object_metadata,
    selector_labels,
    workload_name,
)

CONTAINER_NAME = "app"
SERVICE_PORT = 80
RUN_AS_ID = 10001
"""UID/GID the container runs as: non-root and above 10000, so it never maps to a host account
(checkov CKV_K8S_40)."""
SCRATCH_MIB = 64
"""Size limit of the `/tmp` emptyDir that makes a read-only root filesystem livable."""


# --- namespace and identity ---------------------------------------------------------------------


def namespace_manifest(spec: ServiceSpec) -> dict:
    """One namespace per service: its own deny-by-default policies, IRSA trust scoped to it, and
    the `restricted` Pod Security Standard enforced by the API server on top of our own checks."""
    labels = {
        **common_labels(spec),
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }
    if spec.exposed != "none":
        # The controller holds a rollout until the new pod is healthy in the target group
        # (pod readiness gate), so an ALB never routes to a pod that is not registered yet.
        labels[READINESS_GATE_INJECT_LABEL] = "enabled"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": spec.namespace, "labels": labels}}


def service_account_manifest(spec: ServiceSpec, role_arn: Any) -> dict:
    """The pods' identity. The Kubernetes API token is not mounted: the services never call the
    API server. IRSA does not need it either: the EKS pod identity webhook injects its own
    projected `aws-iam-token` volume (audience `sts.amazonaws.com`) for any pod whose service
    account carries the role annotation, whatever `automountServiceAccountToken` says
    (https://docs.aws.amazon.com/eks/latest/userguide/pod-configuration.html,
    github.com/aws/amazon-eks-pod-identity-webhook)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_metadata(spec, spec.name, annotations={"eks.amazonaws.com/role-arn": role_arn}),
        "automountServiceAccountToken": False,
    }


# --- the workload -------------------------------------------------------------------------------


def has_autoscaler(spec: ServiceSpec) -> bool:
    """A service scaled to zero has no HPA: autoscaling/v2 needs minReplicas >= 1 unless the
    alpha HPAScaleToZero gate is on, and an HPA does not act on a Deployment at zero anyway."""
    return spec.replicas_min >= 1


def pod_security_context() -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_ID,
        "runAsGroup": RUN_AS_ID,
        "fsGroup": RUN_AS_ID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_ID,
        "runAsGroup": RUN_AS_ID,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_resources(spec: ServiceSpec) -> dict:
    requests = {"cpu": f"{spec.cpu_millicores}m", "memory": f"{spec.memory_mib}Mi"}
    limits = {"memory": f"{spec.memory_limit_mib}Mi"}
    if spec.cpu_limit_millicores is not None:
        limits["cpu"] = f"{spec.cpu_limit_millicores}m"
    return {"requests": requests, "limits": limits}


def probes(spec: ServiceSpec) -> dict:
    period = 5
    return {
        "startupProbe": {
            "httpGet": {"path": spec.liveness_path, "port": PORT_NAME},
            "periodSeconds": period,
            "failureThreshold": max(1, math.ceil(spec.startup_seconds / period)),
        },
        "readinessProbe": {
            "httpGet": {"path": spec.readiness_path, "port": PORT_NAME},
            "periodSeconds": period,
            "failureThreshold": 2,
        },
        "livenessProbe": {
            "httpGet": {"path": spec.liveness_path, "port": PORT_NAME},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
    }


def topology_spread(spec: ServiceSpec, variant: Variant) -> list[dict]:
    """Zones strictly (one zone lost takes at most ceil(n/zones) pods: what the PDB floor
    assumes), nodes as best effort (a hard rule would strand pods when the autoscaler is slower
    than the scheduler). `matchLabelKeys` spreads each rollout's pods on their own.

    `minDomains` is the cluster's zone count: while fewer zones have an eligible node, the
    scheduler takes the global minimum as 0, so it puts at most `maxSkew` (1) pod in each
    present zone and leaves the rest pending for the autoscaler to add a node in the missing
    zone. Without it, a zone with no eligible node simply does not count, the pods pack 2+1 in
    the others, and the PDB floor (which assumes ceil(n/zones) per zone) blocks the drain of the
    node holding two. `minDomains` is only allowed with `DoNotSchedule` (Kubernetes API,
    TopologySpreadConstraint; stable since 1.30)."""
    selector = {"matchLabels": selector_labels(spec, variant)}
    return [
        {
            "maxSkew": 1,
            "minDomains": spec.zone_count,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": selector,
            "matchLabelKeys": ["pod-template-hash"],
        },
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": selector,
            "matchLabelKeys": ["pod-template-hash"],
        },
    ]


def pod_labels(spec: ServiceSpec, variant: Variant) -> dict[str, str]:
    """An exposed service's pods also carry the readiness-gate label: the controller's pod
    webhook selects exactly those (its object selector), so only they wait on it."""
    labels = common_labels(spec, variant)
    if spec.exposed != "none":
        labels[READINESS_GATE_INJECT_LABEL] = "enabled"
    return labels


def deployment_manifest(spec: ServiceSpec, variant: Variant, image: Any) -> dict:
    """The Deployment of one variant. `image` is the pinned reference (a string, or an Output
    of one built from the ECR repository URL)."""
    placement = service_pod_placement(spec.capacity)
    env = [{"name": "PORT", "value": str(spec.port)}]
    if variant.name:
        env.append({"name": "ML_PLATFORM_VARIANT", "value": variant.name})
    env += [{"name": key, "value": value} for key, value in sorted(spec.environment.items())]
    container = {
        "name": CONTAINER_NAME,
        "image": image,
        # With a digest the pull is a cheap manifest check; `Always` also re-checks the
        # registry's authorisation on every start (checkov CKV_K8S_15).
        "imagePullPolicy": "Always",
        "ports": [{"name": PORT_NAME, "containerPort": spec.port, "protocol": "TCP"}],
        "env": env,
        "resources": container_resources(spec),
        **probes(spec),
        # The `sleep` handler is built into the kubelet (stable since Kubernetes 1.34, KEP-3960),
        # so distroless images without a shell can wait for endpoints to be withdrawn.
        "lifecycle": {"preStop": {"sleep": {"seconds": spec.pre_stop_seconds}}},
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    pod_spec = {
        "serviceAccountName": spec.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": spec.termination_grace_seconds,
        "securityContext": pod_security_context(),
        "affinity": placement["affinity"],
        "tolerations": placement["tolerations"],
        "topologySpreadConstraints": topology_spread(spec, variant),
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": f"{SCRATCH_MIB}Mi"}}],
    }
    if spec.priority_class_name:
        pod_spec["priorityClassName"] = spec.priority_class_name
    deployment_spec: dict = {
        "selector": {"matchLabels": selector_labels(spec, variant)},
        "revisionHistoryLimit": 3,
        # Surge, never dip: a rollout does not take the service below its floor.
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {"metadata": {"labels": pod_labels(spec, variant)}, "spec": pod_spec},
    }
    if not has_autoscaler(spec):
        # Scaled to zero. With an HPA, `replicas` is left to it: a value here would be reset on
        # every deployment (Kubernetes docs, "Migrating Deployments to horizontal autoscaling").
        deployment_spec["replicas"] = 0
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_metadata(spec, workload_name(spec, variant), variant),
        "spec": deployment_spec,
    }


def service_manifest(spec: ServiceSpec, variant: Variant | None) -> dict:
    """ClusterIP Service of one variant, or (variant None) of all the service's pods, which is
    what in-cluster callers use."""
    if variant is None:
        name, selector = spec.name, {NAME_LABEL: spec.name}
    else:
        name, selector = workload_name(spec, variant), selector_labels(spec, variant)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_metadata(spec, name, variant),
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": PORT_NAME, "port": SERVICE_PORT, "targetPort": PORT_NAME, "protocol": "TCP"}],
        },
    }


def autoscaler_manifest(spec: ServiceSpec, variant: Variant) -> dict:
    name = workload_name(spec, variant)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": object_metadata(spec, name, variant),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": spec.replicas_min,
            "maxReplicas": spec.replicas_max,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": spec.target_cpu_percent}},
                }
            ],
            "behavior": {
                # Scale up at once, down slowly: a spike is short, a cold start is not.
                "scaleUp": {"stabilizationWindowSeconds": 0},
                "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
            },
        },
    }


def disruption_floor(replicas_min: int, zone_count: int) -> int:
    """Pods that stay up when one zone (hence any one node) is lost: the zone spread puts at
    most ceil(n / zones) of n pods in one zone. 0 for a single replica (dev)."""
    if replicas_min <= 1:
        return 0
    return replicas_min - math.ceil(replicas_min / zone_count)


def disruption_budget_manifest(spec: ServiceSpec, variant: Variant) -> dict:
    """Drains never take the service below its floor. A single replica may be evicted (dev), or
    a drain would hang until the spot notice runs out. Unhealthy pods are always evictable, so a
    crash-looping pod cannot block a node drain."""
    floor = disruption_floor(spec.replicas_min, spec.zone_count)
    budget: dict = {"minAvailable": floor} if floor >= 1 else {"maxUnavailable": 1}
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": object_metadata(spec, workload_name(spec, variant), variant),
        "spec": {
            **budget,
            "selector": {"matchLabels": selector_labels(spec, variant)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


# --- traffic ------------------------------------------------------------------------------------
