"""What reaches the interruption queue: the EventBridge patterns and the queue's policy.

The five kinds of event are the ones the AWS Node Termination Handler acts on in queue-processor
mode (its README, "Queue Processor"; chart 0.27.6 = NTH v1.25.6). Which of them get a rule depends
on the worker groups' Capacity Rebalancing (`account_wide_patterns`). Patterns are plain data so
the drill (`tests/components/interruption/test_interruption_drill.py`) can replay AWS's sample events against
exactly what the program declares.

What the handler does with each kind in queue-processor mode (NTH v1.25.6,
pkg/monitor/sqsevent/sqs-monitor.go `processEventBridgeEvent`, and
pkg/interruptionevent/draincordon/handler.go `HandleEvent`): every kind becomes an interruption
event that is cordoned AND drained at once (the cordon-only branch for rebalance recommendations
applies only outside queue mode, `!EnableSQSTerminationDraining`). Only the terminate lifecycle
action (pkg/monitor/sqsevent/asg-lifecycle-event.go) also holds the group: heartbeats while
draining, then CompleteLifecycleAction CONTINUE. A spot warning or rebalance recommendation names
an instance, never its group, so a rule for them cannot be limited to some groups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


LIFECYCLE_COVERED_KINDS = ("spot-interruption", "rebalance")
"""Rules a group with Capacity Rebalancing does not need. The handler's README ("Create Amazon
EventBridge Rules", v1.25.6): with capacity-rebalance on, the group sends a termination lifecycle
action for a spot interruption while it launches the replacement, and for a rebalance
recommendation after the replacement is in service
(https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-capacity-rebalancing.html).
Forwarding EC2's own events as well would drain a node on a rebalance recommendation before any
replacement exists, and handle every reclaim twice."""

_ALL_ACCOUNT_WIDE: dict[str, Callable[[], dict]] = {
    "spot-interruption": spot_interruption_pattern,
    "rebalance": rebalance_recommendation_pattern,
    "state-change": state_change_pattern,
    "scheduled-change": scheduled_change_pattern,
}


def account_wide_patterns(*, spot_without_capacity_rebalance: bool) -> dict[str, Callable[[], dict]]:
    """Rules whose events name an instance but not its group, by kind; the handler's managed-tag
    check decides which of those instances are its own.

    State changes and AWS Health scheduled changes always get a rule: neither reaches a group's
    lifecycle hook before the instance goes (a stop, a retirement). The spot warning and the
    rebalance recommendation get one only when a worker group carries spot without Capacity
    Rebalancing: such a group learns of a reclaim only as the instance dies ("If we use ASG
    without capacity-rebalance enabled, then spot interruptions will cause a termination
    lifecycle hook after the interruption occurs", same README), so EC2's warning is the only
    notice in time."""
    return {
        kind: pattern
        for kind, pattern in _ALL_ACCOUNT_WIDE.items()
        if spot_without_capacity_rebalance or kind not in LIFECYCLE_COVERED_KINDS
    }


def spot_notice_source_problem(groups: Sequence[tuple[str, bool, bool]]) -> str | None:
    """Why the groups' spot notices cannot be delivered once each, or None. `groups` holds
    (name, carries_spot, capacity_rebalance). The spot and rebalance rules are account-wide and
    their events name no group, so either every spot-carrying group rebalances (no such rule) or
    none does (the rules, for all): a mix would drain the rebalancing groups' nodes before their
    replacement exists."""
    spot = [(name, rebalance) for name, carries, rebalance in groups if carries]
    on = sorted(name for name, rebalance in spot if rebalance)
    off = sorted(name for name, rebalance in spot if not rebalance)
    if on and off:
        return (
            f"spot-carrying groups disagree on capacity rebalance (on: {', '.join(on)}; off: "
            f"{', '.join(off)}); the spot warning and rebalance rules cannot tell groups apart"
        )
    return None


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
