"""The handler's Helm values and permissions, as plain data."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.interruption.drain_budget import DrainBudget
from components.interruption.termination_handler import (
    CHART_VERSION,
    MANAGED_INSTANCE_TAGS,
    NTH_MANAGED_TAG,
    handler_policy,
    handler_values,
)
from tests.helm_chart_keys import chart_keys, key_file, unknown_paths

CHART_KEYS, OPEN_MAPS = chart_keys(key_file("aws-node-termination-handler", CHART_VERSION))
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/interruption"


def _values(**overrides):
    args = {
        "queue_url": QUEUE_URL,
        "region": "us-east-1",
        "role_arn": "arn:aws:iam::123456789012:role/nth",
        "budget": DrainBudget(node_drain_seconds=90, pod_grace_seconds=-1),
    }
    args.update(overrides)
    return handler_values(**args)


@pytest.mark.parametrize("webhook", [None, "nth-webhook"])
def test_every_value_is_a_key_of_the_pinned_chart(webhook):
    """Helm ignores unknown keys, so a typo would silently fall back to a default."""
    values = _values(webhook_secret_name=webhook)
    assert unknown_paths(values, CHART_KEYS, OPEN_MAPS) == []


def test_webhook_is_referenced_by_secret_name_only():
    values = _values(webhook_secret_name="nth-webhook")
    assert values["webhookURLSecretName"] == "nth-webhook"
    assert "webhookURL" not in values
    assert "webhookURLSecretName" not in _values()


def test_imds_mode_keys_are_not_used():
    """Queue mode ignores the IMDS-only switches (chart README); setting them would mislead."""
    values = _values()
    assert not [key for key in values if key.startswith(("enableSpot", "enableRebalance", "enableScheduled", "enableASG"))]


def test_the_managed_tag_is_the_one_the_handler_checks():
    assert _values()["managedTag"] == NTH_MANAGED_TAG == "aws-node-termination-handler/managed"
    assert set(MANAGED_INSTANCE_TAGS) == {NTH_MANAGED_TAG}


def test_lifecycle_grant_names_the_groups():
    groups = ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/b",
              "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:2:autoScalingGroupName/a"]
    statements = handler_policy("arn:aws:sqs:us-east-1:123456789012:q", groups)["Statement"]
    (lifecycle,) = [s for s in statements if "autoscaling:CompleteLifecycleAction" in s["Action"]]
    assert lifecycle["Resource"] == sorted(groups)
    assert not any(s["Resource"] == "*" and any(a.startswith(("sqs:", "autoscaling:Complete", "autoscaling:Record")) for a in s["Action"]) for s in statements)
