"""The AWS Load Balancer Controller: turns the services' Ingresses into ALBs, including the
weighted forward actions of A/B experiments."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.addon_compatibility import KubernetesSupport
from components.cluster.addon_security import container_security_context, pod_security_context
from components.cluster.workload_role import WorkloadRole, WorkloadRoleArgs
from components.edge.load_balancer_controller_policy import controller_policy
from components.nodes.placement import system_pod_placement
from components.services.service_spec import READINESS_GATE_INJECT_LABEL

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
INGRESS_GROUP = "ml-platform-public"
"""The one IngressGroup (one internet-facing ALB) of every exposed service."""
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace to its name; nobody can set it to another one."""


def load_balancer_attributes(
    *, deletion_protection: bool, access_log_bucket: object | None, access_log_prefix: str
) -> dict[str, object]:
    """The shared ALB's attributes (ELBv2 `LoadBalancerAttribute` keys): headers that are not
    valid HTTP are dropped before they reach a service, access logs go to the stack's bucket
    when given, and deletion protection as configured. `access_log_bucket` may be an Output."""
    attributes: dict[str, object] = {
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "deletion_protection.enabled": "true" if deletion_protection else "false",
        "access_logs.s3.enabled": "true" if access_log_bucket is not None else "false",
    }
    if access_log_bucket is not None:
        attributes["access_logs.s3.bucket"] = access_log_bucket
        attributes["access_logs.s3.prefix"] = access_log_prefix
    return attributes


def ingress_class_params_spec(
    *, group: str, member_namespaces: Sequence[str], attributes: Mapping[str, object]
) -> dict:
    """The `alb` IngressClass's parameters (IngressClassParams, elbv2.k8s.aws/v1beta1; fields
    from the CRD the chart ships at 3.5.0, validated in tests): every Ingress of the class joins
    `group` on one internet-facing ALB, whatever its annotations say; the controller refuses to
    reconcile an Ingress outside `member_namespaces` (v3.5.0 docs/guide/ingress/ingress_class.md,
    spec.namespaceSelector, spec.group, spec.scheme); and the ALB's attributes are set here, once
    for the whole group, instead of by an annotation that every member would have to repeat
    identically (spec.loadBalancerAttributes). No member namespace selects none: a selector with
    `In` needs values, and an absent selector would admit every namespace."""
    if member_namespaces:
        requirement = {"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": sorted(member_namespaces)}
    else:
        requirement = {"key": NAMESPACE_NAME_LABEL, "operator": "DoesNotExist"}
    return {
        "namespaceSelector": {"matchExpressions": [requirement]},
        "group": {"name": group},
        "scheme": "internet-facing",
        "loadBalancerAttributes": [{"key": key, "value": value} for key, value in attributes.items()],
    }


def controller_values(
    *,
    cluster_name: object,
    region: str,
    vpc_id: object,
    role_arn: object,
    replicas: int,
    ingress_class_params: dict | None = None,
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
        # The chart renders the IngressClassParams before the IngressClass that names it
        # (templates/ingressclass.yaml, one List), from the CRD it installs (crds/crds.yaml).
        "ingressClassParams": {"create": True, "name": INGRESS_CLASS, "spec": ingress_class_params or {}},
        "defaultTargetType": "ip",
        # The mutating webhook would make the controller the default for every Service of type
        # LoadBalancer, failing Service creation cluster-wide while it is down; none is used.
        "enableServiceMutatorWebhook": False,
        # The pod webhook injects the target-health readiness gates. The controller's guidance is
        # `Fail` with an explicit object selector (v3.5.0 docs/deploy/pod_readiness_gate.md,
        # "FailurePolicy", "Recommended settings"; the chart defaults to Ignore since v2.11.1):
        # with Ignore, a pod created while the controller is down has no gate, and a rollout can
        # retire old pods before the new ones are healthy in the target group. The selector
        # limits the webhook to the pods of exposed services, which carry the label.
        "podMutatorWebhookConfig": {"failurePolicy": "Fail"},
        "objectSelector": {"matchLabels": {READINESS_GATE_INJECT_LABEL: "enabled"}},
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
    ingress_group: str = INGRESS_GROUP
    """The IngressGroup every Ingress of the `alb` class joins. Default `ml-platform-public`."""
    member_namespaces: Sequence[str] = ()
    """The only namespaces whose Ingresses the controller reconciles into the group (the exposed
    services'). Default none: no Ingress is reconciled."""
    load_balancer_attributes: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """The ALB's attributes (see `load_balancer_attributes`); values may be Outputs. Default none."""


class LoadBalancerController(pulumi.ComponentResource):
    """Creates the controller's IRSA role (least-privilege policy from
    `load_balancer_controller_policy`) and its Helm release from the official chart, pinned, on
    the system pool, with a PodDisruptionBudget, the `alb` IngressClass and its
    IngressClassParams (group, member namespaces, scheme and ALB attributes), and a pod webhook
    that fails closed for the pods of exposed services."""

    role_arn: pulumi.Output[str]
    ingress_class: str

    def __init__(self, name: str, args: LoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:edge:LoadBalancerController", name, None, opts)
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
                ingress_class_params=ingress_class_params_spec(
                    group=args.ingress_group,
                    member_namespaces=args.member_namespaces,
                    attributes=args.load_balancer_attributes,
                ),
            ),
            atomic=True,
            opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider),
        )
        self.role_arn = role.role_arn
        self.ingress_class = INGRESS_CLASS
        self.register_outputs({"role_arn": self.role_arn, "ingress_class": self.ingress_class})
