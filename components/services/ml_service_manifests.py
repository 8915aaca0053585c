"""Every Kubernetes object of one ML service, in apply order, as plain dictionaries.

`MlService` only turns these into resources; everything a reviewer wants to read about a service
(security context, placement, probes, disruption budget, network policies, the A/B split) is
decided in the modules this one assembles (`service_spec`, `workload_manifests`,
`ingress_manifests`, `network_policies`) and tested without the Pulumi runtime.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.services.ingress_manifests import ingress_manifest
from components.services.network_policies import network_policy_manifests
from components.services.service_spec import ServiceSpec
from components.services.workload_manifests import (
    autoscaler_manifest,
    deployment_manifest,
    disruption_budget_manifest,
    has_autoscaler,
    namespace_manifest,
    service_account_manifest,
    service_manifest,
)


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
