"""What a stack expects to exist outside itself, from its validated settings.

`mlp plan STACK` prints these (and `--json` writes them) so a new user sees, before a first
`pulumi up`, everything the stack takes for granted and the stack-file key that names each. Every
source below is a plain function of the settings returning items; a new kind of prerequisite is
one more function and one more line in `SOURCES`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from components.capacity.worker_pool import carries_spot
from infra.settings import NAMESPACE, PlatformSettings
from mlp.wording import plural


@dataclass(frozen=True)
class Prerequisite:
    kind: str
    """What it is: `admin role`, `deployer`, `deployer network`, `hosted zone`, `certificate`,
    `service-linked role`, `model bucket`, `image`, ..."""
    key: str
    """The stack-file key that names it, as written in `Pulumi.<stack>.yaml`."""
    value: str
    """What the key says."""
    needs: str
    """What must be true outside the stack before `pulumi up`."""
    placeholder: bool = field(init=False)
    """The value is one of the documentation stand-ins the shipped stacks use, to replace."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "placeholder", looks_like_placeholder(self.value))

    def to_json(self) -> dict[str, object]:
        return asdict(self)


DOCUMENTATION_ACCOUNT = "123456789012"
"""The account id AWS's own documentation uses; no real account has it."""
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
"""RFC 5737 documentation ranges: never routed, so they admit nobody."""
_EXAMPLE_DOMAIN = re.compile(r"(^|[@.])example\.(com|net|org)\b")
"""RFC 2606 example domains."""
_EXAMPLE_RESOURCE_ID = re.compile(r"\b(tgw|pcx)-0123456789abcdef0\b")
"""The stand-in resource ids the shipped stacks use for the deployer's connection."""


def looks_like_placeholder(value: str) -> bool:
    """Whether a value is a stand-in the shipped stacks use (a documentation account, address
    range or domain), so the listing can say which values a new user must replace."""
    if f":{DOCUMENTATION_ACCOUNT}:" in value or _EXAMPLE_DOMAIN.search(value) or _EXAMPLE_RESOURCE_ID.search(value):
        return True
    for part in value.split(", "):
        try:
            network = ipaddress.IPv4Network(part, strict=False)
        except ValueError:
            continue
        if any(network.subnet_of(documentation) for documentation in DOCUMENTATION_NETWORKS):
            return True
    return False


def _key(path: str) -> str:
    return f"{NAMESPACE}:{path}"


def admin_roles(settings: PlatformSettings) -> list[Prerequisite]:
    return [
        Prerequisite(
            "admin role",
            _key(f"cluster.adminRoleArns[{index}]"),
            arn,
            "An IAM role of the account, assumable by the people who operate the cluster; it gets cluster-admin.",
        )
        for index, arn in enumerate(settings.cluster.admin_role_arns)
    ]


def preview_roles(settings: PlatformSettings) -> list[Prerequisite]:
    return [
        Prerequisite(
            "preview role",
            _key(f"cluster.previewRoleArns[{index}]"),
            arn,
            "The pull request previews' IAM role (AWS_PREVIEW_ROLE_ARN_<STACK>, trusting the preview "
            "environment's OIDC subject); it gets a read-only access entry.",
        )
        for index, arn in enumerate(settings.cluster.preview_role_arns)
    ]


def deployer(settings: PlatformSettings) -> list[Prerequisite]:
    pinned = settings.cluster.deployer_role_arn
    if pinned:
        return [
            Prerequisite(
                "deployer",
                _key("cluster.deployerRoleArn"),
                pinned,
                "The IAM role `pulumi up` runs as (an update as anyone else stops); it gets cluster-admin.",
            )
        ]
    return [
        Prerequisite(
            "deployer",
            _key("cluster.deployerRoleArn"),
            "(unset)",
            "`pulumi up` runs as an IAM role (not root, not a federated user); whoever runs it gets cluster-admin.",
        )
    ]


