"""The platform's alert topic: where alarms and budget alerts go."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cluster.key_policy import account_administered_key_policy

PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com")


def alert_key_policy(account_id: str) -> dict:
    """The account administers the key; CloudWatch alarms and AWS Budgets may use it to publish
    to the encrypted topic (the AWS-managed SNS key does not admit them)."""
    return account_administered_key_policy(
        account_id,
        {
            "Sid": "AlarmAndBudgetPublishers",
            "Effect": "Allow",
            "Principal": {"Service": list(PUBLISHING_SERVICES)},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    )


def alert_topic_policy(topic_arn: str, account_id: str) -> dict:
    """Only this account's alarms and budgets publish; nothing is accepted without TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AlarmAndBudgetPublishers",
                "Effect": "Allow",
                "Principal": {"Service": list(PUBLISHING_SERVICES)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


@dataclass(frozen=True, kw_only=True)
class AlertingArgs:
    """Inputs of `Alerting`."""

    account_id: str
    """The AWS account the stack deploys to."""
    email_endpoints: Sequence[str] = ()
    """Addresses subscribed to the topic (each must confirm by email). Default none."""


class Alerting(pulumi.ComponentResource):
    """One SNS topic for every alarm and budget alert of the stack.

    Creates a customer-managed KMS key (rotation on) that encrypts the topic, the topic, its
    policy (publishers: CloudWatch and Budgets of this account, TLS only) and one email
    subscription per address.
    """

    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:alerting:Alerting", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            description="Encrypts the platform alert topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(alert_key_policy(args.account_id)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic = aws.sns.Topic(
            f"{name}-topic",
            kms_master_key_id=key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=topic.arn.apply(lambda arn: json.dumps(alert_topic_policy(arn, args.account_id))),
            opts=pulumi.ResourceOptions(parent=topic),
        )
        for index, address in enumerate(args.email_endpoints):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}",
                topic=topic.arn,
                protocol="email",
                endpoint=address,
                opts=pulumi.ResourceOptions(parent=topic),
            )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
