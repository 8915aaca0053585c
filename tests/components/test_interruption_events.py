"""Event patterns and the queue policy, as plain data (the drill replays real events)."""

from __future__ import annotations

from components.interruption_events import (
    ACCOUNT_WIDE_PATTERNS,
    DRAINING_STATES,
    queue_policy,
    terminate_lifecycle_pattern,
)


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
