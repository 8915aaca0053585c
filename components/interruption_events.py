"""What reaches the interruption queue: the EventBridge patterns and the queue's policy.

The five kinds of event are the ones the AWS Node Termination Handler acts on in queue-processor
mode (its README, "Queue Processor"; chart 0.27.6). Patterns are plain data so the drill
(`tests/components/test_interruption_drill.py`) can replay AWS's sample events against exactly
what the program declares.
"""

from __future__ import annotations

from collections.abc import Sequence

SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
REBALANCE_RECOMMENDATION = "EC2 Instance Rebalance Recommendation"
STATE_CHANGE = "EC2 Instance State-change Notification"
HEALTH_EVENT = "AWS Health Event"
TERMINATE_LIFECYCLE_ACTION = "EC2 Instance-terminate Lifecycle Action"

DRAINING_STATES = ("stopping", "stopped", "shutting-down", "terminated")
"""The instance states the handler drains on (`instanceStatesToDrain` in
pkg/monitor/sqsevent/ec2-state-change-event.go). It drops `pending` and `running`, so the rule
does not forward them: every launch in the account would otherwise cost a queue message and a
DescribeInstances call."""

QUEUE_RETENTION_SECONDS = 300
"""How long an undelivered notice is worth keeping: past five minutes the node is gone (the
handler's documented queue setting)."""

QUEUE_SENDERS = ("events.amazonaws.com", "sqs.amazonaws.com")


def spot_interruption_pattern() -> dict:
    """Every two-minute warning, whatever the action (terminate, stop or hibernate)."""
    return {"source": ["aws.ec2"], "detail-type": [SPOT_INTERRUPTION]}


def rebalance_recommendation_pattern() -> dict:
    """EC2's early signal that a spot instance is at elevated risk."""
    return {"source": ["aws.ec2"], "detail-type": [REBALANCE_RECOMMENDATION]}


def state_change_pattern() -> dict:
    """An instance stopping or terminating for any reason (the handler drains it if it is one
    of this cluster's managed nodes)."""
    return {
        "source": ["aws.ec2"],
        "detail-type": [STATE_CHANGE],
        "detail": {"state": list(DRAINING_STATES)},
    }


def scheduled_change_pattern() -> dict:
    """AWS Health scheduled maintenance of EC2 (retirement, reboot). Matching rests on
    top-level `detail` fields only; the affected instances sit in `detail.affectedEntities`, an
    array of objects, which the handler reads itself."""
    return {
        "source": ["aws.health"],
        "detail-type": [HEALTH_EVENT],
        "detail": {"service": ["EC2"], "eventTypeCategory": ["scheduledChange"]},
    }


def terminate_lifecycle_pattern(asg_names: Sequence[str]) -> dict:
    """A termination lifecycle action of one pool's Auto Scaling groups (one per zone). One rule
    per pool: the handler only hears about this cluster's groups, and each rule's
    `TriggeredRules` metric counts one pool's terminations, whatever zone they are in."""
    return {
        "source": ["aws.autoscaling"],
        "detail-type": [TERMINATE_LIFECYCLE_ACTION],
        "detail": {"AutoScalingGroupName": sorted(asg_names)},
    }


ACCOUNT_WIDE_PATTERNS = {
    "spot-interruption": spot_interruption_pattern,
    "rebalance": rebalance_recommendation_pattern,
    "state-change": state_change_pattern,
    "scheduled-change": scheduled_change_pattern,
}
"""Rules whose events name an instance but not its group; the handler's managed-tag check
decides which of those instances are its own."""


def queue_policy(queue_arn: str, rule_arns: Sequence[str]) -> dict:
    """Only this stack's rules may send, and only over TLS.

    Both service principals the handler documents are admitted, but only for messages whose
    `aws:SourceArn` is one of the rules, so no other rule or queue in the account can feed it.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InterruptionRulesSend",
                "Effect": "Allow",
                "Principal": {"Service": list(QUEUE_SENDERS)},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
