"""Event patterns and the queue policy, as plain data (the drill replays real events)."""

from __future__ import annotations

import pytest

from components.interruption.interruption_events import (
    DRAINING_STATES,
    REBALANCE_RECOMMENDATION,
    SPOT_INTERRUPTION,
    account_wide_patterns,
    queue_policy,
    spot_notice_source_problem,
    terminate_lifecycle_pattern,
)

ACCOUNT_WIDE_PATTERNS = account_wide_patterns(spot_without_capacity_rebalance=True)
"""Every account-wide kind (the set declared for groups without Capacity Rebalancing)."""


def test_account_wide_rules_listen_to_aws_sources_only():
    for kind, pattern in ACCOUNT_WIDE_PATTERNS.items():
        assert pattern()["source"][0].startswith("aws."), kind


def test_state_change_forwards_only_states_the_handler_drains():
    assert set(ACCOUNT_WIDE_PATTERNS["state-change"]()["detail"]["state"]) == set(DRAINING_STATES)
    assert "pending" not in DRAINING_STATES and "running" not in DRAINING_STATES


def test_no_pattern_relies_on_arrays_of_objects():
    """moto cannot match inside arrays of objects (e.g. Health's affectedEntities), so the drill
    would not prove such a pattern; keep every pattern to scalar fields."""

    def leaves(node, path=()):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from leaves(value, (*path, key))
        else:
            assert isinstance(node, list) and all(isinstance(item, str) for item in node), path
            yield path

    patterns = [pattern() for pattern in ACCOUNT_WIDE_PATTERNS.values()] + [terminate_lifecycle_pattern(["g-a", "g-b"])]
    paths = [path for pattern in patterns for path in leaves(pattern)]
    assert ("detail", "affectedEntities") not in [p[:2] for p in paths]


def test_lifecycle_pattern_names_one_group():
    zonal = ["mlp-general-us-east-1b", "mlp-general-us-east-1a"]
    assert terminate_lifecycle_pattern(zonal)["detail"] == {"AutoScalingGroupName": sorted(zonal)}


def test_queue_policy_denies_plain_http_and_pins_the_rules():
    rules = ["arn:aws:events:us-east-1:1:rule/b", "arn:aws:events:us-east-1:1:rule/a"]
    allow, deny = queue_policy("arn:aws:sqs:us-east-1:1:q", rules)["Statement"]
    assert allow["Principal"] != "*" and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == sorted(rules)
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"


def _detail_types(patterns):
    return {detail for pattern in patterns.values() for detail in pattern()["detail-type"]}


def test_capacity_rebalance_leaves_ec2_spot_warnings_to_the_lifecycle_hook():
    """With Capacity Rebalancing the group's terminate lifecycle action is the notice (NTH
    README, "Create Amazon EventBridge Rules"): no spot-warning or rebalance rule."""
    with_rebalance = _detail_types(account_wide_patterns(spot_without_capacity_rebalance=False))
    assert SPOT_INTERRUPTION not in with_rebalance and REBALANCE_RECOMMENDATION not in with_rebalance
    # State changes and Health scheduled changes never reach a lifecycle hook first: kept.
    assert set(account_wide_patterns(spot_without_capacity_rebalance=False)) == {"state-change", "scheduled-change"}


def test_without_capacity_rebalance_ec2_warnings_are_forwarded():
    without = _detail_types(account_wide_patterns(spot_without_capacity_rebalance=True))
    assert {SPOT_INTERRUPTION, REBALANCE_RECOMMENDATION} <= without


@pytest.mark.parametrize(
    ("groups", "refused"),
    [
        ([("a", True, True), ("b", True, True)], False),
        ([("a", True, False), ("b", True, False)], False),
        ([("a", True, True), ("od", False, False)], False),  # on-demand groups get no spot warning
        ([("a", True, True), ("b", True, False)], True),
    ],
)
def test_spot_groups_must_agree_on_capacity_rebalance(groups, refused):
    problem = spot_notice_source_problem(groups)
    assert (problem is not None) == refused, problem
    if refused:
        assert "on: a" in problem and "off: b" in problem
