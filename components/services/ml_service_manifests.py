"""The Kubernetes objects of one ML service, as plain dictionaries.

`MlService` only turns these into resources; everything a reviewer wants to read about a service
(security context, placement, probes, disruption budget, network policies, the A/B split) is
decided here and tested without the Pulumi runtime.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from components.capacity.placement import ServiceCapacity, service_pod_placement

PART_OF = "ml-platform"
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
VARIANT_LABEL = "ml-platform.io/variant"
CONTAINER_NAME = "app"
PORT_NAME = "http"
SERVICE_PORT = 80
RUN_AS_ID = 10001
"""UID/GID the container runs as: non-root and above 10000, so it never maps to a host account
(checkov CKV_K8S_40)."""
SCRATCH_MIB = 64
"""Size limit of the `/tmp` emptyDir that makes a read-only root filesystem livable."""
MUTABLE_TAGS = frozenset({"latest"})
ALB_ACTION_PREFIX = "alb.ingress.kubernetes.io/actions."
INGRESS_CLASS = "alb"
READINESS_GATE_INJECT_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject"
"""On an exposed service's namespace and pods: the load balancer controller's pod webhook then
injects the target-health readiness gates (v3.5.0 docs/deploy/pod_readiness_gate.md)."""
# ALB's TLS 1.3 policy (Elastic Load Balancing docs, "Security policies for your Application
# Load Balancer"): TLS 1.2 and 1.3 only.
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# The address every pod could otherwise reach for node credentials; pods use IRSA instead.
LINK_LOCAL = "169.254.0.0/16"
DEREGISTRATION_PROPAGATION_SECONDS = 10
"""Time from a pod turning Terminating to the ALB no longer sending it new requests: the endpoint
update, the load balancer controller's DeregisterTargets call and the ALB applying it (a few
seconds each; the EKS best practices guide, "Load balancing", advises a preStop sleep to cover
it). An exposed service's preStop delay must be at least this long."""


@dataclass(frozen=True, kw_only=True)
class Variant:
    """One Deployment of the service: the only one (`name=None`) or an arm of an A/B test."""

    name: str | None = None
    """Variant name; None for a service without an experiment. Default None."""
    digest: str | None = None
    """Image digest `sha256:...`. Default None (then `tag`)."""
    tag: str | None = None
    """Immutable release tag. Default None (then `digest`)."""
    weight: int = 100
    """Percent of load balancer traffic. Default 100."""

    def image(self, repository_url: str) -> str:
        return f"{repository_url}@{self.digest}" if self.digest else f"{repository_url}:{self.tag}"


