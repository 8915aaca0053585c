"""Karpenter's interruption queue: the EventBridge rules Karpenter documents, into one SQS queue.

Karpenter reads the queue itself (`settings.interruptionQueue`): it cordons, drains and replaces
a node on a spot interruption warning, a rebalance recommendation, a stopping or terminating
instance and an AWS Health scheduled change. The rules are those of Karpenter's reference
template (`website/content/en/v1.14/getting-started/getting-started-with-karpenter/
cloudformation.yaml`, aws/karpenter-provider-aws commit 1d927085: ScheduledChangeRule,
SpotInterruptionRule, RebalanceRule, InstanceStateChangeRule), narrowed to exactly what the
controller acts on, so nothing it would throw away costs a message: its parsers keep only
states stopping/stopped/shutting-down/terminated (`pkg/controllers/interruption/messages/
statechange/parser.go` at v1.14.1) and Health events of service EC2, category scheduledChange
(`.../scheduledchange/parser.go`). The patterns and the queue policy are the platform's own
(`components/interruption/interruption_events.py`), shared with the termination handler's queue.

Left out: CapacityReservationInterruptionRule. It concerns instances launched into interruptible
capacity reservations; the platform's EC2NodeClasses select none (no
`capacityReservationSelectorTerms`), so no node of the cluster can receive that warning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.interruption.interruption_events import (
    QUEUE_RETENTION_SECONDS,
    rebalance_recommendation_pattern,
    scheduled_change_pattern,
    spot_interruption_pattern,
    state_change_pattern,
)
from components.interruption.interruption_queue import (
    declare_queue,
    declare_queue_age_alarm,
    declare_queue_policy,
)

KARPENTER_PATTERNS = {
    "spot-interruption": spot_interruption_pattern,
    "rebalance": rebalance_recommendation_pattern,
    "state-change": state_change_pattern,
    "scheduled-change": scheduled_change_pattern,
}
"""Every kind Karpenter acts on. Unlike the termination handler behind Auto Scaling groups with
capacity rebalance, Karpenter needs the spot and rebalance rules: no group sends it a lifecycle
action, the queue is its only signal."""


@dataclass(frozen=True, kw_only=True)
class KarpenterInterruptionQueueArgs:
    """Inputs of `KarpenterInterruptionQueue`."""

    alarm_topic_arn: pulumi.Input[str]
    """Where the queue-age alarm goes."""
    queue_age_alarm_seconds: int = 180
    """Oldest-message age that means Karpenter is not consuming. Default 180 s."""

    def problems(self) -> list[str]:
        if self.queue_age_alarm_seconds >= QUEUE_RETENTION_SECONDS:
            return [
                (
                    f"queue_age_alarm_seconds must stay below the {QUEUE_RETENTION_SECONDS}s "
                    "retention, or messages expire before the alarm can fire"
                )
            ]
        return []


class KarpenterInterruptionQueue(pulumi.ComponentResource):
    """The queue Karpenter drains interruptions from.

    Creates an SQS queue (SQS-managed SSE, 300 s retention: Karpenter's reference
    `MessageRetentionPeriod`), one EventBridge rule and target per `KARPENTER_PATTERNS` kind, a
    queue policy admitting only those rules over TLS, and an alarm on the oldest message's age.
    """

    queue_name: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: KarpenterInterruptionQueueArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        problems = args.problems()
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("mlplatform:karpenter:KarpenterInterruptionQueue", name, None, opts)
        queue = declare_queue(name, self)
        rules = {}
        for kind, pattern in KARPENTER_PATTERNS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{kind}",
                description=f"Karpenter interruption handling: {kind} events to its queue",
                event_pattern=json.dumps(pattern()),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{kind}-to-queue",
                rule=rule.name,
                arn=queue.arn,
                opts=pulumi.ResourceOptions(parent=rule),
            )
            rules[kind] = rule
        declare_queue_policy(name, queue, [rule.arn for rule in rules.values()])
        declare_queue_age_alarm(
            name,
            queue,
            threshold_seconds=args.queue_age_alarm_seconds,
            alarm_topic_arn=args.alarm_topic_arn,
            consumer="Karpenter",
        )
        self.queue_name = queue.name
        self.queue_arn = queue.arn
        self.queue_url = queue.url
        self.register_outputs(
            {
                "queue_name": self.queue_name,
                "queue_arn": self.queue_arn,
                "queue_url": self.queue_url,
            }
        )
