"""Reading `Pulumi.<stack>.yaml` into the config map the Pulumi engine would hand the program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.settings import ConfigError, ConfigProblem, stack_file_name
from mlp.trees import replace_matching

# What a secret config value looks like in the plan: the real value needs the stack's secrets
# provider, which an offline plan does not have.
SECRET_PLACEHOLDER = "[secret]"


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A YAML loader that refuses duplicate keys, which plain YAML silently collapses. Safe
    loading on libyaml's parser where PyYAML was built with it (ten times faster than the pure
    Python one; the constructors, and so the duplicate-key check, are the same)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class StackConfig:
    stack: str
    values: dict[str, str]
    secret_keys: list[str]


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _replace_secure(value: Any) -> tuple[Any, bool]:
    """Swap `{secure: ...}` leaves for the placeholder; report whether any was found."""
    return replace_matching(value, _is_secure, lambda _: SECRET_PLACEHOLDER)


def _as_engine_string(value: Any) -> str:
    """The engine passes scalars as strings and objects/arrays as JSON text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    """Parse the stack file; syntax errors and duplicate keys become a `ConfigError`."""
    name = stack_file_name(stack)
    path = project_dir / name
    if not path.is_file():
        raise ConfigError(name, [ConfigProblem("(file)", f"no stack file at {path}")])
    try:
        document = yaml.load(path.read_text(), Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(name, [ConfigProblem(f"(YAML syntax, {where})", str(problem))]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ConfigError(name, [ConfigProblem("config", "must be a mapping of keys to values")])
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, raw in (document.get("config") or {}).items():
        value, secret = _replace_secure(raw)
        values[str(key)] = _as_engine_string(value)
        if secret:
            secret_keys.append(str(key))
    return StackConfig(stack=stack, values=values, secret_keys=secret_keys)
