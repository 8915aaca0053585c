"""Ownership rules: cost-allocation tags on everything taggable (resource tags or the provider's
default tags), bounded growth (log retention, image lifecycle, NodePool limits), a budget per
stack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mlp import guardrails
from mlplatform_policy.resources import PlannedResource, StackContext, Violation
from mlplatform_policy.rules.rule import BUDGET


def with_providers(resources: Sequence[PlannedResource]) -> list[PlannedResource]:
    """The resources plus a stand-in for each provider they name but the list lacks, carrying the
    provider's inputs, so the shared checks find its default tags by URN whether or not the
    engine lists provider resources among the stack's resources."""
    known = {r.urn for r in resources}
    stand_ins: dict[str, PlannedResource] = {}
    listed: list[PlannedResource] = []
    for resource in resources:
        provider = resource.provider
        if resource.provider_props is not None and provider is None:
            provider = f"{resource.urn}$provider"
            resource = replace(resource, provider=provider)
        if provider and provider not in known and provider not in stand_ins and resource.provider_props is not None:
            stand_ins[provider] = PlannedResource(
                type="pulumi:providers:aws", name=provider.rsplit("::", 1)[-1], urn=provider,
                props=resource.provider_props,
            )
        listed.append(resource)
    return [*listed, *stand_ins.values()]


def check_required_tags(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    return [
        Violation(
            f"{message}: set them in the resource's `tags` or the AWS provider's `defaultTags` "
            "(Auto Scaling groups: their own tags with `propagateAtLaunch: true`; launch templates: "
            "`tagSpecifications` for volume and network-interface; resources of an ML service: "
            "also `service`)",
            urn,
        )
        for urn, message in guardrails.tag_findings(with_providers(resources))
    ]


def check_bounded_growth(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    return [Violation(message, urn) for urn, message in guardrails.growth_findings(resources)]


def check_budget_per_stack(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    if any(r.type == BUDGET for r in resources):
        return []
    return [Violation(f"stack {context.stack!r} declares no AWS budget (`aws.budgets.Budget`)")]