@dataclass(frozen=True, kw_only=True)
class ServiceSpec:
    """A service's settings as plain values (the component never reads config)."""

    name: str
    """Service name: also its namespace, ServiceAccount and, without variants, Deployment name."""
    variants: tuple[Variant, ...]
    """One plain `Variant()` for a service without an experiment, else two or more named ones;
    none while no image has been pushed (the first deploy: no workload, see `has_workload`)."""
    port: int = 8080
    """Container port. Default 8080."""
    cpu_millicores: int = 100
    """CPU request. Default 100."""
    memory_mib: int = 256
    """Memory request. Default 256."""
    memory_limit_mib: int = 256
    """Memory limit. Default 256."""
    cpu_limit_millicores: int | None = None
    """CPU limit; default None (no CFS throttling: the request already guarantees the share)."""
    readiness_path: str = "/ready"
    """Readiness path, also the ALB health check. Default `/ready`."""
    liveness_path: str = "/healthz"
    """Liveness and startup path. Default `/healthz`."""
    startup_seconds: int = 60
    """Startup allowance before liveness applies. Default 60."""
    capacity: ServiceCapacity = "spot-preferred"
    """Pools the pods may use. Default `spot-preferred`."""
    priority_class_name: str = ""
    """Priority class of the pods. Default empty (the cluster default)."""
    replicas_min: int = 1
    """HPA minimum; 0 scales the service to zero (no pods, no HPA). Default 1."""
    replicas_max: int = 2
    """HPA maximum. Default 2."""
    target_cpu_percent: int = 70
    """HPA CPU target in percent of the request. Default 70."""
    exposed: Literal["public", "internal", "none"] = "none"
    """Load balancer exposure. Default `none`."""
    host: str | None = None
    """Host name of the Ingress rule (HTTPS, certificate discovered by host). Default None."""
    callers: tuple[str, ...] = ()
    """Services (namespace = name) allowed to call this one. Default none."""
    callees: Mapping[str, int] = field(default_factory=dict)
    """Services this one calls, with their Service port, for egress rules. Default none."""
    aws_api_egress: bool = False
    """Allow HTTPS egress to AWS APIs (STS for IRSA, S3, the search domain). Default False."""
    load_balancer_cidrs: tuple[str, ...] = ()
    """Subnets the ALB's interfaces live in: the only sources allowed in from outside the
    cluster, so they must hold nothing but load balancers (the public subnets for `public`;
    `internal` needs dedicated load balancer subnets, never the node/pod subnets). Default none."""
    zone_count: int = 2
    """Zones the cluster spans, for the disruption budget. Default 2."""
    termination_grace_seconds: int = 30
    """terminationGracePeriodSeconds. Default 30."""
    pre_stop_seconds: int = 15
    """preStop sleep: the pod keeps serving while the ALB deregisters it (at least
    `DEREGISTRATION_PROPAGATION_SECONDS` when exposed). Default 15."""
    environment: Mapping[str, Any] = field(default_factory=dict)
    """Extra environment variables (plain or Output values). Default none."""

    def __post_init__(self) -> None:
        problems = spec_problems(self)
        if problems:
            raise ValueError(f"service {self.name!r}: " + "; ".join(problems))

    @property
    def namespace(self) -> str:
        return self.name

    @property
    def has_experiment(self) -> bool:
        return any(variant.name for variant in self.variants)

    @property
    def has_workload(self) -> bool:
        """False on the first deploy, before an image is pushed: the pods would never pull, so
        there is no Deployment, Service, HPA, PDB or Ingress yet (and pulumi-kubernetes would
        wait for a Deployment that never becomes ready until its await times out)."""
        return bool(self.variants)


def spec_problems(spec: ServiceSpec) -> list[str]:
    """Rules checked on plain values before any resource is declared (the config layer refuses
    the same values earlier, with key paths)."""
    problems = []
    named = [variant for variant in spec.variants if variant.name]
    if named and (len(named) != len(spec.variants) or len(named) < 2):
        problems.append("an experiment needs two or more named variants and no unnamed one")
    if named and sum(variant.weight for variant in spec.variants) != 100:
        problems.append("variant weights must sum to 100")
    if named and spec.exposed == "none":
        problems.append("variants are split at the load balancer, so the service must be exposed")
    for variant in spec.variants:
        if bool(variant.digest) == bool(variant.tag):
            problems.append(f"variant {variant.name or spec.name}: set exactly one of digest and tag")
        if variant.tag and variant.tag.lower() in MUTABLE_TAGS:
            problems.append(f"variant {variant.name or spec.name}: tag `latest` is refused")
    if spec.replicas_min > spec.replicas_max:
        problems.append("replicas_min is above replicas_max")
    if spec.memory_limit_mib < spec.memory_mib:
        problems.append("the memory limit is below the request")
    if spec.exposed == "internal":
        # The `alb` class's IngressClassParams make every member of its group internet-facing;
        # an internal ALB would need a class of its own (and load balancer subnets of its own).
        problems.append("`internal` exposure has no IngressClass: the `alb` class is internet-facing")
    if spec.exposed != "none" and not spec.host:
        problems.append("an exposed service needs a host")
    if spec.pre_stop_seconds >= spec.termination_grace_seconds:
        problems.append("preStop must be shorter than the termination grace period")
    if spec.exposed != "none" and spec.pre_stop_seconds < DEREGISTRATION_PROPAGATION_SECONDS:
        problems.append(
            f"an exposed service's preStop must cover the load balancer's deregistration "
            f"({DEREGISTRATION_PROPAGATION_SECONDS}s or more)"
        )
    return problems


