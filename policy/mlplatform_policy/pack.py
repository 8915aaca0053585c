"""The rules as pulumi-policy objects. Building them starts nothing; only `policy/__main__.py`
hands them to a `PolicyPack` (whose constructor starts the policy server)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from mlplatform_policy.resources import PlannedResource, StackContext, stack_of
from mlplatform_policy.rules import RULES, Rule

PACK_NAME = "ml-platform"
PACK_DESCRIPTION = (
    "What the ml-platform promises (encryption, private endpoints, IMDSv2, diversified spot, "
    "disruption budgets, tags, budgets, least-privilege IAM) and advice on its cost."
)

ENFORCEMENT = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}


def planned(resource: ResourceValidationArgs | PolicyResource) -> PlannedResource:
    """The engine's view of a resource as the rules' plain view."""
    provider = resource.provider
    # Only stack validation sees parents (`PolicyResource.parent`); a resource validation has none.
    parent = getattr(resource, "parent", None)
    return PlannedResource(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=resource.props,
        provider_props=provider.props if provider is not None else None,
        parent=parent.urn if parent is not None else None,
        provider=provider.urn if provider is not None else None,
    )


def context(rule: Rule, urn: str, config: Mapping[str, Any] | None) -> StackContext:
    return StackContext(stack=stack_of(urn), config={**rule.defaults(), **(config or {})})


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule.check(planned(args), context(rule, args.urn, args.get_config())):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=ENFORCEMENT[rule.enforcement],
        config_schema=_schema(rule),
    )


def stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [planned(resource) for resource in args.resources]
        if not resources:
            return
        for violation in rule.check(resources, context(rule, resources[0].urn, args.get_config())):
            report_violation(violation.message, violation.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=ENFORCEMENT[rule.enforcement],
        config_schema=_schema(rule),
    )


def policies(rules: Sequence[Rule] = RULES) -> list[Policy]:
    """One pulumi-policy object per rule, in catalogue order."""
    return [resource_policy(rule) if rule.scope == "resource" else stack_policy(rule) for rule in rules]


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    if not rule.config:
        return None
    return PolicyConfigSchema(properties={key: dict(schema) for key, schema in rule.config.items()})
