"""InterruptionHandling under mocks: what it declares for two worker pools, on and off."""

from __future__ import annotations

import json

import pytest

from components.interruption.drain_budget import (
    DETECTION_MARGIN_SECONDS,
    SPOT_NOTICE_SECONDS,
    DrainBudget,
)
from components.interruption.interruption_events import QUEUE_RETENTION_SECONDS, QUEUE_SENDERS
from components.interruption.termination_handler import CHART_VERSION, NTH_MANAGED_TAG
from components.nodes.placement import POOL_LABEL, SYSTEM_POOL

HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RELEASE = "kubernetes:helm.sh/v3:Release"
ZONES = ("us-east-1a", "us-east-1b")  # as in the `interruption_example` fixture
GROUPS = {pool: [f"mlp-unit-{pool}-asg-{zone}" for zone in ZONES] for pool in ("general", "gpu")}
"""Each pool's zonal Auto Scaling groups."""
ALL_GROUPS = sorted(name for names in GROUPS.values() for name in names)


@pytest.fixture
def inventory(interruption_example):
    return interruption_example()


def _values(inventory):
    (release,) = inventory.of_type(RELEASE)
    return release.inputs["values"]


def test_switch_off_declares_nothing(interruption_example):
    inventory = interruption_example(enabled=False)
    (component,) = inventory.of_type("mlplatform:interruption:InterruptionHandling")
    assert inventory.children_of(component.urn) == []


def test_switch_on_declares_the_whole_set(inventory):
    (component,) = inventory.of_type("mlplatform:interruption:InterruptionHandling")
    declared = {r.type for r in inventory.children_of(component.urn)}
    for expected in ("aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy", RULE, TARGET, HOOK,
                     "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", RELEASE, ALARM):
        assert expected in declared, f"enabled InterruptionHandling declares no {expected}"


