"""Checks of the cost posture on a declared inventory: every taggable resource carries the
cost-allocation tags, and nothing grows without bound (Karpenter's EC2NodeClasses and NodePools
included: `mlp.karpenter_guardrails`).

One definition of each rule: pure functions over anything shaped like `ResourceView` (urn, type,
parent URN, provider URN, inputs). The offline inventory's `DeclaredResource` is one; the policy
pack (`policy/mlplatform_policy/rules/`, rules `required-tags` and `bounded-growth`) hands its
own view of the engine's resources to the very same functions. `tag_findings` and
`growth_findings` return `(urn, message)` pairs; `missing_tags` and `unbounded_growth` the same
as one line each, naming the resource.
"""

from __future__ import annotations

import importlib
import inspect
import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Protocol

from infra.tags import REQUIRED_TAG_KEYS, SERVICE_TAG_KEY
from mlp import karpenter_guardrails

ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
SERVICE_COMPONENT_SUFFIX = ":MlService"

# Launched resources the provider's default tags never reach: a launch template must tag them
# itself (instances are covered by the Auto Scaling group's propagated tags).
LAUNCHED_RESOURCE_TYPES = ("volume", "network-interface")


class ResourceView(Protocol):
    """What the checks read of a resource. `parent` and `provider` are URNs (a provider reference
    may also be the engine's `URN::ID` form); inputs are keyed by schema (camelCase) names and
    read through `Mapping`/`Sequence` only, so the policy engine's property proxies work too."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...


Finding = tuple[str, str]
"""(urn of the offending resource, what is wrong)."""


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
    # Importing a module (lazily, on first attribute access) announces its deprecated resources,
    # which is noise in the policy engine's output.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            sdk = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
            args_class = getattr(sdk, f"{class_name}Args")
        except (ImportError, AttributeError):
            return False
    return "tags" in inspect.signature(args_class.__init__).parameters


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _tag_map(tags: Any) -> dict[str, str]:
    """A `tags` input as key -> value (None as blank)."""
    if not isinstance(tags, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in tags.items()}


def _lacking(required: Iterable[str], tags: Mapping[str, str] | None) -> list[str]:
    """Required keys absent or blank (a blank tag attributes nothing) in `tags`."""
    return [k for k in required if tags is None or not str(tags.get(k) or "").strip()]


def _default_tags(provider: ResourceView | None) -> dict[str, str]:
    if provider is None:
        return {}
    raw = provider.inputs.get("defaultTags")
    document = json.loads(raw) if isinstance(raw, str) else raw
    return _tag_map(document.get("tags")) if isinstance(document, Mapping) else {}


def _propagated(value: Any) -> bool:
    # The engine sends booleans; some schemas spell them as strings.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _tag_list(tags: Any) -> dict[str, tuple[str, bool]]:
    """ASG tags: key -> (value, propagated at launch), without blank values."""
    return {
        str(t.get("key")): (str(t.get("value")), _propagated(t.get("propagateAtLaunch")))
        for t in (tags if _is_list(tags) else [])
        if isinstance(t, Mapping) and str(t.get("value") or "").strip()
    }


def _provider_of(resource: ResourceView, by_urn: Mapping[str, ResourceView]) -> ResourceView | None:
    reference = resource.provider
    if not reference:
        return None
    return by_urn.get(reference) or by_urn.get(reference.rsplit("::", 1)[0])


def _ancestors(resource: ResourceView, by_urn: Mapping[str, ResourceView]) -> list[ResourceView]:
    found, current = [], resource
    while current.parent and current.parent in by_urn:
        current = by_urn[current.parent]
        found.append(current)
    return found


def _required_for(resource: ResourceView, by_urn: Mapping[str, ResourceView]) -> tuple[str, ...]:
    in_service = any(a.type.endswith(SERVICE_COMPONENT_SUFFIX) for a in _ancestors(resource, by_urn))
    return (*REQUIRED_TAG_KEYS, SERVICE_TAG_KEY) if in_service else REQUIRED_TAG_KEYS


def tag_findings(resources: Sequence[ResourceView]) -> list[Finding]:
    """One finding per taggable AWS resource lacking a required tag (blank values count as
    missing), counting the provider's default tags where they apply. Resources of an ML service
    (under an `MlService` component) also need the `service` tag, and a launch template must tag
    the volumes and network interfaces it launches."""
    by_urn = {r.urn: r for r in resources}
    findings: list[Finding] = []
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
                findings.append((resource.urn, f"tags not propagated at launch: {', '.join(absent)}"))
            continue
        # A resource's own tag overrides the provider's default tag of the same key, blank or not.
        effective = {**_default_tags(_provider_of(resource, by_urn)), **_tag_map(resource.inputs.get("tags"))}
        absent = _lacking(required, effective)
        if absent:
            findings.append((resource.urn, f"missing tags {', '.join(absent)}"))
        if resource.type == LAUNCH_TEMPLATE:
            findings += [(resource.urn, problem) for problem in _launch_template_problems(resource, required)]
    # What Karpenter launches is tagged by its EC2NodeClass alone.
    findings += karpenter_guardrails.untagged_node_classes(resources, REQUIRED_TAG_KEYS)
    return findings


def missing_tags(resources: Sequence[ResourceView]) -> list[str]:
    """`tag_findings` as one line per finding: `<urn>: <what is missing>`."""
    return [f"{urn}: {message}" for urn, message in tag_findings(resources)]


def _launch_template_problems(resource: ResourceView, required: Iterable[str]) -> list[str]:
    specifications = {
        spec.get("resourceType"): _tag_map(spec.get("tags"))
        for spec in (resource.inputs.get("tagSpecifications") or [])
        if isinstance(spec, Mapping)
    }
    problems = []
    for launched in LAUNCHED_RESOURCE_TYPES:
        absent = _lacking(required, specifications.get(launched))
        if absent:
            problems.append(f"tag specification for {launched} lacks {', '.join(absent)}")
    return problems


def growth_findings(resources: Sequence[ResourceView]) -> list[Finding]:
    """Log groups without retention and ECR repositories without a lifecycle policy. A policy
    covers a repository when it is declared under it or names it (`repository` = its name)."""
    findings: list[Finding] = []
    for group in (r for r in resources if r.type == LOG_GROUP):
        if not group.inputs.get("retentionInDays"):
            findings.append((group.urn, "log group keeps logs forever (set retentionInDays)"))
    policies = [r for r in resources if r.type == ECR_LIFECYCLE_POLICY]
    for repository in (r for r in resources if r.type == ECR_REPOSITORY):
        names = {repository.inputs.get("name"), repository.urn}
        covered = any(
            p.parent == repository.urn or (p.inputs.get("repository") in names and p.inputs.get("repository"))
            for p in policies
        )
        if not covered:
            findings.append((repository.urn, "ECR repository without a lifecycle policy"))
    findings += karpenter_guardrails.unbounded_node_pools(resources)
    return findings


def unbounded_growth(resources: Sequence[ResourceView]) -> list[str]:
    """`growth_findings` as one line per finding: `<urn>: <what grows>`."""
    return [f"{urn}: {message}" for urn, message in growth_findings(resources)]