def deployer_network(settings: PlatformSettings) -> list[Prerequisite]:
    endpoint = settings.cluster.endpoint
    items = []
    if endpoint.public_access:
        items.append(
            Prerequisite(
                "deployer network",
                _key("cluster.endpoint.publicAccessCidrs"),
                ", ".join(endpoint.admitted_cidrs()),
                "`pulumi up` runs from an address in these ranges (the public endpoint admits nothing else).",
            )
        )
    if endpoint.private_access_cidrs:
        items.append(
            Prerequisite(
                "deployer network",
                _key("cluster.endpoint.privateAccessCidrs"),
                ", ".join(endpoint.private_access_cidrs),
                "`pulumi up` runs in these ranges: the VPC's own, or a network connected to it (transit "
                "gateway, peering, VPN) that routes to it and resolves the cluster endpoint's name.",
            )
        )
    if endpoint.deployer_outside_connected_networks:
        items.append(
            Prerequisite(
                "deployer network",
                _key("cluster.endpoint.deployerOutsideConnectedNetworks"),
                "true",
                "Every `pulumi up` runs outside the VPC and every network resolving names through it "
                "(from inside, the endpoint resolves to the private one, which admits nobody here).",
            )
        )
    if endpoint.private_access_security_group_ids:
        items.append(
            Prerequisite(
                "deployer network",
                _key("cluster.endpoint.privateAccessSecurityGroupIds"),
                ", ".join(endpoint.private_access_security_group_ids),
                "`pulumi up` runs in these security groups (this VPC, or a VPC peered with it in the "
                "region).",
            )
        )
    return items


def deployer_routes(settings: PlatformSettings) -> list[Prerequisite]:
    """A route to a deployer network is one half of the path; the other half, and the name, live
    on the peer side. DNS: with only the private endpoint, EKS publishes its private addresses
    under the endpoint's public name, so a connected network resolves it as is
    (https://repost.aws/knowledge-center/eks-private-cluster-endpoint-vpc); with the public
    endpoint on as well, that name answers public addresses outside the VPC, and a connected
    network must forward it to the VPC's resolver (a Route 53 Resolver inbound endpoint; the
    hosted zone EKS manages for the private endpoint is not one the account can associate with
    other VPCs: https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html)."""
    private_only = not settings.cluster.endpoint.public_access
    dns = (
        "resolves the endpoint's public name, which EKS points at the private addresses (private-only endpoint)"
        if private_only
        else "forwards the endpoint's name to this VPC's resolver (Route 53 Resolver inbound endpoint): with "
        "the public endpoint on, the name answers public addresses outside the VPC"
    )
    items = []
    for index, route in enumerate(settings.network.deployer_routes):
        if route.transit_gateway_id:
            target, connection = route.transit_gateway_id, "The transit gateway, with this VPC attached (its route table propagating or routing both ways)"
        else:
            target, connection = route.vpc_peering_connection_id, "The VPC peering connection, accepted"
        items.append(
            Prerequisite(
                "deployer route",
                _key(f"network.deployerRoutes[{index}]"),
                f"{route.cidr} via {target}",
                f"{connection}; the deployer's network routes {settings.network.vpc_cidr} back through it, "
                f"and {dns}. It joins this stack's VPC, so on a new account it comes after a first `up` "
                "through the public endpoint without this route.",
            )
        )
    return items


def state_and_secrets(settings: PlatformSettings) -> list[Prerequisite]:
    """Pulumi keeps the stack's state and encrypts its secrets outside the stack
    (https://www.pulumi.com/docs/iac/concepts/state-and-backends/,
    https://www.pulumi.com/docs/iac/concepts/secrets/)."""
    return [
        Prerequisite(
            "state backend",
            "`pulumi login` (or Pulumi.yaml backend.url)",
            "(outside the stack files)",
            "A Pulumi Cloud organization, or a self-managed backend (an S3 bucket, versioned, in the "
            "account) the deployer and preview roles can read and write; `pulumi login <url>` before "
            "`pulumi stack init`.",
        ),
        Prerequisite(
            "secrets provider",
            "Pulumi.<stack>.yaml secretsprovider (`pulumi stack init --secrets-provider`)",
            "(the backend's, or awskms://alias/<key>)",
            "With Pulumi Cloud its own; with a self-managed backend a KMS key the deployer can "
            "encrypt and decrypt with, named on `pulumi stack init`; commit the secretsprovider and "
            "encryptionsalt lines it writes.",
        ),
    ]