# --- names and labels ---------------------------------------------------------------------------


def workload_name(spec: ServiceSpec, variant: Variant) -> str:
    return f"{spec.name}-{variant.name}" if variant.name else spec.name


def selector_labels(spec: ServiceSpec, variant: Variant) -> dict[str, str]:
    return {NAME_LABEL: spec.name, INSTANCE_LABEL: workload_name(spec, variant)}


def common_labels(spec: ServiceSpec, variant: Variant | None = None) -> dict[str, str]:
    labels = {NAME_LABEL: spec.name, "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"}
    if variant is not None:
        labels[INSTANCE_LABEL] = workload_name(spec, variant)
        if variant.name:
            labels[VARIANT_LABEL] = variant.name
    return labels


def _metadata(spec: ServiceSpec, name: str, variant: Variant | None = None, **extra: Any) -> dict:
    return {"name": name, "namespace": spec.namespace, "labels": common_labels(spec, variant), **extra}


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
        "metadata": _metadata(spec, spec.name, annotations={"eks.amazonaws.com/role-arn": role_arn}),
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
        "metadata": _metadata(spec, workload_name(spec, variant), variant),
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
        "metadata": _metadata(spec, name, variant),
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
        "metadata": _metadata(spec, name, variant),
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
        "metadata": _metadata(spec, workload_name(spec, variant), variant),
        "spec": {
            **budget,
            "selector": {"matchLabels": selector_labels(spec, variant)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


# --- traffic ------------------------------------------------------------------------------------


def weighted_forward_action(spec: ServiceSpec) -> str:
    """The ALB forward action splitting traffic between the variants' Services by weight
    (AWS Load Balancer Controller annotation `actions.<name>`, forwardConfig.targetGroups)."""
    return json.dumps(
        {
            "type": "forward",
            "forwardConfig": {
                "targetGroups": [
                    {"serviceName": workload_name(spec, variant), "servicePort": PORT_NAME, "weight": variant.weight}
                    for variant in spec.variants
                ]
            },
        },
        separators=(",", ":"),
    )


def split_action_name(spec: ServiceSpec) -> str:
    return f"{spec.name}-split"


def deregistration_delay_seconds(spec: ServiceSpec) -> int:
    """How long the ALB keeps a deregistered target draining (in-flight requests finish, no new
    ones arrive): the time the app has after SIGTERM, grace less preStop. The controller
    deregisters the pod within its preStop delay, so draining ends by
    `terminationGracePeriodSeconds`, before the kubelet kills the pod; the ALB default (300 s)
    would keep a long-gone pod's address in the target group."""
    return spec.termination_grace_seconds - spec.pre_stop_seconds


def ingress_manifest(spec: ServiceSpec, certificate_arn: Any) -> dict:
    """The service's rule on the shared ALB (the `alb` class's IngressGroup): HTTPS only with a
    TLS 1.2+ policy and the host's certificate, pod IPs as targets (no extra node hop), the
    readiness path as health check, a deregistration delay that ends within the pods' grace
    period, and for an experiment the weighted forward action as backend.

    The certificate is named, not discovered: with `certificate-arn` the controller skips
    discovery (aws-load-balancer-controller v3.5.0 `docs/guide/ingress/cert_discovery.md`), and
    the Ingress can wait for the certificate's validation, so the listener is never built before
    the certificate is issued. In an IngressGroup the annotation's merge behaviour is `Merge`
    (`docs/guide/ingress/annotations.md`, the annotations table; "the remaining certificates will
    be added to the optional SNI certificate list"): each service's certificate joins the shared
    listener. `certificate_arn` is a string or an Output of one."""
    annotations = {
        "alb.ingress.kubernetes.io/certificate-arn": certificate_arn,
        # No scheme, group or load balancer attributes here: the `alb` class's IngressClassParams
        # set them for every member of the group (components/edge/load_balancer_controller.py).
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTPS": 443}], separators=(",", ":")),
        "alb.ingress.kubernetes.io/ssl-policy": SSL_POLICY,
        "alb.ingress.kubernetes.io/healthcheck-path": spec.readiness_path,
        "alb.ingress.kubernetes.io/healthcheck-port": "traffic-port",
        "alb.ingress.kubernetes.io/target-group-attributes": (
            f"deregistration_delay.timeout_seconds={deregistration_delay_seconds(spec)}"
        ),
    }
    if spec.has_experiment:
        action = split_action_name(spec)
        annotations[ALB_ACTION_PREFIX + action] = weighted_forward_action(spec)
        backend = {"service": {"name": action, "port": {"name": "use-annotation"}}}
    else:
        backend = {"service": {"name": spec.name, "port": {"name": PORT_NAME}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _metadata(spec, spec.name, annotations=annotations),
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            # No secret: the ALB terminates TLS with the ACM certificate annotated above.
            "tls": [{"hosts": [spec.host]}],
            "rules": [{"host": spec.host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
        },
    }


def _port(number: int) -> dict:
    return {"protocol": "TCP", "port": number}


def network_policy_manifests(spec: ServiceSpec) -> list[dict]:
    """Deny everything in the namespace, then allow exactly: DNS to CoreDNS; HTTP in from the
    load balancer's subnets (exposed services) and from declared callers; HTTP out to the
    services this one calls; HTTPS out to AWS APIs when the service holds an IAM role with
    statements (STS for IRSA, S3 through its gateway endpoint and the search domain have
    changing public or VPC addresses that a NetworkPolicy cannot name, so the rule is by port,
    with the link-local range excluded). Kubelet probes from the pod's own node are always
    allowed by NetworkPolicy semantics."""
    pods = {"matchLabels": {NAME_LABEL: spec.name}}

    def policy(name: str, body: dict) -> dict:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _metadata(spec, name),
            "spec": body,
        }

    policies = [
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy(
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]
    sources = []
    if spec.exposed != "none":
        sources += [{"ipBlock": {"cidr": cidr}} for cidr in spec.load_balancer_cidrs]
    sources += [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": caller}},
            "podSelector": {"matchLabels": {NAME_LABEL: caller}},
        }
        for caller in spec.callers
    ]
    if sources:
        policies.append(
            policy(
                "allow-ingress",
                {"podSelector": pods, "policyTypes": ["Ingress"], "ingress": [{"from": sources, "ports": [_port(spec.port)]}]},
            )
        )
    if spec.callees:
        policies.append(
            policy(
                "allow-callees",
                {
                    "podSelector": pods,
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": callee}},
                                    "podSelector": {"matchLabels": {NAME_LABEL: callee}},
                                }
                            ],
                            # Policies see the pod's port after the Service's DNAT.
                            "ports": [_port(port)],
                        }
                        for callee, port in sorted(spec.callees.items())
                    ],
                },
            )
        )
    if spec.aws_api_egress:
        policies.append(
            policy(
                "allow-aws-apis",
                {
                    "podSelector": pods,
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [LINK_LOCAL]}}], "ports": [_port(443)]}],
                },
            )
        )
    return policies


def service_manifests(spec: ServiceSpec, images: Sequence[Any], role_arn: Any, certificate_arn: Any = None) -> list[dict]:
    """Every object of the service, in apply order; `images[i]` is variant i's reference.
    Without a workload (no image yet) only the namespace, the ServiceAccount and the network
    policies, which callers' policies and the role's trust already name."""
    if spec.exposed != "none" and spec.has_workload and certificate_arn is None:
        raise ValueError(f"service {spec.name!r}: an exposed service needs its certificate ARN")
    objects = [namespace_manifest(spec), service_account_manifest(spec, role_arn)]
    for variant, image in zip(spec.variants, images, strict=True):
        objects.append(deployment_manifest(spec, variant, image))
        objects.append(service_manifest(spec, variant))
        if has_autoscaler(spec):
            objects.append(autoscaler_manifest(spec, variant))
        objects.append(disruption_budget_manifest(spec, variant))
    if spec.has_experiment:
        objects.append(service_manifest(spec, None))
    if spec.exposed != "none" and spec.has_workload:
        objects.append(ingress_manifest(spec, certificate_arn))
    objects += network_policy_manifests(spec)
    return objects
