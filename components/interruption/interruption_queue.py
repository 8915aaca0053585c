"""The interruption queue both capacity engines consume: the queue, its policy and its age alarm.

Declared by `InterruptionHandling` (the termination handler's queue) and
`KarpenterInterruptionQueue` (Karpenter's), so the two stay as strict as each other: SQS-managed
SSE, the retention a notice is worth (`QUEUE_RETENTION_SECONDS`), a policy admitting only the
stack's own rules over TLS (`interruption_events.queue_policy`), and an alarm when the consumer
stops reading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.interruption.interruption_events import QUEUE_RETENTION_SECONDS, queue_policy


def declare_queue(name: str, parent: pulumi.Resource) -> aws.sqs.Queue:
    return aws.sqs.Queue(
        f"{name}-queue",
        message_retention_seconds=QUEUE_RETENTION_SECONDS,
        sqs_managed_sse_enabled=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def declare_queue_policy(
    name: str, queue: aws.sqs.Queue, rule_arns: Sequence[pulumi.Input[str]]
) -> aws.sqs.QueuePolicy:
    return aws.sqs.QueuePolicy(
        f"{name}-queue-policy",
        queue_url=queue.id,
        policy=pulumi.Output.all(queue.arn, *rule_arns).apply(
            lambda arns: json.dumps(queue_policy(arns[0], arns[1:]))
        ),
        opts=pulumi.ResourceOptions(parent=queue),
    )


def declare_queue_age_alarm(
    name: str,
    queue: aws.sqs.Queue,
    *,
    threshold_seconds: int,
    alarm_topic_arn: pulumi.Input[str],
    consumer: str,
) -> aws.cloudwatch.MetricAlarm:
    """The oldest message's age above `threshold_seconds`: `consumer` is not reading."""
    return aws.cloudwatch.MetricAlarm(
        f"{name}-queue-age",
        alarm_description=f"{consumer} is not consuming the interruption queue: spot notices are "
        "expiring undrained.",
        namespace="AWS/SQS",
        metric_name="ApproximateAgeOfOldestMessage",
        dimensions={"QueueName": queue.name},
        statistic="Maximum",
        period=60,
        evaluation_periods=1,
        threshold=threshold_seconds,
        comparison_operator="GreaterThanThreshold",
        # SQS reports only while the queue is active; an idle queue is a healthy one.
        treat_missing_data="notBreaching",
        alarm_actions=[alarm_topic_arn],
        ok_actions=[alarm_topic_arn],
        opts=pulumi.ResourceOptions(parent=queue),
    )
