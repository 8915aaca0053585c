"""The Karpenter controller: its IRSA role and its two official charts (CRDs, controller).

Chart facts from aws/karpenter-provider-aws at tag v1.14.1 (commit bde00654): `charts/karpenter`
(values.yaml, templates/deployment.yaml, templates/poddisruptionbudget.yaml,
templates/_helpers.tpl) and `charts/karpenter-crd`. The release pipeline publishes both charts
with the tag's version (`hack/release/common.sh`, `publishHelmChart`), so chart 1.14.1 is
Karpenter 1.14.1, which supports Kubernetes 1.26 to 1.36
(`hack/docs/compatibilitymatrix_gen/compatibility.yaml` at that tag).

IRSA, not EKS Pod Identity: every other controller of the platform (VPC CNI, EBS CSI, load
balancer controller, termination handler, services) gets AWS credentials through the cluster's
OIDC provider and `WorkloadRole`; Pod Identity would add the eks-pod-identity-agent add-on (a
DaemonSet on every node, the system pool included) for this one controller, and Karpenter's
chart supports both equally (`serviceAccount.annotations`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.workload_role import WorkloadRole, WorkloadRoleArgs
from components.karpenter.karpenter_controller_policy import controller_policy
from components.nodes.node_role import NodeRole
from components.nodes.placement import POOL_LABEL, SYSTEM_POOL, SYSTEM_TAINT, toleration_for

CHART = "oci://public.ecr.aws/karpenter/karpenter"
CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd"
CHART_VERSION = "1.14.1"
"""Karpenter 1.14.1, the newest 1.14.x tag of aws/karpenter-provider-aws."""

KUBERNETES_RANGE = ((1, 26), (1, 36))
"""The Kubernetes minors Karpenter 1.14.x supports, both included
(`hack/docs/compatibilitymatrix_gen/compatibility.yaml` at tag v1.14.1)."""


def supports_kubernetes(minor_version: str) -> bool:
    major, minor = (int(part) for part in minor_version.split("."))
    return KUBERNETES_RANGE[0] <= (major, minor) <= KUBERNETES_RANGE[1]


RELEASE_NAME = "karpenter"
"""Also the chart's fullname, hence the service account's name (`karpenter.fullname`: the
release name contains the chart name)."""
CRD_RELEASE_NAME = "karpenter-crd"
NAMESPACE = "kube-system"
"""Where Karpenter's docs install it (KARPENTER_NAMESPACE=kube-system in getting-started)."""
SERVICE_ACCOUNT = RELEASE_NAME

CHART_CONTAINER_SECURITY_CONTEXT = {
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "capabilities": {"drop": ["ALL"]},
}
"""The controller container's securityContext as the chart writes it, not from values
(charts/karpenter/templates/deployment.yaml at v1.14.1); values add only `seccompProfile`,
`appArmorProfile` and `seLinuxOptions` under `controller.securityContext`."""

PRIORITY_CLASS = "system-cluster-critical"
"""A pending Karpenter means no node is launched or interrupted cleanly."""

CONTROLLER_RESOURCES = {
    "requests": {"cpu": "250m", "memory": "512Mi"},
    "limits": {"cpu": "1", "memory": "1Gi"},
}
"""Karpenter's getting-started guide requests and limits 1 CPU / 1 GiB (v1.14
`scripts/step08-apply-helm-chart.sh`); those limits are kept, but the requests are sized for this
platform's clusters (a handful of nodes, two or three NodePools) so the controller fits beside
the other add-ons on a 2 vCPU / 8 GiB system node without adding one."""


