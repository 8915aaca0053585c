"""The base model for every settings section: strict, frozen, camelCase in the stack file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Section(BaseModel):
    """A block of stack configuration.

    Keys are written in camelCase in `Pulumi.<stack>.yaml` (the Pulumi convention) and read into
    snake_case attributes. Unknown keys are refused so that a typo never passes silently, and
    values are not coerced across types (a quoted "2" is not a number).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
        validate_default=True,
    )
