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

from infra.settings import NAMESPACE, PlatformSettings


@dataclass(frozen=True)
class Prerequisite:
    kind: str
    """What it is: `admin role`, `deployer`, `deployer network`, `model bucket`, `image`, ..."""
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


def looks_like_placeholder(value: str) -> bool:
    """Whether a value is a stand-in the shipped stacks use (a documentation account, address
    range or domain), so the listing can say which values a new user must replace."""
    if f":{DOCUMENTATION_ACCOUNT}:" in value or _EXAMPLE_DOMAIN.search(value):
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
    items = []
    for name, service in settings.services.items():
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
    model_buckets,
    images,
    alert_recipients,
)


def prerequisites(settings: PlatformSettings) -> list[Prerequisite]:
    """Everything the stack expects to exist outside itself, in `SOURCES` order."""
    return [item for source in SOURCES for item in source(settings)]


def render(items: list[Prerequisite]) -> str:
    placeholders = sum(item.placeholder for item in items)
    lines = [f"prerequisites outside the stack ({len(items)}, {placeholders} placeholder(s) to replace):"]
    for item in items:
        marker = "  [PLACEHOLDER: replace]" if item.placeholder else ""
        lines.append(f"  - {item.kind}: {item.value}{marker}")
        lines.append(f"      {item.key}: {item.needs}")
    return "\n".join(lines)
