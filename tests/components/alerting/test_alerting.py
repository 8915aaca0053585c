import json

import pytest

from components.alerting.alerting import Alerting, AlertingArgs


@pytest.mark.parametrize("emails", [(), ("a@example.com", "b@example.com")])
def test_topic_is_encrypted_and_subscriptions_follow_config(declare, emails):
    inventory = declare(lambda: Alerting("alerts", AlertingArgs(account_id="123456789012", email_endpoints=emails)))
    (topic,) = inventory.of_type("aws:sns/topic:Topic")
    (key,) = inventory.of_type("aws:kms/key:Key")
    assert topic.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:"), "topic not encrypted with its CMK"
    assert key.inputs["enableKeyRotation"] is True
    subscriptions = inventory.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == sorted(emails)


def test_topic_policy_admits_only_this_accounts_alarms_and_budgets(declare):
    inventory = declare(lambda: Alerting("alerts", AlertingArgs(account_id="123456789012")))
    (policy,) = inventory.of_type("aws:sns/topicPolicy:TopicPolicy")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert all(s["Principal"] != "*" for s in allow)
    assert all(s["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012" for s in allow)
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"]["Bool"]["aws:SecureTransport"] == "false"
