"""Turn a stack's raw Pulumi config into validated `PlatformSettings`, or one clear error."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from infra.settings.errors import ConfigError, ConfigProblem
from infra.settings.platform import PlatformSettings
from infra.settings.rules import KeyRuleError

NAMESPACE = "ml-platform"
# Namespaces a stack file may use besides ours. `pulumi:` holds engine settings such as
# disable-default-providers. `aws:` and `kubernetes:` are refused: the program declares its own
# providers from `ml-platform:` settings, so a value there would be silently ignored.
_ENGINE_NAMESPACES = ("pulumi",)


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def _decode(raw: Any) -> Any:
    """Decode a value as the Pulumi language host passes it: objects and arrays arrive as JSON
    text, scalars as strings."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _alias(model: type[BaseModel], name: str) -> str:
    field = model.model_fields.get(name)
    return (field.alias or name) if field else name


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return sorted(field.alias or name for name, field in model.model_fields.items())


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The settings model that owns the key at `loc` (aliases), used to list allowed keys."""
    model: Any = PlatformSettings
    map_key_next = False
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        if map_key_next:
            # The name of an entry of a `dict[str, Model]` section (e.g. a service's name).
            map_key_next = False
            continue
        field = next(
            (f for n, f in model.model_fields.items() if (f.alias or n) == part or n == part),
            None,
        )
        if field is None:
            return None
        model = _innermost_model(field.annotation)
        map_key_next = getattr(field.annotation, "__origin__", None) is dict
    return model


def _innermost_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _innermost_model(arg)
        if found is not None:
            return found
    return None


def _key_path(loc: tuple[Any, ...]) -> str:
    path = f"{NAMESPACE}:"
    for index, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif index == 0:
            path += str(part)
        else:
            path += f".{part}"
    return path


def _problem(error: Mapping[str, Any]) -> ConfigProblem:
    loc = tuple(error["loc"])
    kind = error["type"]
    context_error = (error.get("ctx") or {}).get("error")
    if isinstance(context_error, KeyRuleError):
        extra = tuple(context_error.key.split(".")) if context_error.key else ()
        return ConfigProblem(
            _key_path(loc + extra),
            str(context_error),
            context_error.value,
            context_error.has_value,
        )
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(_model_at(loc)))
        return ConfigProblem(_key_path(loc), f"unknown key; allowed keys here: {allowed}")
    if kind == "missing":
        return ConfigProblem(_key_path(loc), "is required but not set")
    message = error["msg"].removeprefix("Value error, ")
    return ConfigProblem(_key_path(loc), message, error.get("input"), True)


def _secret_values(model: BaseModel, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Alias paths of every secret-typed setting (`SecretStr`) that is set."""
    found: list[tuple[str, ...]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        here = (*path, field.alias or name)
        if isinstance(value, SecretStr):
            found.append(here)
        elif isinstance(value, BaseModel):
            found += _secret_values(value, here)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    found += _secret_values(item, (*here, str(key)))
    return found


def _plain_text_secrets(settings: PlatformSettings, secret_keys: Collection[str]) -> list[ConfigProblem]:
    """A secret-typed value whose key the engine did not receive as a secret was written in
    plain text in the stack file: refuse it rather than deploy a credential from git."""
    problems = []
    for path in _secret_values(settings):
        if f"{NAMESPACE}:{path[0]}" not in secret_keys:
            key_path = _key_path(path)
            problems.append(
                ConfigProblem(
                    key_path,
                    "is a secret but is stored in plain text; remove it from the stack file and set it "
                    f"with `pulumi config set --secret --path '{key_path}' <value>`",
                )
            )
    return problems


def load_settings(
    stack: str, config: Mapping[str, Any], secret_keys: Collection[str] = ()
) -> PlatformSettings:
    """Validate a stack's config (`{"ml-platform:network": "<json>", ...}`) into settings.

    `secret_keys` are the config keys the engine marks secret; a secret-typed setting under any
    other key is refused. Raises `ConfigError` naming `Pulumi.<stack>.yaml` and every offending
    key path.
    """
    stack_file = stack_file_name(stack)
    problems: list[ConfigProblem] = []
    sections: dict[str, Any] = {}
    for full_key, raw in sorted(config.items()):
        namespace, _, key = full_key.partition(":")
        if namespace == NAMESPACE:
            sections[key] = _decode(raw)
        elif namespace not in _ENGINE_NAMESPACES:
            problems.append(
                ConfigProblem(
                    full_key,
                    f"unknown namespace {namespace!r}: every platform setting lives under "
                    f"'{NAMESPACE}:' (the program declares its own providers, so "
                    f"'{namespace}:' keys would be ignored)",
                )
            )
    try:
        # JSON mode: the engine hands config over as JSON, and strict JSON validation accepts
        # arrays for tuples while still refusing "2" for a number.
        settings = PlatformSettings.model_validate_json(json.dumps(sections))
    except ValidationError as exc:
        problems += [_problem(error) for error in exc.errors()]
        raise ConfigError(stack_file, problems) from None
    problems += _plain_text_secrets(settings, secret_keys)
    if problems:
        raise ConfigError(stack_file, problems)
    return settings
