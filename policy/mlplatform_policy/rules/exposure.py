"""Network exposure rules: the search domain inside the VPC, the EKS API endpoint not open to
the world."""

from __future__ import annotations

from mlplatform_policy.resources import PlannedResource, StackContext, dig, items
from mlplatform_policy.rules.rule import AWS_EKS_CLUSTER, EKS_CLUSTER, SEARCH_DOMAIN

OPEN_TO_THE_WORLD = ("0.0.0.0/0", "::/0")


def check_private_search_domain(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type == SEARCH_DOMAIN and not items(dig(resource.props, "vpcOptions", "subnetIds")):
        return ["search domain has a public endpoint (place it in the VPC with `vpcOptions.subnetIds`)"]
    return []


def check_eks_endpoint(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type == EKS_CLUSTER:
        public, cidrs = resource.props.get("endpointPublicAccess"), resource.props.get("publicAccessCidrs")
    elif resource.type == AWS_EKS_CLUSTER:
        vpc_config = resource.props.get("vpcConfig") or {}
        public, cidrs = vpc_config.get("endpointPublicAccess"), vpc_config.get("publicAccessCidrs")
    else:
        return []
    # Both pulumi-eks and EKS default to a public endpoint, and EKS opens it to 0.0.0.0/0
    # when no CIDRs are given; so only an explicit `false` or a narrowed list passes.
    if public is False or public == "false":
        return []
    listed = [str(cidr) for cidr in items(cidrs)]
    if not listed or any(cidr in OPEN_TO_THE_WORLD for cidr in listed):
        return [
            "cluster API endpoint is public and open to 0.0.0.0/0 (set `endpointPublicAccess: "
            "false`, or narrow `publicAccessCidrs`)"
        ]
    return []
