"""The engine's rule for disabled default providers, as the offline plan enforces it.

With `pulumi:disable-default-providers` in a stack's config, the Pulumi engine refuses to make a
default provider for the listed packages (`*` for all). A registration that would need one then
fails: a custom resource at its first step, a remote component at registration (before its
provider's `Construct` runs), an invoke or a read when it is served. Mirrored here from pulumi/pulumi
v3.259.0:

- `pkg/resource/deploy/default_providers.go`, `shouldDenyRequest`: the package `pulumi` is never
  denied; the config value is JSON text of a list of strings (an empty string lists nothing), each
  entry trimmed, and `*` or the package's name denies it.
- `pkg/resource/deploy/source_eval.go`, `RegisterResource`: a provider is resolved, and a default
  one requested, only for `custom && !IsProviderType(t) || remote`, so component resources that are
  not remote and provider resources themselves are exempt. `resolveProvider` takes the explicit
  provider, else the `providers` map's entry for the package, else the entry of the parent
  component's providers (each component registration records its own `providers`, merged with its
  component parent's). `Invoke` resolves the same way (without a `providers` map), `ReadResource`
  takes the explicit provider only.
- The message is `diag.GetDefaultProviderDenied` (`sdk/go/common/diag/errors.go`, code 2015):
  "Default provider for '<package>' disabled. '<resource or token>' must use an explicit provider."
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from mlp.wording import plural

CONFIG_KEY = "pulumi:disable-default-providers"
ALWAYS_ALLOWED = "pulumi"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"


class DefaultProviderConfigError(ValueError):
    """`pulumi:disable-default-providers` is not what the engine can read."""


@dataclass(frozen=True)
class DefaultProviderPolicy:
    """Which packages may not fall back on a default provider."""

    denied: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> DefaultProviderPolicy:
        """Read the config the engine reads (the engine hands it over as JSON text)."""
        raw = config.get(CONFIG_KEY)
        if raw is None or raw == "":
            return cls()
        try:
            entries = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DefaultProviderConfigError(f"Failed to parse {raw}: {exc}") from None
        if not isinstance(entries, list):
            raise DefaultProviderConfigError(f"Unexpected encoding of {CONFIG_KEY}")
        denied = set()
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                raise DefaultProviderConfigError(f"{CONFIG_KEY}[{index}] must be a string")
            denied.add(entry.strip())
        return cls(frozenset(denied))

    def denies(self, package: str) -> bool:
        if package == ALWAYS_ALLOWED:
            return False
        return "*" in self.denied or package in self.denied


def package_of(token: str) -> str:
    """The package of a resource type or function token (`eks:index:Cluster` -> `eks`)."""
    return token.split(":", 1)[0]


def is_provider_type(type_: str) -> bool:
    return type_.startswith(PROVIDER_TYPE_PREFIX)


def needs_provider(type_: str, custom: bool, remote: bool) -> bool:
    """Whether the engine resolves a provider for this registration (`source_eval.go`)."""
    return (custom and not is_provider_type(type_)) or remote


def denied_message(package: str, subject: str) -> str:
    """The engine's words (`diag.GetDefaultProviderDenied`)."""
    return f"Default provider for '{package}' disabled. '{subject}' must use an explicit provider."


class DefaultProviderDenied(Exception):
    """Registrations the engine would refuse; `mlp plan` stops on them as `pulumi up` would."""

    def __init__(self, refusals: list[str]):
        self.refusals = refusals
        lines = [f"the engine would refuse {plural(len(refusals), 'registration')} (pulumi:disable-default-providers):"]
        lines += [f"  - {refusal}" for refusal in refusals]
        super().__init__("\n".join(lines))
