"""The shared internet-facing load balancer: its protection and its access logs."""

from __future__ import annotations

from pydantic import Field

from infra.settings.base import Section


class AccessLogSettings(Section):
    """ALB access logs, written by Elastic Load Balancing to an S3 bucket the stack owns."""

    enabled: bool = Field(
        True,
        description="Write access logs to the stack's bucket (SSE-S3, public access blocked, "
        "expired after `retentionDays`). Default `true`.",
    )
    retention_days: int = Field(
        90, ge=1, le=3650, description="Days a log object is kept before S3 expires it. Default `90`."
    )


class LoadBalancerSettings(Section):
    """The ALB that the exposed services share (one IngressGroup)."""

    deletion_protection: bool = Field(
        True,
        description="ELB refuses to delete the load balancer while on, so deleting an Ingress "
        "(or `pulumi destroy`) cannot take the public entry point down; turn it off first to "
        "tear the stack down. With it off, the access-log bucket is also deleted with its logs. "
        "Default `true`.",
    )
    access_logs: AccessLogSettings = Field(default_factory=AccessLogSettings, description="Access logs.")
