"""Pulumi property paths (`ignoreChanges` entries such as `desiredCapacity`,
`scalingConfig.desiredSize`, `tags["kubernetes.io/cluster"]`, `rules[*].priority`) and what an
update does with them: the engine diffs a resource's new inputs only after setting every ignored
path back to its old value, so the provider never sees a change there (Pulumi docs, resource
option `ignoreChanges`; pulumi/pulumi v3.259.0 `pkg/resource/deploy/step_generator.go`,
`processIgnoreChanges`, with the new registration's list).

The grammar is the one the option documents: names separated by `.`, `[n]` list indexes,
`["key"]` for keys with dots or other punctuation (`\\"` inside), and `[*]` for every element.
Where a path runs through an element only one side has (an item added to a list), the engine
cannot ignore it and reports the change; so does this.
"""

from __future__ import annotations

import copy
import re
from typing import Any

PathElement = str | int
WILDCARD = "*"

# One element of a path: `.name` (no dot before the first), `[123]`, `[*]` or `["quoted key"]`.
_ELEMENT = re.compile(r'(?P<dot>\.)?(?P<name>[^.\["\]]+)|\[(?P<index>\d+|\*)\]|\["(?P<quoted>(?:[^"\\]|\\.)*)"\]')


class PropertyPathError(ValueError):
    """A path that does not follow the grammar; the engine skips such an entry with a warning."""


def parse_property_path(path: str) -> list[PathElement]:
    """The elements of `path`: names and quoted keys as strings, indexes as ints, `[*]` as `*`."""
    elements: list[PathElement] = []
    position = 0
    while position < len(path):
        match = _ELEMENT.match(path, position)
        if match is None or bool(match["dot"]) != (position > 0 and match["name"] is not None):
            raise PropertyPathError(f"property path {path!r}: unexpected text at {path[position:]!r}")
        if match["name"] is not None:
            elements.append(match["name"])
        elif match["index"] is not None:
            elements.append(WILDCARD if match["index"] == WILDCARD else int(match["index"]))
        else:
            elements.append(re.sub(r"\\(.)", r"\1", match["quoted"]))
        position = match.end()
    if not elements:
        raise PropertyPathError("an empty property path")
    return elements


def _keys(old: Any, new: Any, element: PathElement) -> list[PathElement] | None:
    """The keys or indexes `element` selects in both containers; None where the containers differ
    in kind or the element exists on one side only (the change cannot be ignored there)."""
    if isinstance(old, dict) and isinstance(new, dict):
        if element == WILDCARD:
            return [key for key in old if key in new]
        if isinstance(element, str):
            return [element] if element in old and element in new else (None if element in old or element in new else [])
        return None
    if isinstance(old, list) and isinstance(new, list):
        if element == WILDCARD:
            return list(range(min(len(old), len(new))))
        if isinstance(element, int):
            inside = (element < len(old), element < len(new))
            return [element] if all(inside) else (None if any(inside) else [])
        return None
    return [] if old is None and new is None else None


def _restore(path: list[PathElement], old: Any, new: Any) -> None:
    """Set `new` (in place) back to `old` at `path` wherever both sides have it."""
    element, rest = path[0], path[1:]
    if not rest and element == WILDCARD and isinstance(old, dict) and isinstance(new, dict):
        # A trailing `[*]` on a map ignores the whole map: keys added or removed included.
        new.clear()
        new.update(copy.deepcopy(old))
        return
    if not rest and isinstance(element, str) and element != WILDCARD and isinstance(new, dict):
        # The last name: the old value comes back, or the key goes if the old inputs had none.
        if isinstance(old, dict) and element in old:
            new[element] = copy.deepcopy(old[element])
        elif not isinstance(old, dict) or element not in old:
            new.pop(element, None)
        return
    for key in _keys(old, new, element) or ():
        if rest:
            _restore(rest, old[key], new[key])
        else:
            new[key] = copy.deepcopy(old[key])


def with_ignored_changes(new: dict[str, Any], old: dict[str, Any], ignore_changes: list[str]) -> dict[str, Any]:
    """A copy of `new` as the engine diffs it against `old`: every `ignore_changes` path set back
    to its old value (dropped where the old inputs have none). A malformed path changes nothing."""
    ignored = copy.deepcopy(new)
    for entry in ignore_changes:
        try:
            path = parse_property_path(entry)
        except PropertyPathError:
            continue
        _restore(path, old, ignored)
    return ignored
