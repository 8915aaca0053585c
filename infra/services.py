"""Wiring the ML services from `ml-platform:services`: settings → `ServiceSpec` → `MlService`.

Kept out of `infra/__main__.py` because it is one loop over config, the same for every service;
the program calls `declare_ml_services` once.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.priority_classes import (
    PRIORITY_CLASS_BY_SETTING,
    PriorityClasses,
    PriorityClassesArgs,
)
from components.services.ml_service import MlService, MlServiceArgs
from components.services.ml_service_access import model_read_statement, search_read_statement
from components.services.service_spec import ServiceSpec, Variant
from infra.settings import NAMESPACE, PlatformSettings
from infra.settings.services import ServiceSettings
from infra.tags import SERVICE_TAG_KEY


def pending_images(settings: PlatformSettings) -> list[str]:
    """One line per service whose stack file pins no image yet: what the first deploy declares
    for it and the steps that deploy the workload."""
    notices = []
    for name, service in settings.services.items():
        if not service.awaiting_image:
            continue
        key = f"{NAMESPACE}:services.{name}." + (
            f"variants.<{'|'.join(service.variants)}>.digest" if service.variants else "image.digest"
        )
        notices.append(
            f"service {name}: no image digest yet: repository {service.image.repository} and role declared, "
            f"workload not deployed; push the image, pin {key}, run pulumi up again"
        )
    return notices


def exposed_namespaces(settings: PlatformSettings) -> list[str]:
    """The namespaces (one per service, named after it) whose Ingresses may join the shared ALB."""
    return sorted(name for name, service in settings.services.items() if service.exposed != "none")


def callees_of(name: str, services: dict[str, ServiceSettings]) -> dict[str, int]:
    """The services that list `name` as a caller, with their container ports: `name`'s egress."""
    return {other: service.port for other, service in services.items() if name in service.callers}


def service_spec(
    name: str,
    service: ServiceSettings,
    settings: PlatformSettings,
    *,
    public_cidrs: Sequence[str],
    aws_api_egress: bool,
) -> ServiceSpec:
    """A service's settings as the plain values the component takes. Only `public` services
    admit addresses from outside the cluster, the public subnets' (load balancers and NAT
    gateways only); the settings refuse `internal`, whose ALB would share the private subnets
    with every node and pod."""
    if service.awaiting_image:
        variants: tuple[Variant, ...] = ()  # first deploy: repository and role, no workload yet
    elif service.variants:
        variants = tuple(
            Variant(name=variant_name, digest=variant.digest, tag=variant.tag, weight=variant.weight)
            for variant_name, variant in service.variants.items()
        )
    else:
        variants = (Variant(digest=service.image.digest, tag=service.image.tag),)
    if service.exposed == "internal":
        raise ValueError(f"service {name!r}: `internal` exposure is refused by the settings (no dedicated load balancer subnets)")
    load_balancer_cidrs = public_cidrs if service.exposed == "public" else ()
    return ServiceSpec(
        name=name,
        variants=variants,
        port=service.port,
        cpu_millicores=service.resources.cpu_millicores,
        memory_mib=service.resources.memory_mib,
        memory_limit_mib=service.resources.memory_limit_mib,
        cpu_limit_millicores=service.resources.cpu_limit_millicores,
        readiness_path=service.probes.readiness_path,
        liveness_path=service.probes.liveness_path,
        startup_seconds=service.probes.startup_seconds,
        capacity=service.capacity,
        priority_class_name=PRIORITY_CLASS_BY_SETTING[service.priority],
        replicas_min=service.replicas.min,
        replicas_max=service.replicas.max,
        target_cpu_percent=service.replicas.target_cpu_percent,
        exposed=service.exposed,
        host=service.host,
        callers=service.callers,
        callees=callees_of(name, settings.services),
        aws_api_egress=aws_api_egress,
        load_balancer_cidrs=tuple(load_balancer_cidrs),
        zone_count=settings.network.az_count,
        termination_grace_seconds=service.termination_grace_period_seconds,
        pre_stop_seconds=service.pre_stop_seconds,
    )


def declare_ml_services(
    settings: PlatformSettings,
    *,
    kubernetes_provider: k8s.Provider,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    search_domain_arn: pulumi.Input[str] | None,
    public_cidrs: Sequence[str],
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, MlService]:
    """The priority classes once, then one `MlService` per configured service. A service with
    `search: true` gets read access to `search_domain_arn`; one with `modelArtifacts` gets read
    access to its prefix. A service with no image pinned yet gets no workload (and the engine's
    log says so, as `mlp plan` does: `pending_images`)."""
    priority_classes = PriorityClasses(
        "priority-classes", PriorityClassesArgs(kubernetes_provider=kubernetes_provider), opts=opts
    )
    services = {}
    for notice in pending_images(settings):
        pulumi.log.warn(notice)
    for name, service in settings.services.items():
        statements = []
        if service.search:
            if search_domain_arn is None:
                raise ValueError(f"service {name!r} uses search, but the stack has no search domain")
            statements.append(search_read_statement(pulumi.Output.from_input(search_domain_arn)))
        if service.model_artifacts is not None:
            statements.append(model_read_statement(service.model_artifacts.bucket, service.model_artifacts.prefix))
        spec = service_spec(
            name,
            service,
            settings,
            public_cidrs=public_cidrs,
            aws_api_egress=bool(statements),
        )
        services[name] = MlService(
            name,
            MlServiceArgs(
                spec=spec,
                kubernetes_provider=kubernetes_provider,
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer=oidc_issuer,
                repository_name=service.image.repository,
                policy_statements=statements,
                tags={SERVICE_TAG_KEY: name},
                certificate_arn=service.certificate_arn,
                hosted_zone_id=settings.dns.hosted_zone_id if settings.dns else None,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[priority_classes])),
        )
    return services
