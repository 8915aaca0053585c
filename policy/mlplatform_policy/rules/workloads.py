"""Kubernetes workload rules: every Deployment sized (requests, a memory limit) and covered by a
PodDisruptionBudget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlplatform_policy.resources import (
    PlannedResource,
    StackContext,
    Violation,
    dig,
    is_mapping,
    items,
)
from mlplatform_policy.rules.rule import DEPLOYMENT, DISRUPTION_BUDGET


def _pod_spec(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = dig(deployment, "spec", "template", "spec")
    return spec if is_mapping(spec) else {}


def check_deployment_resources(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type != DEPLOYMENT:
        return []
    # Requests for CPU and memory (scheduling and bin packing depend on them) and a memory limit
    # (a leak must kill the container, not the node). A CPU limit is deliberately not required:
    # CFS quotas throttle a container even when the node's cores are idle, which shows up as
    # tail latency; the services set one only where config asks (docs/services.md).
    required = {"requests": ("cpu", "memory"), "limits": ("memory",)}
    problems = []
    for container in items(_pod_spec(resource.props).get("containers")):
        name = dig(container, "name") or "?"
        for section, kinds in required.items():
            declared = dig(container, "resources", section) or {}
            missing = [kind for kind in kinds if not dig(declared, kind)]
            if missing:
                problems.append(f"container {name!r} has no {section} for {' and '.join(missing)}")
    return problems


def _namespace(obj: Mapping[str, Any]) -> str:
    return str(dig(obj, "metadata", "namespace") or "default")


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A Kubernetes label selector matched against pod labels. In policy/v1 an empty selector
    (`{}`) selects every pod of the namespace, and an absent one selects none."""
    if not is_mapping(selector):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in items(selector.get("matchExpressions")):
        key, operator = dig(expression, "key"), dig(expression, "operator")
        values = [str(v) for v in items(dig(expression, "values"))]
        present = key in labels
        if operator == "In" and not (present and str(labels[key]) in values):
            return False
        if operator == "NotIn" and present and str(labels[key]) in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def check_deployment_disruption_budgets(
    resources: Sequence[PlannedResource], context: StackContext
) -> list[Violation]:
    budgets = [r.props for r in resources if r.type == DISRUPTION_BUDGET]
    violations = []
    for deployment in (r for r in resources if r.type == DEPLOYMENT):
        labels = dig(deployment.props, "spec", "template", "metadata", "labels") or {}
        namespace = _namespace(deployment.props)
        if not any(
            _namespace(budget) == namespace and _selects(dig(budget, "spec", "selector"), labels)
            for budget in budgets
        ):
            violations.append(
                Violation(
                    f"Deployment {deployment.name!r} (namespace {namespace}) has no "
                    "PodDisruptionBudget selecting its pods, so a spot drain can evict them all at once",
                    deployment.urn,
                )
            )
    return violations