def test_queue_is_encrypted_and_short_lived(inventory):
    (queue,) = inventory.of_type("aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True, f"{queue.name} is not encrypted"
    assert queue.inputs["messageRetentionSeconds"] == QUEUE_RETENTION_SECONDS == 300


def test_queue_admits_only_the_rules_over_tls(inventory):
    (policy,) = inventory.of_type("aws:sqs/queuePolicy:QueuePolicy")
    document = json.loads(policy.inputs["policy"])
    allow, deny = document["Statement"]
    rule_names = {t.inputs["rule"] for t in inventory.of_type(TARGET)}
    source_arns = allow["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert {arn.rsplit("/", 1)[1] for arn in source_arns} == rule_names, "SourceArn is not exactly the rules"
    assert allow["Action"] == "sqs:SendMessage" and sorted(allow["Principal"]["Service"]) == sorted(QUEUE_SENDERS)
    (queue_arn,) = {t.inputs["arn"] for t in inventory.of_type(TARGET)}
    assert allow["Resource"] == deny["Resource"] == queue_arn
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_rule_feeds_the_queue_once(inventory):
    rules = inventory.of_type(RULE)
    for rule in rules:
        targets = [t for t in inventory.of_type(TARGET) if t.parent == rule.urn]
        assert len(targets) == 1, f"{rule.name} has {len(targets)} targets"
    queue_arns = {t.inputs["arn"] for t in inventory.of_type(TARGET)}
    assert len(queue_arns) == 1 and next(iter(queue_arns)).startswith("arn:aws:sqs:"), queue_arns
    # state-change and scheduled-change account-wide, plus one lifecycle rule per worker pool
    # (over its zonal groups); the groups rebalance, so no spot-warning or rebalance rule
    assert len(rules) == 2 + len(GROUPS)


def _detail_types(inventory):
    return {detail for rule in inventory.of_type(RULE) for detail in json.loads(rule.inputs["eventPattern"])["detail-type"]}


def test_rebalancing_groups_get_no_ec2_spot_warning_rules(inventory):
    """The group's lifecycle action is the notice; EC2's warnings would drain a node on a
    rebalance recommendation before its replacement exists, and handle a reclaim twice."""
    detail_types = _detail_types(inventory)
    assert "EC2 Spot Instance Interruption Warning" not in detail_types
    assert "EC2 Instance Rebalance Recommendation" not in detail_types
    assert "EC2 Instance-terminate Lifecycle Action" in detail_types


def test_groups_without_capacity_rebalance_keep_the_ec2_warning_rules(interruption_example):
    inventory = interruption_example(capacity_rebalance=False)
    assert {"EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"} <= _detail_types(inventory)
    assert len(inventory.of_type(RULE)) == 4 + len(GROUPS)


def test_spot_groups_disagreeing_on_capacity_rebalance_are_refused(interruption_example):
    from components.interruption.interruption_handling import WorkerGroup

    def group(prefix, rebalance):
        name = f"{prefix}-us-east-1a"
        arn = f"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0:autoScalingGroupName/{name}"
        return WorkerGroup(asg_names={"us-east-1a": name}, asg_arns={"us-east-1a": arn}, capacity_rebalance=rebalance)

    with pytest.raises(ValueError, match="disagree on capacity rebalance"):
        interruption_example(worker_groups={"a": group("a", True), "b": group("b", False)})


def test_lifecycle_rules_are_scoped_to_each_worker_group(inventory):
    scoped = {}
    for rule in inventory.of_type(RULE):
        pattern = json.loads(rule.inputs["eventPattern"])
        if pattern["source"] == ["aws.autoscaling"]:
            scoped[rule.name] = pattern["detail"]["AutoScalingGroupName"]
    assert sorted(scoped.values()) == sorted(sorted(names) for names in GROUPS.values())


def test_every_worker_group_waits_for_the_drain(inventory):
    hooks = {h.inputs["autoscalingGroupName"]: h.inputs for h in inventory.of_type(HOOK)}
    assert sorted(hooks) == ALL_GROUPS, "every zonal group of every pool waits for the drain"
    for asg, hook in hooks.items():
        assert hook["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING", asg
        assert hook["defaultResult"] == "CONTINUE", f"{asg}: a lost handler must not block termination"
        assert DETECTION_MARGIN_SECONDS + 90 <= hook["heartbeatTimeout"] <= SPOT_NOTICE_SECONDS, asg


def test_hook_timeout_follows_the_drain_budget(interruption_example):
    inventory = interruption_example(drain_budget=DrainBudget(node_drain_seconds=45, pod_grace_seconds=30))
    timeouts = {h.inputs["heartbeatTimeout"] for h in inventory.of_type(HOOK)}
    assert timeouts == {45 + DETECTION_MARGIN_SECONDS}
    assert _values(inventory)["nodeTerminationGracePeriod"] == 45
    assert _values(inventory)["podTerminationGracePeriod"] == 30


def test_handler_runs_in_queue_mode_on_the_system_pool(inventory):
    (release,) = inventory.of_type(RELEASE)
    assert release.inputs["chart"].startswith("oci://public.ecr.aws/aws-ec2/helm/")
    assert release.inputs["version"] == CHART_VERSION
    assert release.provider and "providers:kubernetes" in release.provider, "release ignores the cluster provider"
    values = release.inputs["values"]
    assert values["enableSqsTerminationDraining"] is True
    assert values["queueURL"].startswith("https://sqs.us-east-1.amazonaws.com/")
    assert values["checkTagBeforeDraining"] is True and values["managedTag"] == NTH_MANAGED_TAG
    assert values["enablePrometheusServer"] is True and values["emitKubernetesEvents"] is True
    assert values["nodeSelector"] == {POOL_LABEL: SYSTEM_POOL}
    assert {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in values["tolerations"]
    # The chart renders its PDB only in queue mode with more than one replica (templates/pdb.yaml).
    assert values["replicas"] > 1 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert values["priorityClassName"] == "system-cluster-critical"


def test_handler_uses_its_irsa_role(inventory):
    (role,) = inventory.of_type("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:kube-system:aws-node-termination-handler" in condition.values()
    annotation = _values(inventory)["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert annotation.startswith("arn:aws:iam::123456789012:role/")
    assert annotation.rsplit("/", 1)[1].startswith(role.name), f"{annotation} is not {role.name}"


def test_handler_permissions_are_exactly_the_listed_ones(inventory):
    (policy,) = inventory.of_type("aws:iam/rolePolicy:RolePolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert all(s["Effect"] == "Allow" for s in statements.values())
    granted = {action: s["Resource"] for s in statements.values() for action in s["Action"]}
    assert set(granted) == {
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "ec2:DescribeInstances",
        "autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeTags",
        "autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat",
    }
    assert granted["sqs:ReceiveMessage"].startswith("arn:aws:sqs:")
    lifecycle = granted["autoscaling:CompleteLifecycleAction"]
    assert sorted(arn.rsplit("/", 1)[1] for arn in lifecycle) == ALL_GROUPS, lifecycle
    star = sorted(a for a, resource in granted.items() if resource == "*")
    assert star == ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeTags", "ec2:DescribeInstances"]


def test_no_worker_groups_means_no_lifecycle_grant(interruption_example):
    inventory = interruption_example(worker_groups={})
    (policy,) = inventory.of_type("aws:iam/rolePolicy:RolePolicy")
    actions = {a for s in json.loads(policy.inputs["policy"])["Statement"] for a in s["Action"]}
    assert "autoscaling:CompleteLifecycleAction" not in actions
    assert inventory.of_type(HOOK) == []


def test_webhook_url_lives_only_in_a_secret(interruption_example):
    url = "https://hooks.example.com/services/T000/B000/XXXX"
    inventory = interruption_example(webhook_url=url)
    (secret,) = [o for o in inventory.kubernetes_objects() if o.inputs["kind"] == "Secret"]
    assert secret.inputs["stringData"] == "[secret]", "webhook URL is not marked secret"
    assert _values(inventory)["webhookURLSecretName"] == secret.inputs["metadata"]["name"]
    for resource in inventory.resources:
        assert url not in json.dumps(resource.inputs), f"{resource.name} carries the webhook URL in clear"


def test_no_webhook_no_secret(inventory):
    assert "webhookURLSecretName" not in _values(inventory)
    assert not [o for o in inventory.kubernetes_objects() if o.inputs["kind"] == "Secret"]


def test_queue_age_alarm_goes_to_the_topic(inventory):
    (alarm,) = [a for a in inventory.of_type(ALARM) if a.inputs["metricName"] == "ApproximateAgeOfOldestMessage"]
    (queue,) = inventory.of_type("aws:sqs/queue:Queue")
    assert alarm.inputs["namespace"] == "AWS/SQS"
    assert alarm.inputs["dimensions"]["QueueName"]
    assert alarm.parent == queue.urn
    assert alarm.inputs["threshold"] == 180 and alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm.inputs["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"]


def test_one_termination_alarm_per_pool_counting_its_own_rule(inventory):
    alarms = [a for a in inventory.of_type(ALARM) if a.inputs["metricName"] == "TriggeredRules"]
    by_rule = {}
    for alarm in alarms:
        rule = inventory.by_urn(alarm.parent)
        assert rule.type == RULE, f"{alarm.name} is not attached to a rule"
        assert alarm.inputs["namespace"] == "AWS/Events"
        # One rule per pool names all its zonal groups, so the alarm counts the whole pool at
        # the pool's threshold.
        asgs = json.loads(rule.inputs["eventPattern"])["detail"]["AutoScalingGroupName"]
        (pool,) = [pool for pool, names in GROUPS.items() if sorted(names) == asgs]
        by_rule[pool] = alarm.inputs
        assert alarm.inputs["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"], alarm.name
    assert set(by_rule) == set(GROUPS)
    assert by_rule["gpu"]["threshold"] == 2 and by_rule["general"]["threshold"] == 6


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"drain_budget": DrainBudget(node_drain_seconds=118, pod_grace_seconds=-1)}, "does not fit"),
        ({"queue_age_alarm_seconds": 300}, "retention"),
    ],
)
def test_impossible_args_are_refused(interruption_example, overrides, message):
    with pytest.raises(ValueError, match=message):
        interruption_example(**overrides)