def controller_values(
    *, cluster_name: str, region: str, interruption_queue: str, role_arn: str, replicas: int
) -> dict:
    """Values for the karpenter chart: settings, IRSA, the system pool, hardening.

    The chart's container securityContext is already hardened and not overridable
    (templates/deployment.yaml: non-root uid 65532, read-only root, no privilege escalation,
    ALL capabilities dropped); the pod securityContext here restates the chart's seccomp default
    and adds runAsNonRoot. The chart's own affinity (never on a Karpenter node, one replica per
    host) and zone spread stay; the nodeSelector pins it to the system pool, whose taint it
    tolerates.
    """
    return {
        "replicas": replicas,
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": role_arn}},
        "podDisruptionBudget": {"name": RELEASE_NAME, "maxUnavailable": 1},
        "priorityClassName": PRIORITY_CLASS,
        "podSecurityContext": {
            "fsGroup": 65532,
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "nodeSelector": {"kubernetes.io/os": "linux", POOL_LABEL: SYSTEM_POOL},
        "tolerations": [toleration_for(SYSTEM_TAINT)],
        "controller": {
            # Karpenter takes its region from the SDK config, else from IMDS
            # (pkg/operator/operator.go at v1.14.1); IMDS is out of a pod's reach with hop
            # limit 1 on the system pool, so the region is stated.
            "env": [{"name": "AWS_REGION", "value": region}],
            "resources": CONTROLLER_RESOURCES,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        },
        "settings": {
            "clusterName": cluster_name,
            # Empty turns interruption handling off (values.yaml, settings.interruptionQueue).
            "interruptionQueue": interruption_queue,
            # Spot-to-spot consolidation stays off (ALPHA in 1.14, values.yaml featureGates):
            # with it off, Karpenter consolidates spot nodes only by deleting them, never by
            # replacing one spot node with a cheaper one, so consolidation adds no interruptions.
            "featureGates": {"spotToSpotConsolidation": False},
            # `minValues` on the spot pools' instance types (4) is honoured whenever capacity
            # allows and relaxed, not failed, when fewer types have spot capacity: `Strict`
            # would leave `capacity: spot` services pending (v1.14 docs, concepts/nodepools.md,
            # minValues). The floor of listed types is enforced in config and by the policy pack.
            "minValuesPolicy": "BestEffort",
        },
    }


@dataclass(frozen=True, kw_only=True)
class KarpenterControllerArgs:
    """Inputs of `KarpenterController`."""

    cluster_name: str
    """The EKS cluster; scopes the IAM policy, is `settings.clusterName` and gets the node
    access entry (declare the controller with a dependency on the cluster)."""
    region: str
    """The cluster's region; scopes the IAM policy."""
    account_id: str
    """The AWS account; scopes instance profiles and the cluster ARN."""
    kubernetes_provider: k8s.Provider
    """The cluster's provider."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider, for IRSA."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL."""
    interruption_queue_name: pulumi.Input[str] | None = None
    """The interruption queue Karpenter consumes; None turns its interruption handling off.
    Default None."""
    interruption_queue_arn: pulumi.Input[str] | None = None
    """That queue's ARN, for the read grant. Default None."""
    replicas: int = 2
    """Controller pods (leader-elected; the chart puts each on its own node). Default 2."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What must exist before the node access entry and the controller (the cluster, whose
    system pool hosts it). Default none."""

    def problems(self) -> list[str]:
        found = []
        if (self.interruption_queue_name is None) != (self.interruption_queue_arn is None):
            found.append("interruption_queue_name and interruption_queue_arn go together")
        if self.replicas < 1:
            found.append("replicas must be at least 1")
        return found


class KarpenterController(pulumi.ComponentResource):
    """Karpenter's controller on the system pool, and the identity it gives its nodes.

    Creates:
    - the node role (kubelet and image pulls only, `NodeRole`) without an instance profile:
      Karpenter 1.x makes and tags one per EC2NodeClass from `spec.role` (v1.14 docs,
      concepts/nodeclasses.md, spec.role), and an `EC2_LINUX` access entry so its nodes join;
    - an IRSA role for `kube-system/karpenter` with `controller_policy` inline (tag-scoped to this
      cluster, the node role passable to EC2 only, the queue readable when given);
    - the `karpenter-crd` chart (NodePool, NodeClaim, EC2NodeClass, ... CRDs, upgraded with the
      chart, which Helm's `crds/` folder never is);
    - the `karpenter` chart without its `crds/` folder: `settings.clusterName`,
      `settings.interruptionQueue`, the given replicas with the chart's PDB (maxUnavailable 1),
      `system-cluster-critical`, on the system pool, hardened.
    """

    role_arn: pulumi.Output[str]
    node_role_name: pulumi.Output[str]
    node_access: aws.eks.AccessEntry
    """Nodes may join only once it exists; the EC2NodeClasses depend on it."""
    release: k8s.helm.v3.Release
    """The controller's release; NodePools and EC2NodeClasses depend on it, so they are deleted
    while the controller still runs and can terminate their nodes."""

    def __init__(
        self, name: str, args: KarpenterControllerArgs, opts: pulumi.ResourceOptions | None = None
    ):
        problems = args.problems()
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("mlplatform:karpenter:KarpenterController", name, None, opts)
        queue_arn = args.interruption_queue_arn
        node_role = NodeRole(
            f"{name}-node", instance_profile=False, opts=pulumi.ResourceOptions(parent=self)
        )
        self.node_access = aws.eks.AccessEntry(
            f"{name}-node-access",
            cluster_name=args.cluster_name,
            principal_arn=node_role.role_arn,
            type="EC2_LINUX",
            # The cluster name is a plain string here, so the wait for the cluster is explicit.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        role = WorkloadRole(
            f"{name}-controller",
            WorkloadRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                inline_policies={
                    "controller": pulumi.Output.all(node_role.role_arn, queue_arn).apply(
                        lambda values: json.dumps(
                            controller_policy(
                                cluster_name=args.cluster_name,
                                region=args.region,
                                account_id=args.account_id,
                                node_role_arn=values[0],
                                queue_arn=values[1],
                            )
                        )
                    )
                },
                description="Karpenter: launch, tag and terminate this cluster's nodes",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        crds = k8s.helm.v3.Release(
            f"{name}-crds",
            name=CRD_RELEASE_NAME,
            chart=CRD_CHART,
            version=CHART_VERSION,
            namespace=NAMESPACE,
            atomic=True,
            opts=on_cluster,
        )
        queue_name = pulumi.Output.from_input(args.interruption_queue_name or "")
        self.release = k8s.helm.v3.Release(
            f"{name}-controller",
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            namespace=NAMESPACE,
            skip_crds=True,
            values=pulumi.Output.all(queue_name, role.role_arn).apply(
                lambda values: controller_values(
                    cluster_name=args.cluster_name,
                    region=args.region,
                    interruption_queue=values[0],
                    role_arn=values[1],
                    replicas=args.replicas,
                )
            ),
            atomic=True,
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[crds, role, *args.depends_on])
            ),
        )
        self.role_arn = role.role_arn
        self.node_role_name = node_role.role_name
        self.register_outputs({"role_arn": self.role_arn, "node_role_name": self.node_role_name})
