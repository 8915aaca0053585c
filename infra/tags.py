"""The cost-allocation tags every resource carries."""

from __future__ import annotations

from infra.settings import PlatformSettings

PROJECT = "ml-platform"
REQUIRED_TAG_KEYS = ("project", "environment", "team", "cost-center", "managed-by")


def platform_tags(stack: str, settings: PlatformSettings) -> dict[str, str]:
    """Tags applied through the AWS provider's default tags, so every taggable resource gets
    them without each component repeating them."""
    return {
        "project": PROJECT,
        "environment": stack,
        "team": settings.tags.team,
        "cost-center": settings.tags.cost_center,
        "managed-by": "pulumi",
    }
