"""Where alarms and budget alerts are sent."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from infra.settings.base import Section

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AlertSettings(Section):
    """The platform alert topic's subscribers."""

    emails: tuple[str, ...] = Field(
        (), description="Email addresses subscribed to the alert topic. Default none."
    )

    @field_validator("emails")
    @classmethod
    def _valid_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [address for address in value if not _EMAIL.match(address)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return value
