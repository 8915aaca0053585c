"""Checks of the cost posture on a declared inventory: every taggable resource carries the
cost-allocation tags, and nothing grows without bound. Pure functions over resources (urn, type,
name, parent, provider, inputs), used by the tests and meant for the policy pack: each returns
one message per offending resource, naming it.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Protocol

from infra.tags import REQUIRED_TAG_KEYS, SERVICE_TAG_KEY

ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
SERVICE_COMPONENT_SUFFIX = ":MlService"

# Launched resources the provider's default tags never reach: a launch template must tag them
# itself (instances are covered by the Auto Scaling group's propagated tags).
LAUNCHED_RESOURCE_TYPES = ("volume", "network-interface")


class DeclaredView(Protocol):
    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    inputs: dict[str, Any]


@cache
def is_taggable(type_token: str) -> bool:
    """Whether an AWS resource type takes `tags`, read from the pulumi_aws SDK: the token
    `aws:<module>/<file>:<Class>` names `pulumi_aws.<module>.<Class>Args`, whose constructor
    lists the type's inputs."""
    package, _, rest = type_token.partition(":")
    if package != "aws" or ":" not in rest:
        return False
    module_path, _, class_name = rest.partition(":")
    module = module_path.split("/")[0]
    try:
        sdk = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
        args_class = getattr(sdk, f"{class_name}Args")
    except (ImportError, AttributeError):
        return False
    return "tags" in inspect.signature(args_class.__init__).parameters


def _default_tags(provider: DeclaredView | None) -> dict[str, str]:
    if provider is None:
        return {}
    raw = provider.inputs.get("defaultTags")
    document = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return dict(document.get("tags") or {})


def _tag_list(tags: Any) -> dict[str, tuple[str, bool]]:
    """ASG tags: key -> (value, propagated at launch)."""
    return {
        str(t.get("key")): (str(t.get("value")), bool(t.get("propagateAtLaunch")))
        for t in tags or []
        if isinstance(t, Mapping)
    }


def _ancestors(resource: DeclaredView, by_urn: Mapping[str, DeclaredView]) -> list[DeclaredView]:
    found, current = [], resource
    while current.parent and current.parent in by_urn:
        current = by_urn[current.parent]
        found.append(current)
    return found


def _required_for(resource: DeclaredView, by_urn: Mapping[str, DeclaredView]) -> tuple[str, ...]:
    in_service = any(a.type.endswith(SERVICE_COMPONENT_SUFFIX) for a in _ancestors(resource, by_urn))
    return (*REQUIRED_TAG_KEYS, SERVICE_TAG_KEY) if in_service else REQUIRED_TAG_KEYS


def missing_tags(resources: Sequence[DeclaredView]) -> list[str]:
    """One message per taggable AWS resource lacking a required tag, counting the provider's
    default tags where they apply."""
    by_urn = {r.urn: r for r in resources}
    problems = []
    for resource in resources:
        if not is_taggable(resource.type):
            continue
        required = _required_for(resource, by_urn)
        if resource.type == ASG:
            # Default tags do not apply to Auto Scaling groups, and only propagated tags reach
            # the instances they launch.
            tags = _tag_list(resource.inputs.get("tags"))
            absent = [k for k in required if k not in tags or not tags[k][1]]
            if absent:
                problems.append(f"{resource.urn}: tags not propagated at launch: {', '.join(absent)}")
            continue
        effective = {**_default_tags(by_urn.get(resource.provider or "")), **(resource.inputs.get("tags") or {})}
        absent = [k for k in required if k not in effective]
        if absent:
            problems.append(f"{resource.urn}: missing tags {', '.join(absent)}")
        if resource.type == LAUNCH_TEMPLATE:
            problems += _launch_template_problems(resource, required)
    return problems


def _launch_template_problems(resource: DeclaredView, required: Iterable[str]) -> list[str]:
    specifications = {
        spec.get("resourceType"): spec.get("tags") or {}
        for spec in resource.inputs.get("tagSpecifications") or []
        if isinstance(spec, Mapping)
    }
    problems = []
    for launched in LAUNCHED_RESOURCE_TYPES:
        tags = specifications.get(launched)
        absent = [k for k in required if tags is None or k not in tags]
        if absent:
            problems.append(f"{resource.urn}: tag specification for {launched} lacks {', '.join(absent)}")
    return problems


def unbounded_growth(resources: Sequence[DeclaredView]) -> list[str]:
    """Log groups without retention and ECR repositories without a lifecycle policy. A policy
    covers a repository when it is declared under it or names it (`repository` = its name)."""
    problems = []
    for group in (r for r in resources if r.type == LOG_GROUP):
        if not group.inputs.get("retentionInDays"):
            problems.append(f"{group.urn}: log group keeps logs forever (set retentionInDays)")
    policies = [r for r in resources if r.type == ECR_LIFECYCLE_POLICY]
    for repository in (r for r in resources if r.type == ECR_REPOSITORY):
        names = {repository.inputs.get("name"), repository.urn}
        covered = any(
            p.parent == repository.urn or (p.inputs.get("repository") in names and p.inputs.get("repository"))
            for p in policies
        )
        if not covered:
            problems.append(f"{repository.urn}: ECR repository without a lifecycle policy")
    return problems
