"""The plain view of a resource that every rule reads.

The Pulumi policy engine hands rules a property bag keyed by schema (camelCase) names, and the
offline plan records the same inputs. Both are turned into `PlannedResource` so a rule never knows
where its input came from. Property bags are read through `Mapping`/`Sequence`, never `dict`/`list`,
because during a real preview the engine wraps them in proxies that raise on unknown values (the
engine then reports "can't run policy during preview" instead of a false verdict).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class PlannedResource:
    """One resource as a rule sees it: its type token, name, URN, inputs, the inputs of the
    provider that manages it (for the AWS provider's `defaultTags`), if any, and the URNs of its
    parent and provider (the shared cost checks in `mlp.guardrails` walk parents to find the
    resources of an ML service)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    provider_props: Mapping[str, Any] | None = None
    parent: str | None = None
    provider: str | None = None

    @property
    def inputs(self) -> Mapping[str, Any]:
        """The props under the name `mlp.guardrails.ResourceView` reads."""
        return self.props


@dataclass(frozen=True)
class StackContext:
    """What a rule may know about the stack besides its resources: its name (read from the URNs,
    which carry it in both the engine and the offline plan), the rule's configuration (defaults
    merged with the policy pack's config), and today's date for support calendars."""

    stack: str
    config: Mapping[str, Any] = field(default_factory=dict)
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class Violation:
    """A finding of a stack rule: the message, and the resource it is about (None for the stack)."""

    message: str
    urn: str | None = None


def stack_of(urn: str) -> str:
    """The stack name in a URN: `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    head = urn.split("::", 1)[0]
    parts = head.split(":")
    if len(parts) < 3 or parts[0] != "urn" or parts[1] != "pulumi":
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    return parts[2]


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def dig(value: Any, *path: str | int) -> Any:
    """Follow `path` through nested mappings and sequences; None where a step is missing."""
    for step in path:
        if isinstance(step, int):
            if not is_sequence(value) or step >= len(value):
                return None
            value = value[step]
        else:
            if not is_mapping(value) or step not in value:
                return None
            value = value[step]
    return value


def items(value: Any) -> list[Any]:
    """A sequence input as a list (None and scalars give an empty list)."""
    return list(value) if is_sequence(value) else []


def truthy(value: Any) -> bool:
    """Booleans as the engine and the AWS schema spell them: `True`, or the string `"true"`
    (pulumi-aws types some flags as strings, e.g. a launch template's `ebs.encrypted`)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def as_number(value: Any, default: float) -> float:
    """A numeric input (the engine sends numbers as floats; some schemas use strings)."""
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def json_object(value: Any) -> Mapping[str, Any] | None:
    """A JSON document input (IAM policies, provider `defaultTags`), given as a string or already
    as an object; None when absent or not an object."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if is_mapping(value) else None
