"""`KarpenterInterruptionQueue` declared under the mocks: one encrypted queue fed by one rule per
kind Karpenter acts on, admitting only those rules over TLS, watched by an age alarm; AWS's sample
events replayed through it land exactly as Karpenter needs them."""

from __future__ import annotations

import json

import pytest

from components.interruption.interruption_events import QUEUE_RETENTION_SECONDS
from components.karpenter.karpenter_interruption_queue import (
    KarpenterInterruptionQueue,
    KarpenterInterruptionQueueArgs,
)
from tests.components.interruption.test_interruption_drill import KARPENTER_LANDS, run_drill

TOPIC = "arn:aws:sns:us-east-1:123456789012:mlp-unit-alarms"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"


def _queue(declare, **overrides):
    args = KarpenterInterruptionQueueArgs(alarm_topic_arn=TOPIC, **overrides)
    return declare(lambda: KarpenterInterruptionQueue("karpenter-interruption", args))


def test_queue_admits_only_karpenters_rules_over_tls(declare):
    inventory = _queue(declare)
    (policy,) = inventory.of_type("aws:sqs/queuePolicy:QueuePolicy")
    document = json.loads(policy.inputs["policy"])
    allow, deny = document["Statement"]
    rules = inventory.of_type(RULE)
    assert len(rules) == 4
    assert len(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == len(rules)
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_rule_feeds_the_one_encrypted_queue(declare):
    inventory = _queue(declare)
    (queue,) = inventory.of_type("aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True, f"{queue.name} is not encrypted"
    assert queue.inputs["messageRetentionSeconds"] == QUEUE_RETENTION_SECONDS, queue.name
    rules = {r.urn: r for r in inventory.of_type(RULE)}
    targets = inventory.of_type(TARGET)
    assert sorted(t.parent for t in targets) == sorted(rules), "a rule has no target, or two"
    for target in targets:
        assert queue.urn in target.dependencies, f"{target.name} does not send to {queue.name}"


def test_aws_sample_events_land_exactly_as_karpenter_needs_them(declare):
    failures = run_drill(_queue(declare), worker_groups=False, lands=KARPENTER_LANDS)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("seconds", [180, QUEUE_RETENTION_SECONDS - 1])
def test_the_age_alarm_fires_before_messages_expire(declare, seconds):
    (alarm,) = _queue(declare, queue_age_alarm_seconds=seconds).of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarm.inputs["metricName"] == "ApproximateAgeOfOldestMessage", alarm.name
    assert alarm.inputs["threshold"] == seconds, f"{alarm.name}: {alarm.inputs['threshold']}"
    assert alarm.inputs["alarmActions"] == [TOPIC], f"{alarm.name} notifies {alarm.inputs['alarmActions']}"


def test_an_alarm_after_the_retention_is_refused(declare):
    with pytest.raises(ValueError, match="retention"):
        _queue(declare, queue_age_alarm_seconds=QUEUE_RETENTION_SECONDS)
