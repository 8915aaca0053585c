"""Reading the stack's config from the Pulumi runtime: the one place the program touches it."""

from __future__ import annotations

from typing import Any

from pulumi.runtime import config as runtime_config

from infra.settings import PlatformSettings, load_settings


def current_stack_config() -> dict[str, Any]:
    """All config keys the engine handed the program (`pulumi up`), or that `mlp plan` set from
    the stack file: the same call either way."""
    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def current_secret_keys() -> set[str]:
    """The config keys the engine marks secret (set with `pulumi config set --secret`)."""
    return set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())


def read_settings(stack: str) -> PlatformSettings:
    """Validate the whole config once; raises `ConfigError` before anything is declared."""
    return load_settings(stack, current_stack_config(), current_secret_keys())
