"""A way for cross-field rules to point at the exact key they are about."""

from __future__ import annotations


class KeyRuleError(ValueError):
    """A cross-field rule failed; `key` is the path, relative to the model that raised it, of the
    key the user should change (camelCase, dot-separated, as written in the stack file)."""

    def __init__(self, key: str, message: str, value: object = None, has_value: bool = True):
        super().__init__(message)
        self.key = key
        self.value = value
        self.has_value = has_value


def refuse_repeats(values: tuple[str, ...]) -> None:
    """Raise when a list setting names an entry twice, naming each repeated entry."""
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(repeated)} more than once")
