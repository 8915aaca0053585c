"""What a stack expects to exist outside itself for its services to serve, with the stack-file
key that names each: a pure function of the settings, printed by `mlp plan`."""

from __future__ import annotations

from dataclasses import dataclass

from infra.settings import NAMESPACE, PlatformSettings


@dataclass(frozen=True)
class Prerequisite:
    key: str
    """The stack-file key that names it, e.g. `ml-platform:dns.hostedZoneId`."""
    what: str
    """What must exist, and how a user supplies it."""


def serving_prerequisites(settings: PlatformSettings) -> list[Prerequisite]:
    """The hosted zone, issued certificates, the OpenSearch service-linked role a stack reads,
    model buckets and the images each service waits for."""
    items = []
    if settings.dns is not None:
        items.append(
            Prerequisite(
                f"{NAMESPACE}:dns.hostedZoneId",
                f"public Route 53 hosted zone {settings.dns.hosted_zone_id} for {settings.dns.hosted_zone_name}, "
                "delegated from its parent domain (NS records) before the first up",
            )
        )
    for name, service in settings.services.items():
        if service.certificate_arn is not None:
            dns = "" if settings.dns is not None else "; its DNS record is yours (no ml-platform:dns zone)"
            items.append(
                Prerequisite(
                    f"{NAMESPACE}:services.{name}.certificateArn",
                    f"issued ACM certificate for {service.host} in {settings.region}{dns}",
                )
            )
    if settings.search.service_linked_role == "existing":
        items.append(
            Prerequisite(
                f"{NAMESPACE}:search.serviceLinkedRole",
                "IAM role AWSServiceRoleForAmazonOpenSearchService (created by the stack set to `create`, "
                "or `aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com`)",
            )
        )
    for name, service in settings.services.items():
        if service.model_artifacts is not None:
            artifacts = service.model_artifacts
            items.append(
                Prerequisite(
                    f"{NAMESPACE}:services.{name}.modelArtifacts.bucket",
                    f"S3 bucket {artifacts.bucket} holding the models under {artifacts.prefix}",
                )
            )
    for name, service in settings.services.items():
        if service.awaiting_image:
            key = "variants.<name>.digest" if service.variants else "image.digest"
            items.append(
                Prerequisite(
                    f"{NAMESPACE}:services.{name}.{key}",
                    f"an image pushed to {service.image.repository} (created by the first up) and its digest pinned",
                )
            )
    return items
