"""What one ML service is, as plain values: its spec, its variants, the rules a spec must
satisfy, and the names and labels every one of its Kubernetes objects carries.

The objects themselves are built from a `ServiceSpec` by `workload_manifests`,
`ingress_manifests` and `network_policies`; `ml_service_manifests` lists them in apply order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from components.nodes.placement import ServiceCapacity

PART_OF = "ml-platform"
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
VARIANT_LABEL = "ml-platform.io/variant"
PORT_NAME = "http"
MUTABLE_TAGS = frozenset({"latest"})
READINESS_GATE_INJECT_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject"
"""On an exposed service's namespace and pods: the load balancer controller's pod webhook then
injects the target-health readiness gates (v3.5.0 docs/deploy/pod_readiness_gate.md)."""
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


def object_metadata(spec: ServiceSpec, name: str, variant: Variant | None = None, **extra: Any) -> dict:
    return {"name": name, "namespace": spec.namespace, "labels": common_labels(spec, variant), **extra}

