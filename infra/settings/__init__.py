"""Typed, validated stack settings. `load_settings` is the only way the program reads config."""

from infra.settings.errors import ConfigError, ConfigProblem
from infra.settings.loader import NAMESPACE, load_settings, stack_file_name
from infra.settings.platform import PlatformSettings

__all__ = [
    "NAMESPACE",
    "ConfigError",
    "ConfigProblem",
    "PlatformSettings",
    "load_settings",
    "stack_file_name",
]
