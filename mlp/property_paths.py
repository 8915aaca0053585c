"""Pulumi property paths (`ignoreChanges` entries such as `desiredCapacity`, `scalingConfig.desiredSize`,
`tags["kubernetes.io/cluster"]`, `rules[*].priority`) and what the engine does with them on an
update: every ignored path of the new inputs is set back to its old value, so the provider never
sees a change there.

A port of the pulumi/pulumi engine, v3.259.0: `parsePropertyPath` and `PropertyPath.reset` in
`sdk/go/common/resource/properties_path.go`, applied by `processIgnoreChanges` in
`pkg/resource/deploy/step_generator.go` with the NEW registration's `ignoreChanges` (the goal's,
not the old state's). Pulumi's Python SDK has no parser of its own, so this one follows the Go
code branch by branch; the engine's "cannot ignore changes in added or removed elements" notice
(a path `reset` refuses) is where the change stays visible here too.
"""

from __future__ import annotations

import copy
from typing import Any

PathElement = str | int
WILDCARD = "*"


class PropertyPathError(ValueError):
    """A path the engine cannot parse (it then skips the entry, `processIgnoreChanges`)."""


def parse_property_path(path: str) -> list[PathElement]:
    """`parsePropertyPath(path, strict=False)`: names up to the next `.` or `[`, `[n]` indexes,
    `["quoted"]` keys (with `\\"` escapes), and `[*]` wildcards."""
    if path.startswith("."):
        raise PropertyPathError("expected property path to start with a name or index")
    elements: list[PathElement] = []
    rest = path
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise PropertyPathError("expected property path to end with a name or index")
        elif rest[0] == "[":
            if len(rest) > 1 and rest[1] == '"':
                key, i = [], 2
                while True:
                    if i >= len(rest):
                        raise PropertyPathError("missing closing quote in property name")
                    if rest[i] == '"':
                        i += 1
                        break
                    if rest[i] == "\\" and i + 1 < len(rest) and rest[i + 1] == '"':
                        key.append('"')
                        i += 2
                    else:
                        key.append(rest[i])
                        i += 1
                if i >= len(rest) or rest[i] != "]":
                    raise PropertyPathError("missing closing bracket in property access")
                elements.append("".join(key))
                rest = rest[i + 1 :]
            else:
                close = rest.find("]")
                if close == -1:
                    raise PropertyPathError("missing closing bracket in array index")
                segment = rest[1:close]
                if segment == WILDCARD:
                    elements.append(WILDCARD)
                else:
                    try:
                        elements.append(int(segment))
                    except ValueError as error:
                        raise PropertyPathError(f"invalid array index: {segment!r}") from error
                rest = rest[close + 1 :]
        else:
            end = next((i for i, c in enumerate(rest) if c in ".["), len(rest))
            elements.append(rest[:end])
            rest = rest[end:]
    return elements


def _reset(path: list[PathElement], old: Any, new: Any) -> bool:
    """`PropertyPath.reset`: `new` (changed in place) takes `old`'s value at `path`; False where
    the engine reports a path error (the element was added or removed)."""
    if not path:
        return False
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        if key < 0:
            return False
        old_list, new_list = isinstance(old, list), isinstance(new, list)
        if not rest:
            if not old_list and not new_list:
                return True
            if not old_list or not new_list:
                return False
            if key >= len(old) and key >= len(new):
                return True
            if key >= len(old) or key >= len(new):
                return False
            new[key] = copy.deepcopy(old[key])
            return True
        if not old_list or not new_list:
            return not old_list and not new_list
        if key >= len(old) or key >= len(new):
            return False
        return _reset(rest, old[key], new[key])
    if key == WILDCARD:
        if not rest:
            if isinstance(new, dict):
                if isinstance(old, dict):
                    new.clear()
                    new.update(copy.deepcopy(old))
                return True
            if isinstance(new, list):
                if isinstance(old, list):
                    for i in range(min(len(old), len(new))):
                        new[i] = copy.deepcopy(old[i])
                    return len(old) == len(new)
                return True
            return False
        if isinstance(old, dict) and isinstance(new, dict):
            return all(k in new and _reset(rest, old[k], new[k]) for k in old)
        if isinstance(old, list) and isinstance(new, list):
            paired = all(_reset(rest, o, n) for o, n in zip(old, new, strict=False))
            return paired and len(old) == len(new)
        return False
    if not rest:
        if isinstance(old, dict) and key in old:
            if not isinstance(new, dict):
                return False
            new[key] = copy.deepcopy(old[key])
        elif isinstance(new, dict):
            new.pop(key, None)
        return True
    if not isinstance(old, dict) or not isinstance(new, dict):
        return not isinstance(old, dict) and not isinstance(new, dict)
    if key in old and key not in new:
        return False
    if key not in old and key not in new:
        return True
    return _reset(rest, old.get(key), new[key])


def with_ignored_changes(new: dict[str, Any], old: dict[str, Any], ignore_changes: list[str]) -> dict[str, Any]:
    """`new` as the engine diffs it against `old`: a copy with every `ignore_changes` path set
    back to its old value (or dropped where the old inputs have none). An unparsable path is
    skipped, and one the engine refuses leaves that part of the change, as `pulumi up` does."""
    ignored = copy.deepcopy(new)
    for entry in ignore_changes:
        try:
            path = parse_property_path(entry)
        except PropertyPathError:
            continue
        _reset(path, old, ignored)
    return ignored
