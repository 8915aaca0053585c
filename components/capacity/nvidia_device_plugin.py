"""The NVIDIA device plugin: advertises `nvidia.com/gpu` on the GPU pool's nodes."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.addon_compatibility import KubernetesSupport
from components.cluster.addon_security import container_security_context, pod_security_context
from components.nodes.placement import GPU_TAINT, POOL_LABEL, SPOT_TAINT, toleration_for

CHART = "nvidia-device-plugin"
CHART_REPOSITORY = "https://nvidia.github.io/k8s-device-plugin"
CHART_VERSION = "0.20.0"
"""NVIDIA/k8s-device-plugin tag v0.20.0 (1b826ac, 2026-08-19),
deployments/helm/nvidia-device-plugin/Chart.yaml: version 0.20.0, appVersion 0.20.0; the newest
release tag."""
KUBERNETES_SUPPORT = KubernetesSupport(
    addon="NVIDIA device plugin 0.20.0 (chart 0.20.0)",
    minimum="1.10",
    tested_through=None,
    statement='README "Prerequisites": Kubernetes version >= 1.10; Chart.yaml kubeVersion ">= 1.10.0-0"',
    source="NVIDIA/k8s-device-plugin README.md and deployments/helm/nvidia-device-plugin/Chart.yaml at v0.20.0",
)
POD_SECURITY_CONTEXT_KEY = "podSecurityContext"
CONTAINER_SECURITY_CONTEXT_KEY = "securityContext"
"""Chart 0.20.0 templates/daemonset-device-plugin.yml: `.Values.podSecurityContext` is the pod's
securityContext; the container's comes from `nvidia-device-plugin.securityContext`
(templates/_helpers.tpl), which renders `.Values.securityContext` whole when it is not empty
(and only otherwise its own default, drop ALL without escalation, for this MIG-less setup)."""
RUNS_AS_ROOT = ("runAsNonRoot", "runAsUser")
"""What the plugin cannot take: it must run as root. It registers with the kubelet by creating
its socket in the host's /var/lib/kubelet/device-plugins (a root-owned hostPath,
templates/daemonset-device-plugin.yml `kubelet-device-plugins-dir`) and writes CDI specs to the
host's /var/run/cdi (`cdi-root`, internal/cdi/cdi.go at v0.20.0). Everything else holds: with
every capability dropped root only writes where it owns the directory, and nothing is written
to the container's own root filesystem (the MPS /dev/shm and both directories are hostPath
mounts; read from the chart and source at v0.20.0, not yet run on a GPU node).

The chart also renders an MPS control daemon DaemonSet whenever the plugin is enabled, with
`privileged: true` written into the template (templates/daemonset-mps-control-daemon.yml), which
no value can change. It only schedules on nodes labelled `nvidia.com/mps.capable: "true"`
(same template), which nothing in the platform sets, so it runs no pod; checkov still counts it."""
NAMESPACE = "kube-system"


def device_plugin_values(gpu_pool: str) -> dict:
    """Helm values: the DaemonSet on the GPU pool's nodes only, whatever capacity they are.

    The chart's default affinity asks for Node Feature Discovery labels, which nothing in the
    platform sets (the chart's NFD dependency is off), so it is replaced by the pool label; its
    default tolerations are replaced by the two taints a GPU pool can carry (GPU, and spot when
    it buys spot). A DaemonSet that does not tolerate a node's taints never runs there."""
    return {
        "nodeSelector": {POOL_LABEL: gpu_pool},
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": [gpu_pool]}]}]
                }
            }
        },
        "tolerations": [toleration_for(GPU_TAINT), toleration_for(SPOT_TAINT)],
        "priorityClassName": "system-node-critical",
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        POD_SECURITY_CONTEXT_KEY: pod_security_context(as_root=True),
        CONTAINER_SECURITY_CONTEXT_KEY: container_security_context(as_root=True),
    }


@dataclass(frozen=True, kw_only=True)
class NvidiaDevicePluginArgs:
    """Inputs of `NvidiaDevicePlugin`."""

    gpu_pool: str = "gpu"
    """`POOL_LABEL` value of the GPU nodes. Default "gpu"."""


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin from its official chart (version pinned), on the GPU pool's
    nodes only. The EKS-optimized NVIDIA AMI carries the driver and container runtime, not the
    plugin; without it no node advertises `nvidia.com/gpu` and GPU pods stay pending. Needs a
    Kubernetes provider in `opts.providers`."""

    release_name: pulumi.Output[str]

    def __init__(self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:capacity:NvidiaDevicePlugin", name, None, opts)
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name="nvidia-device-plugin",
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=NAMESPACE,
            values=device_plugin_values(args.gpu_pool),
            # A DaemonSet on a pool scaled to zero is ready at once (no node wants a pod).
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release_name = release.name
        self.register_outputs({"release_name": self.release_name})
