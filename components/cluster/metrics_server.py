"""metrics-server: the resource metrics API the services' HorizontalPodAutoscalers read."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.addon_compatibility import KubernetesSupport
from components.cluster.addon_security import container_security_context, pod_security_context
from components.nodes.placement import system_pod_placement

CHART = "metrics-server"
CHART_REPOSITORY = "https://kubernetes-sigs.github.io/metrics-server/"
CHART_VERSION = "3.13.1"
"""kubernetes-sigs/metrics-server charts/metrics-server/Chart.yaml @5ed5d3a (2026-08-04):
version 3.13.1, appVersion 0.8.1; the newest chart and release (no 0.9 tag yet)."""
KUBERNETES_SUPPORT = KubernetesSupport(
    addon="metrics-server 0.8.1 (chart 3.13.1)",
    minimum="1.31",
    tested_through=None,
    statement='README "Compatibility Matrix": 0.8.x, metrics.k8s.io/v1beta1, Kubernetes 1.31+',
    source="kubernetes-sigs/metrics-server README.md @5ed5d3a (2026-08-04)",
)
POD_SECURITY_CONTEXT_KEY = "podSecurityContext"
CONTAINER_SECURITY_CONTEXT_KEY = "securityContext"
"""Chart 3.13.1 templates/deployment.yaml: `with .Values.podSecurityContext` is the pod's
securityContext, `with .Values.securityContext` the container's. The chart's own container
default is already hardened but runs as UID 1000 (values.yaml), below 10000; the whole context is
passed so none of it rests on the default. It writes its self-signed serving certificate to the
`tmp` emptyDir (`--cert-dir=/tmp`), so the root filesystem stays read-only."""
NAMESPACE = "kube-system"


def metrics_server_values(replicas: int) -> dict:
    """Helm values: on the system pool, a PDB that still lets a single replica's node drain."""
    placement = system_pod_placement()
    return {
        "replicas": replicas,
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "priorityClassName": "system-cluster-critical",
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "metrics-server"}},
            }
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}},
        POD_SECURITY_CONTEXT_KEY: pod_security_context(),
        CONTAINER_SECURITY_CONTEXT_KEY: container_security_context(),
    }


@dataclass(frozen=True, kw_only=True)
class MetricsServerArgs:
    """Inputs of `MetricsServer`."""

    replicas: int = 1
    """metrics-server pods. Default 1; two keep HPAs working through a system-node drain."""


class MetricsServer(pulumi.ComponentResource):
    """metrics-server from its official chart (version pinned) on the system pool. Needs a
    Kubernetes provider in `opts.providers`."""

    def __init__(self, name: str, args: MetricsServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cluster:MetricsServer", name, None, opts)
        k8s.helm.v3.Release(
            f"{name}-release",
            name="metrics-server",
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=NAMESPACE,
            values=metrics_server_values(args.replicas),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
