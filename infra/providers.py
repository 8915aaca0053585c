"""Explicit providers: every resource names the one it uses, none falls back on a default."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks


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


def availability_zones(provider: aws.Provider, count: int) -> list[str]:
    """The first `count` standard zones of the provider's region (local and wavelength zones,
    which need an opt-in, are left out)."""
    zones = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider),
    )
    return sorted(zones.names)[:count]


def account_id(provider: aws.Provider) -> str:
    """The account the provider's credentials belong to."""
    return aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