def deployer_tools(settings: PlatformSettings) -> list[Prerequisite]:
    return [
        Prerequisite(
            "deployer tool",
            "(the PATH of whatever runs `pulumi up`)",
            "pulumi CLI, uv, AWS CLI v2",
            "The Pulumi CLI and uv run the program; the AWS CLI because pulumi-eks's kubeconfig "
            "authenticates with an exec of `aws eks get-token` (the Kubernetes provider and every "
            "Helm release need it).",
        )
    ]


INVOKE_ACTIONS: dict[str, str | None] = {
    # The zone choice (`infra/providers.py`).
    "aws:index/getAvailabilityZones:getAvailabilityZones": "ec2:DescribeAvailabilityZones",
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": "ec2:DescribeInstanceTypeOfferings",
    # The deployer (`infra/deployer.py`): GetCallerIdentity needs no permission
    # (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), listed
    # for completeness; the session context reads the caller's own role (terraform-provider-aws
    # `internal/service/iam/session_context_data_source.go`).
    "aws:index/getCallerIdentity:getCallerIdentity": "sts:GetCallerIdentity",
    "aws:iam/getSessionContext:getSessionContext": "iam:GetRole",
    # The EKS-optimised AMI of the worker pools (`components/capacity/worker_pool.py`).
    "aws:ssm/getParameter:getParameter": "ssm:GetParameter",
    # The OpenSearch service-linked role a stack with `search.serviceLinkedRole: existing` reads
    # (`components/search/search_domain.py`).
    "aws:iam/getRole:getRole": "iam:GetRole",
    # The ALB alias zone of the services' DNS records (`components/services/ml_service.py`): a table
    # inside the provider (terraform-provider-aws `aws_lb_hosted_zone_id`), no AWS call.
    "aws:lb/getHostedZoneId:getHostedZoneId": None,
    # Answered by the provider from its own configuration, no AWS call.
    "aws:index/getPartition:getPartition": None,
    "aws:index/getRegion:getRegion": None,
}
"""Invoke token -> the IAM action it calls: what any role that runs the program, previews
included, must be allowed. A test holds it to every invoke the offline plan answers
(`mlp.mock_state.INVOKES`), so a new look-up cannot go unlisted."""
PREVIEW_READ_ACTIONS = tuple(sorted({action for action in INVOKE_ACTIONS.values() if action}))


def preview_permissions(settings: PlatformSettings) -> list[Prerequisite]:
    return [
        Prerequisite(
            "preview role",
            "(the IAM policy of each preview role, docs/delivery-and-policy.md)",
            ", ".join(PREVIEW_READ_ACTIONS),
            "Allowed to the preview roles (the deployer has them too): the program's look-ups run in "
            "every preview, before anything is declared; add read access to the stack's state and "
            "secrets key.",
        )
    ]


def model_buckets(settings: PlatformSettings) -> list[Prerequisite]:
    return [
        Prerequisite(
            "model bucket",
            _key(f"services.{name}.modelArtifacts.bucket"),
            f"s3://{service.model_artifacts.bucket}/{service.model_artifacts.prefix}",
            "An S3 bucket of the region holding the service's models under the prefix (the stack only "
            "grants read access).",
        )
        for name, service in settings.services.items()
        if service.model_artifacts is not None
    ]


def images(settings: PlatformSettings) -> list[Prerequisite]:
    """Each pinned image, and each service that pins none yet (the first deploy declares its
    repository and no workload: `infra.services.pending_images`)."""
    items = []
    for name, service in settings.services.items():
        if service.awaiting_image:
            key = "variants.<name>.digest" if service.variants else "image.digest"
            items.append(
                Prerequisite(
                    "image",
                    _key(f"services.{name}.{key}"),
                    "(not pinned yet)",
                    f"An image pushed to {service.image.repository} (the first `up` creates it), its digest "
                    "pinned here, then `pulumi up` again: until then the service has no workload.",
                )
            )
            continue
        pins = (
            {f"variants.{variant}": (spec.digest, spec.tag) for variant, spec in service.variants.items()}
            if service.variants
            else {"image": (service.image.digest, service.image.tag)}
        )
        for where, (digest, tag) in pins.items():
            if digest is None and tag is None:
                continue
            field, reference = ("digest", f"@{digest}") if digest else ("tag", f":{tag}")
            items.append(
                Prerequisite(
                    "image",
                    _key(f"services.{name}.{where}.{field}"),
                    f"{service.image.repository}{reference}",
                    "Pushed to the stack's ECR repository of that name before the update that pins it.",
                )
            )
    return items


