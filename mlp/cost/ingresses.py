"""Application load balancers the AWS Load Balancer Controller creates from Ingresses: one per
`alb.ingress.kubernetes.io/group.name`, and one per Ingress outside any group."""

from __future__ import annotations

from dataclasses import dataclass

from mlp.cost.model import PricingContext, Resource

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GROUP_ANNOTATION = "alb.ingress.kubernetes.io/group.name"
SCHEME_ANNOTATION = "alb.ingress.kubernetes.io/scheme"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
ALB_CLASS = "alb"
ELB_ROLE_TAG = "kubernetes.io/role/elb"


@dataclass(frozen=True)
class AlbGroup:
    key: str
    ingresses: tuple[Resource, ...]
    internet_facing: bool


def _is_alb(ingress: Resource) -> bool:
    annotations = (ingress.inputs.get("metadata") or {}).get("annotations") or {}
    ingress_class = (ingress.inputs.get("spec") or {}).get("ingressClassName") or annotations.get(CLASS_ANNOTATION)
    # No class: the cluster's default IngressClass, which on this platform is the ALB controller's.
    return ingress_class in (None, ALB_CLASS)


def alb_groups(ctx: PricingContext) -> list[AlbGroup]:
    groups: dict[str, list[Resource]] = {}
    for ingress in ctx.of_type(INGRESS):
        if not _is_alb(ingress):
            continue
        annotations = (ingress.inputs.get("metadata") or {}).get("annotations") or {}
        key = annotations.get(GROUP_ANNOTATION) or f"ingress:{ingress.urn}"
        groups.setdefault(key, []).append(ingress)
    result = []
    for key, members in groups.items():
        facing = any(
            ((m.inputs.get("metadata") or {}).get("annotations") or {}).get(SCHEME_ANNOTATION) == "internet-facing"
            for m in members
        )
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
