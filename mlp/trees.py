"""Walks over JSON-shaped values (dicts, lists, leaves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def replace_matching(
    value: Any, matches: Callable[[Any], bool], replacement: Callable[[Any], Any]
) -> tuple[Any, bool]:
    """`value` with every node for which `matches` holds swapped for `replacement(node)` (its
    insides are not walked), and whether any node matched. Dicts and lists are rebuilt; other
    values are returned as they are."""
    if matches(value):
        return replacement(value), True
    if isinstance(value, dict):
        found = False
        result = {}
        for key, item in value.items():
            result[key], inner = replace_matching(item, matches, replacement)
            found = found or inner
        return result, found
    if isinstance(value, list):
        pairs = [replace_matching(item, matches, replacement) for item in value]
        return [item for item, _ in pairs], any(found for _, found in pairs)
    return value, False