def hosted_zone(settings: PlatformSettings) -> list[Prerequisite]:
    if settings.dns is None:
        return []
    return [
        Prerequisite(
            "hosted zone",
            _key("dns.hostedZoneId"),
            f"{settings.dns.hosted_zone_id} ({settings.dns.hosted_zone_name})",
            "A public Route 53 hosted zone, delegated from its parent domain (NS records) before the first "
            "`up`: the services' certificates are validated and their records written there.",
        )
    ]


def certificates(settings: PlatformSettings) -> list[Prerequisite]:
    yours = "" if settings.dns is not None else " Its DNS record is yours to point at the load balancer."
    return [
        Prerequisite(
            "certificate",
            _key(f"services.{name}.certificateArn"),
            service.certificate_arn,
            f"An issued ACM certificate for {service.host} in {settings.region}.{yours}",
        )
        for name, service in settings.services.items()
        if service.certificate_arn is not None
    ]


def search_service_linked_role(settings: PlatformSettings) -> list[Prerequisite]:
    if settings.search.service_linked_role != "existing":
        return []
    return [
        Prerequisite(
            "service-linked role",
            _key("search.serviceLinkedRole"),
            "existing",
            "IAM role AWSServiceRoleForAmazonOpenSearchService in the account: created by the stack set to "
            "`create`, or once with `aws iam create-service-linked-role --aws-service-name "
            "opensearchservice.amazonaws.com`.",
        )
    ]


def spot_service_linked_role(settings: PlatformSettings) -> list[Prerequisite]:
    """Karpenter launches spot itself (CreateFleet), which needs the account's EC2 Spot
    service-linked role; its controller may not create it, and a spot launch without it fails
    with AuthFailure.ServiceLinkedRoleCreationNotPermitted and falls back to the on-demand pool
    (Karpenter v1.14 troubleshooting, "Missing Service Linked Role"). Auto Scaling groups use
    their own service-linked role, so only a Karpenter stack lists it."""
    cluster = settings.cluster
    if cluster.capacity_engine != "karpenter" or cluster.karpenter.create_spot_service_linked_role:
        return []
    if not any(carries_spot(pool.on_demand_percentage_above_base_capacity) for pool in settings.node_pools.values()):
        return []
    return [
        Prerequisite(
            "service-linked role",
            _key("cluster.karpenter.createSpotServiceLinkedRole"),
            "false",
            "IAM role AWSServiceRoleForEC2Spot in the account: set this key in exactly one stack of "
            "the account, or create it once with `aws iam create-service-linked-role "
            "--aws-service-name spot.amazonaws.com`; without it Karpenter's spot launches fail and "
            "spot-preferring pods land on the on-demand pool.",
        )
    ]


def alert_recipients(settings: PlatformSettings) -> list[Prerequisite]:
    return [
        Prerequisite(
            "alert recipient",
            _key(f"alerts.emails[{index}]"),
            email,
            "A mailbox whose owner confirms the SNS subscription AWS mails it (no alert arrives before).",
        )
        for index, email in enumerate(settings.alerts.emails)
    ]


SOURCES: tuple[Callable[[PlatformSettings], list[Prerequisite]], ...] = (
    admin_roles,
    deployer,
    preview_roles,
    deployer_network,
    deployer_routes,
    state_and_secrets,
    deployer_tools,
    preview_permissions,
    hosted_zone,
    certificates,
    search_service_linked_role,
    spot_service_linked_role,
    model_buckets,
    images,
    alert_recipients,
)


def prerequisites(settings: PlatformSettings) -> list[Prerequisite]:
    """Everything the stack expects to exist outside itself, in `SOURCES` order."""
    return [item for source in SOURCES for item in source(settings)]


def render(items: list[Prerequisite]) -> str:
    placeholders = sum(item.placeholder for item in items)
    lines = [f"prerequisites outside the stack ({len(items)}, {plural(placeholders, 'placeholder')} to replace):"]
    for item in items:
        marker = "  [PLACEHOLDER: replace]" if item.placeholder else ""
        lines.append(f"  - {item.kind}: {item.value}{marker}")
        lines.append(f"      {item.key}: {item.needs}")
    return "\n".join(lines)
