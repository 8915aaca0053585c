"""DNS settings: the Route 53 hosted zone the exposed services' host names live in."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from infra.settings.base import Section

# Route 53 hosted zone ids ("Z" and upper-case letters and digits, e.g. Z0123456789ABCDEFGHIJ).
HOSTED_ZONE_ID = re.compile(r"^Z[0-9A-Z]{1,32}$")
ZONE_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class DnsSettings(Section):
    """A public hosted zone that exists outside the stack (its delegation from the parent
    domain is the account owner's). The stack requests one ACM certificate per exposed host,
    validates it with a record in this zone, and points the host at its load balancer."""

    hosted_zone_id: str = Field(
        description="Id of the public Route 53 hosted zone, e.g. `Z0123456789ABCDEFGHIJ`. It "
        "must be delegated (the parent domain's NS records point at it) before the first `up`, "
        "or certificate validation waits until it times out; ACM cannot validate in a private "
        "hosted zone. Required."
    )
    hosted_zone_name: str = Field(
        description="The zone's domain name, e.g. `ml-platform.example.com`; every exposed "
        "service's `host` must be in it. Required."
    )

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id(cls, value: str) -> str:
        if not HOSTED_ZONE_ID.match(value):
            raise ValueError("must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
        return value

    @field_validator("hosted_zone_name")
    @classmethod
    def _zone_name(cls, value: str) -> str:
        if not ZONE_NAME.match(value):
            raise ValueError("must be a lower-case domain name without a trailing dot, such as ml-platform.example.com")
        return value

    def holds(self, host: str) -> bool:
        """Whether `host` is the zone's apex or a name below it."""
        return host == self.hosted_zone_name or host.endswith("." + self.hosted_zone_name)
