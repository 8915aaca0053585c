"""The AWS Load Balancer Controller: turns the services' Ingresses into ALBs, including the
weighted forward actions of A/B experiments."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.addon_compatibility import KubernetesSupport
from components.addon_security import container_security_context, pod_security_context
from components.load_balancer_controller_policy import controller_policy
from components.placement import system_pod_placement
from components.workload_role import WorkloadRole, WorkloadRoleArgs

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
# aws/eks-charts stable/aws-load-balancer-controller/Chart.yaml @ 5239609242f3 (2026-08-03):
# version 3.5.0, appVersion v3.5.0.
CHART_VERSION = "3.5.0"
KUBERNETES_SUPPORT = KubernetesSupport(
    addon="AWS Load Balancer Controller v3.5.0 (chart 3.5.0), the newest release",
    minimum="1.22",
    tested_through=None,
    statement='"Supported Kubernetes versions": v2.5.0+ requires Kubernetes 1.22+',
    source="kubernetes-sigs/aws-load-balancer-controller docs/deploy/installation.md at v3.5.0",
)
POD_SECURITY_CONTEXT_KEY = "podSecurityContext"
CONTAINER_SECURITY_CONTEXT_KEY = "securityContext"
"""Chart 3.5.0 templates/deployment.yaml renders `.Values.podSecurityContext` whole as the pod's
securityContext and `.Values.securityContext` as the container's. Its defaults (values.yaml:
fsGroup 65534; read-only root, non-root, no escalation) set no UID, no seccomp profile and keep
the capabilities (their drop ALL is commented out); the webhook listens on 9443 and reads its
certificate from a Secret volume, so the full hardened context applies."""
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
INGRESS_CLASS = "alb"


def controller_values(
    *, cluster_name: object, region: str, vpc_id: object, role_arn: object, replicas: int
) -> dict:
    """Chart values (keys from the chart's values.yaml at 3.5.0). Values may hold Outputs."""
    placement = system_pod_placement()
    values = {
        "clusterName": cluster_name,
        # Pods cannot reach instance metadata (IMDSv2, hop limit 1), so region and VPC are given.
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": replicas,
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            # The controller watches the API server, so it needs its token.
            "automountServiceAccountToken": True,
        },
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": CHART}},
            }
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        POD_SECURITY_CONTEXT_KEY: pod_security_context(),
        CONTAINER_SECURITY_CONTEXT_KEY: container_security_context(),
        # The chart renders the PDB only with more than one replica.
        "podDisruptionBudget": {"maxUnavailable": 1},
        "ingressClass": INGRESS_CLASS,
        "createIngressClassResource": True,
        "defaultTargetType": "ip",
        # The mutating webhook would make the controller the default for every Service of type
        # LoadBalancer, failing Service creation cluster-wide while it is down; none is used.
        "enableServiceMutatorWebhook": False,
        # Integrations the role is not granted (see load_balancer_controller_policy).
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
    }
    return values


@dataclass(frozen=True, kw_only=True)
class LoadBalancerControllerArgs:
    """Inputs of `LoadBalancerController`."""

    kubernetes_provider: k8s.Provider
    """Provider of the cluster. Required."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider. Required."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL. Required."""
    cluster_name: pulumi.Input[str]
    """EKS cluster name (the controller tags what it creates with it). Required."""
    vpc_id: pulumi.Input[str]
    """The cluster's VPC. Required."""
    region: str
    """AWS region. Required."""
    account_id: str
    """AWS account, to scope the policy's ARNs. Required."""
    partition: str = "aws"
    """AWS partition. Default `aws`."""
    replicas: int = 2
    """Controller replicas (leader election; the second takes over at once). Default 2."""


class LoadBalancerController(pulumi.ComponentResource):
    """Creates the controller's IRSA role (least-privilege policy from
    `load_balancer_controller_policy`) and its Helm release from the official chart, pinned, on
    the system pool, with a PodDisruptionBudget and the `alb` IngressClass."""

    role_arn: pulumi.Output[str]
    ingress_class: str

    def __init__(self, name: str, args: LoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:services:LoadBalancerController", name, None, opts)
        if args.replicas < 2:
            raise ValueError("the controller serves admission webhooks; run at least 2 replicas")
        role = WorkloadRole(
            f"{name}-role",
            WorkloadRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                inline_policies={
                    "controller": pulumi.Output.from_input(args.vpc_id).apply(
                        lambda vpc_id: json.dumps(controller_policy(args.partition, args.region, args.account_id, vpc_id))
                    )
                },
                description="AWS Load Balancer Controller",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=NAMESPACE,
            values=controller_values(
                cluster_name=args.cluster_name,
                region=args.region,
                vpc_id=args.vpc_id,
                role_arn=role.role_arn,
                replicas=args.replicas,
            ),
            atomic=True,
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider),
        )
        self.role_arn = role.role_arn
        self.ingress_class = INGRESS_CLASS
        self.register_outputs({"role_arn": self.role_arn, "ingress_class": self.ingress_class})
