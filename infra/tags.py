"""The cost-allocation tags every resource carries."""

from __future__ import annotations

from infra.settings import PlatformSettings

PROJECT = "ml-platform"
REQUIRED_TAG_KEYS = ("project", "environment", "team", "cost-center", "managed-by")
SERVICE_TAG_KEY = "service"
"""Carried, besides the required keys, by every resource that belongs to one ML service."""
COST_ALLOCATION_TAG_KEYS = (*REQUIRED_TAG_KEYS, SERVICE_TAG_KEY)


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
