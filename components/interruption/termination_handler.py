"""The AWS Node Termination Handler (NTH) as this platform runs it: chart, values, permissions.

Queue-processor mode: one Deployment on the system pool reads the interruption queue and
cordons and drains the named node. Facts cited from the chart at
https://github.com/aws/aws-node-termination-handler/tree/v1.25.6/config/helm/aws-node-termination-handler
(values.yaml, templates/deployment.yaml, templates/pdb.yaml) and its README.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.cluster.addon_compatibility import KubernetesSupport
from components.cluster.addon_security import container_security_context, pod_security_context
from components.interruption.drain_budget import DrainBudget
from components.nodes.placement import system_pod_placement

CHART = "oci://public.ecr.aws/aws-ec2/helm/aws-node-termination-handler"
"""The official chart; aws/eks-charts dropped its copy in favour of this one (eks-charts #1155)."""
CHART_VERSION = "0.27.6"
"""Chart 0.27.6 = NTH v1.25.6 (config/helm/aws-node-termination-handler/Chart.yaml at tag v1.25.6),
the newest release (the only later tags are v2.0.0-alpha and -beta)."""
KUBERNETES_SUPPORT = KubernetesSupport(
    addon="AWS Node Termination Handler v1.25.6 (chart 0.27.6)",
    minimum="1.29",
    tested_through="1.32",
    statement='README "Kubernetes Compatibility": v1.25.6 tested with 1.29-1.32; "A ❌ indicates '
    'that a specific release has not been tested with a specific Kubernetes version"',
    source="aws/aws-node-termination-handler README.md at v1.25.6",
    untested_accepted_because="no release is tested beyond 1.32 (v1.25.6 is the newest, and its matrix "
    "is unchanged on the default branch @62a8761); its ClusterRole asks only for core/v1 nodes, "
    "pods, pods/eviction and events and apps daemonsets (templates/clusterrole.yaml), all GA APIs",
)

POD_SECURITY_CONTEXT_KEY = "podSecurityContext"
CONTAINER_SECURITY_CONTEXT_KEY = "securityContext"
"""templates/deployment.yaml at v1.25.6: `with .Values.podSecurityContext` is the pod's
securityContext, `with .Values.securityContext` the container's. The chart's defaults run as UID
and fsGroup 1000 with no seccomp profile and no capability drop (values.yaml); queue-processor
mode needs no host access (the host network, /proc mounts and IMDS are the DaemonSet's, IMDS
mode only), so the whole hardened context applies."""

RELEASE_NAME = "aws-node-termination-handler"
"""Also the chart's fullname, hence the service account name (the release name contains the
chart name, templates/_helpers.tpl)."""
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = RELEASE_NAME

NTH_MANAGED_TAG = "aws-node-termination-handler/managed"
"""The instance tag NTH checks before draining (`checkTagBeforeDraining`, `managedTag`); its value
does not matter. Worker pools put it on their instances (`extra_instance_tags`); the EKS-managed
system pool must never carry it, since EKS drains those nodes itself."""

MANAGED_INSTANCE_TAGS = {NTH_MANAGED_TAG: "true"}
"""What a self-managed worker group propagates to its instances so NTH handles them."""

WEBHOOK_SECRET_KEY = "webhookurl"
"""The key the chart reads from `webhookURLSecretName` (templates/deployment.yaml)."""

METRICS_PORT = 9092
"""The chart's `prometheusServerPort` default; NTH serves `/metrics` there."""

REPLICAS = 2
"""Two handlers, so one survives a system-node drain; the chart renders the PDB only above one
replica. Both consume the queue greedily, so a webhook may fire twice for one event (README,
"Single Instance vs Multiple Replicas")."""

PRIORITY_CLASS = "system-cluster-critical"
"""The built-in class for add-ons the cluster cannot work without: a pending handler means
nodes are reclaimed undrained."""

_POD_SELECTOR = {
    "app.kubernetes.io/name": RELEASE_NAME,
    "app.kubernetes.io/instance": RELEASE_NAME,
    "app.kubernetes.io/component": "deployment",
}


def handler_values(
    *,
    queue_url: str,
    region: str,
    role_arn: str,
    budget: DrainBudget,
    webhook_secret_name: str | None = None,
) -> dict:
    """Helm values for queue-processor mode. The webhook URL itself never appears here: the chart
    reads it from a Kubernetes Secret by name."""
    placement = system_pod_placement()
    values = {
        "enableSqsTerminationDraining": True,
        "queueURL": queue_url,
        "awsRegion": region,
        # Only instances carrying the tag are drained; everything else is deleted from the queue.
        "checkTagBeforeDraining": True,
        "managedTag": NTH_MANAGED_TAG,
        # Events for instances of another stack in the same account (tagged, but not nodes of this
        # cluster) are deleted rather than redelivered until they expire and trip the age alarm.
        "deleteSqsMsgIfNodeNotFound": True,
        "nodeTerminationGracePeriod": budget.node_drain_seconds,
        "podTerminationGracePeriod": budget.pod_grace_seconds,
        "emitKubernetesEvents": True,
        "enablePrometheusServer": True,
        "prometheusServerPort": METRICS_PORT,
        "jsonLogging": True,
        "replicas": REPLICAS,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "priorityClassName": PRIORITY_CLASS,
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": dict(_POD_SELECTOR)},
            }
        ],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"memory": "128Mi"},
        },
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        # PodSecurityPolicy is gone since Kubernetes 1.25.
        "rbac": {"create": True, "pspEnabled": False},
        POD_SECURITY_CONTEXT_KEY: pod_security_context(),
        CONTAINER_SECURITY_CONTEXT_KEY: container_security_context(),
    }
    if webhook_secret_name:
        values["webhookURLSecretName"] = webhook_secret_name
    return values


def handler_policy(queue_arn: str, asg_arns: Sequence[str]) -> dict:
    """Least privilege for queue-processor mode: consume this queue, look up instances and groups
    (Describe calls have no resource-level permissions), and complete or extend lifecycle actions
    of this cluster's groups only."""
    statements: list[dict] = [
        {
            "Sid": "ConsumeInterruptionQueue",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        },
        {
            "Sid": "DescribeInstancesAndGroups",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeTags",
                "ec2:DescribeInstances",
            ],
            "Resource": "*",
        },
    ]
    if asg_arns:
        statements.append(
            {
                "Sid": "CompleteLifecycleOfClusterGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:CompleteLifecycleAction",
                    "autoscaling:RecordLifecycleActionHeartbeat",
                ],
                "Resource": sorted(asg_arns),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
