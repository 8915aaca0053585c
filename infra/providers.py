"""Explicit providers: every resource names the one it uses, none falls back on a default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.network.zone_choice import (
    ZoneChoiceError,
    choose_zones,
    offered_types_by_zone,
    region_zones,
)
from infra.settings import ConfigError, ConfigProblem, stack_file_name

ZONES_KEY = "ml-platform:network.availabilityZoneIds"


def declare_aws_provider(region: str, tags: dict[str, str]) -> aws.Provider:
    """The AWS provider for the stack. Default tags put the cost-allocation tags on every
    taggable resource; where default tags do not reach (instances launched by an Auto Scaling
    group, launch-template volumes) components add them explicitly."""
    return aws.Provider(
        "aws",
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
        opts=pulumi.ResourceOptions(),
    )


def declare_eks_provider() -> eks.Provider:
    """The provider of pulumi-eks's remote components (`eks:index:Cluster`). With
    `pulumi:disable-default-providers: ["*"]` the engine refuses a remote component that resolves
    no explicit provider of its own package ("Default provider for 'eks' disabled. 'eks:index:Cluster'
    must use an explicit provider": pulumi/pulumi v3.259.0 `pkg/resource/deploy/source_eval.go`,
    `RegisterResource`; reported in pulumi/pulumi-eks #917 and #1508). The AWS provider in the
    component's `providers` is not it: the engine looks the provider up by the component's package.
    The component's AWS children still use the AWS provider, handed over in the same `providers`.
    pulumi-eks's provider takes no configuration."""
    return eks.Provider("eks", opts=pulumi.ResourceOptions())


def availability_zones(
    provider: aws.Provider,
    stack: str,
    count: int,
    pinned_ids: Sequence[str],
    pool_instance_types: Mapping[str, Sequence[str]],
) -> list[str]:
    """The names of the zones to span (`components.network.zone_choice.choose_zones`): the pinned zone
    IDs, or the first `count` by ID that EKS accepts and that offer the pools' instance types,
    mapped to this account's names with the region's answer. Standard zones only (local and
    wavelength zones need an opt-in). A choice the region cannot give stops here, naming
    `ml-platform:network.availabilityZoneIds`, before anything is declared."""
    invoke = pulumi.InvokeOptions(provider=provider)
    answer = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=invoke,
    )
    every_type = sorted({instance_type for types in pool_instance_types.values() for instance_type in types})
    offerings = aws.ec2.get_instance_type_offerings(
        location_type="availability-zone-id",
        filters=[aws.ec2.GetInstanceTypeOfferingsFilterArgs(name="instance-type", values=every_type)],
        opts=invoke,
    )
    try:
        choice = choose_zones(
            region_zones(answer.names, answer.zone_ids),
            count,
            pool_instance_types,
            offered_types_by_zone(offerings.instance_types, offerings.locations),
            pinned_ids,
        )
    except ZoneChoiceError as exc:
        problem = ConfigProblem(ZONES_KEY, str(exc), list(pinned_ids), bool(pinned_ids))
        raise ConfigError(stack_file_name(stack), [problem]) from None
    for warning in choice.warnings:
        pulumi.log.warn(f"{ZONES_KEY}: {warning}")
    return [zone.name for zone in choice.zones]


def account_id(provider: aws.Provider) -> str:
    """The account the provider's credentials belong to."""
    return aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
