"""Which AWS resources carry tags, read from the AWS provider's own SDK rather than a hand list.

A pulumi-aws resource class that has a `tags_all` output is one the provider's `defaultTags`
reach (the engine merges them into `tagsAll`), so its required tags may come from either its own
`tags` or the provider. An Auto Scaling group is the notable exception: its `tags` are a list of
`{key, value, propagateAtLaunch}` blocks that default tags do not reach, so it must carry them
itself (and propagate them, so the instances it launches are attributed too).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from functools import cache
from typing import Any

from mlplatform_policy.resources import PlannedResource, is_mapping, items, json_object

REQUIRED_TAG_KEYS = ("project", "environment", "team", "cost-center", "managed-by")
AUTOSCALING_GROUP = "aws:autoscaling/group:Group"


@cache
def takes_default_tags(type_token: str) -> bool:
    """True for an `aws:` resource type whose pulumi-aws class has `tags_all`."""
    package, _, rest = type_token.partition(":")
    if package != "aws" or "/" not in rest or ":" not in rest:
        return False
    module_path, _, class_name = rest.partition(":")
    module_name = module_path.split("/", 1)[0]
    # Importing a module (lazily, on first attribute access) announces its deprecated resources.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            module = importlib.import_module(f"pulumi_aws.{module_name}")
            resource_class = getattr(module, class_name, None)
        except ImportError:
            return False
        return resource_class is not None and hasattr(resource_class, "tags_all")


def provider_default_tags(provider_props: Mapping[str, Any] | None) -> dict[str, str]:
    """The AWS provider's `defaultTags.tags` (the engine passes `defaultTags` as a JSON string)."""
    if not provider_props:
        return {}
    default_tags = json_object(provider_props.get("defaultTags"))
    tags = default_tags.get("tags") if default_tags else None
    return dict(tags) if is_mapping(tags) else {}


def effective_tags(resource: PlannedResource) -> dict[str, str]:
    """The tags the resource ends up with: the provider's default tags, overlaid by its own."""
    own = resource.props.get("tags")
    return {**provider_default_tags(resource.provider_props), **(dict(own) if is_mapping(own) else {})}


def missing_tags(resource: PlannedResource) -> list[str] | None:
    """The required keys the resource lacks (empty or blank values count as missing), or None
    when the resource type carries no tags."""
    if resource.type == AUTOSCALING_GROUP:
        present = {
            str(tag.get("key")): tag.get("value")
            for tag in items(resource.props.get("tags"))
            if is_mapping(tag) and tag.get("propagateAtLaunch") in (True, "true")
        }
    elif takes_default_tags(resource.type):
        present = effective_tags(resource)
    else:
        return None
    return [key for key in REQUIRED_TAG_KEYS if not str(present.get(key) or "").strip()]
