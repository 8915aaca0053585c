"""Application load balancers the AWS Load Balancer Controller creates from Ingresses: one per
IngressGroup, and one per Ingress outside any group. An Ingress's group and scheme come from its
IngressClass's IngressClassParams when those set them (they then override the annotations, v3.5.0
docs/guide/ingress/ingress_class.md), else from its annotations."""

from __future__ import annotations

from dataclasses import dataclass

from mlp.cost.model import PricingContext, Resource

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GROUP_ANNOTATION = "alb.ingress.kubernetes.io/group.name"
SCHEME_ANNOTATION = "alb.ingress.kubernetes.io/scheme"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
ALB_CLASS = "alb"
ELB_ROLE_TAG = "kubernetes.io/role/elb"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
CONTROLLER_CHART = "aws-load-balancer-controller"


@dataclass(frozen=True)
class AlbGroup:
    key: str
    ingresses: tuple[Resource, ...]
    internet_facing: bool


def _ingress_class(ingress: Resource) -> str | None:
    annotations = (ingress.inputs.get("metadata") or {}).get("annotations") or {}
    return (ingress.inputs.get("spec") or {}).get("ingressClassName") or annotations.get(CLASS_ANNOTATION)


def _is_alb(ingress: Resource) -> bool:
    # No class: the cluster's default IngressClass, which on this platform is the ALB controller's.
    return _ingress_class(ingress) in (None, ALB_CLASS)


def class_parameters(ctx: PricingContext) -> dict[str, dict]:
    """IngressClass name -> the IngressClassParams spec the controller's chart creates for it."""
    found = {}
    for release in ctx.of_type(HELM_RELEASE):
        if release.inputs.get("chart") != CONTROLLER_CHART:
            continue
        values = release.inputs.get("values") or {}
        params = values.get("ingressClassParams") or {}
        if values.get("createIngressClassResource", True) and params.get("create", True) and params.get("spec"):
            found[values.get("ingressClass") or ALB_CLASS] = params["spec"]
    return found


def alb_groups(ctx: PricingContext) -> list[AlbGroup]:
    params_by_class = class_parameters(ctx)
    groups: dict[str, list[Resource]] = {}
    schemes: dict[str, list[str | None]] = {}
    for ingress in ctx.of_type(INGRESS):
        if not _is_alb(ingress):
            continue
        annotations = (ingress.inputs.get("metadata") or {}).get("annotations") or {}
        params = params_by_class.get(_ingress_class(ingress) or ALB_CLASS, {})
        group = (params.get("group") or {}).get("name") or annotations.get(GROUP_ANNOTATION)
        key = group or f"ingress:{ingress.urn}"
        groups.setdefault(key, []).append(ingress)
        schemes.setdefault(key, []).append(params.get("scheme") or annotations.get(SCHEME_ANNOTATION))
    result = []
    for key, members in groups.items():
        facing = "internet-facing" in schemes[key]
        # Sorted so the shared ALB is always charged to the same Ingress: registration order
        # varies between runs, and a diff must not show cost moving between services.
        result.append(AlbGroup(key=key, ingresses=tuple(sorted(members, key=lambda m: m.urn)), internet_facing=facing))
    return result


def public_zone_count(ctx: PricingContext) -> int:
    """Zones an internet-facing ALB spans: the subnets tagged for public load balancers
    (at least 2, the ALB minimum)."""
    public = [
        subnet
        for subnet in ctx.of_type("aws:ec2/subnet:Subnet")
        if ELB_ROLE_TAG in (subnet.inputs.get("tags") or {})
    ]
    return max(2, len(public))
