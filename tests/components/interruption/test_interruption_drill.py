"""The interruption drill: AWS's sample events replayed against the plumbing the program declares.

The queue, rules and targets are created in moto's EventBridge and SQS from the inventory (the
patterns are never copied here), then each sample in `tests/data/events/` is published on its
own and the queue drained, so the test knows exactly which events land and how often.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.events.models import EventPattern

EVENTS = Path(__file__).resolve().parents[2] / "data" / "events"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE = "aws:sqs/queue:Queue"
HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook"
GROUP = "aws:autoscaling/group:Group"

# Samples (file stems) that must reach the handler exactly once; every other sample must not.
LANDS = {
    "instance-state-change-shutting-down",
    "instance-state-change-stopping",
    "health-ec2-scheduled-change",
}
EC2_WARNINGS = {
    "spot-interruption-terminate",
    "spot-interruption-stop",
    "spot-interruption-hibernate",
    "rebalance-recommendation",
}
"""EC2's own spot warnings: they land only where the worker groups run without Capacity
Rebalancing. With it, the group's terminate lifecycle action is the notice (the handler's README,
"Create Amazon EventBridge Rules"), and forwarding them too would drain on a rebalance
recommendation before any replacement exists and handle every reclaim twice."""
STAYS_OUT = {
    "spoofed-spot-interruption",
    "instance-state-change-pending",
    "health-ec2-issue-instance-store-degraded",
    "asg-instance-terminate-lifecycle-action",  # as printed: group "my-asg", not one of ours
    "asg-instance-launch-successful",
    "ebs-volume-notification",
    "ec2-ami-state-change-available",
}


def sample(stem: str) -> dict:
    return json.loads((EVENTS / f"{stem}.json").read_text())


def for_group(event: dict, asg_name: str, region: str) -> dict:
    """An Auto Scaling sample as the given worker group would emit it (the printed sample names
    a placeholder group)."""
    event = copy.deepcopy(event)
    event["detail"]["AutoScalingGroupName"] = asg_name
    event["resources"] = [
        f"arn:aws:autoscaling:{region}:123456789012:autoScalingGroup:00000000-0000-0000-0000-000000000000:"
        f"autoScalingGroupName/{asg_name}"
    ]
    return event


class Drill:
    """The declared plumbing, rebuilt in moto."""

    def __init__(self, inventory, region: str = "us-east-1"):
        self.region = region
        self.events = boto3.client("events", region_name=region)
        self.sqs = boto3.client("sqs", region_name=region)
        targets = inventory.of_type(TARGET)
        (queue_arn,) = {t.inputs["arn"] for t in targets}
        (queue,) = inventory.of_type(QUEUE)
        self.queue_url = self.sqs.create_queue(
            QueueName=queue_arn.rsplit(":", 1)[1],
            Attributes={
                "MessageRetentionPeriod": str(queue.inputs["messageRetentionSeconds"]),
                "SqsManagedSseEnabled": str(queue.inputs["sqsManagedSseEnabled"]).lower(),
            },
        )["QueueUrl"]
        self.patterns: dict[str, dict] = {}
        for rule in inventory.of_type(RULE):
            (target,) = [t for t in targets if t.parent == rule.urn]
            name = target.inputs["rule"]
            self.events.put_rule(Name=name, EventPattern=rule.inputs["eventPattern"], State="ENABLED")
            self.events.put_targets(Rule=name, Targets=[{"Id": target.inputs.get("targetId", "1"), "Arn": queue_arn}])
            self.patterns[name] = json.loads(rule.inputs["eventPattern"])
        self.worker_groups = sorted({h.inputs["autoscalingGroupName"] for h in inventory.of_type(HOOK)})

    def publish(self, event: dict) -> list[dict]:
        """Put one event on the default bus; return what reached the queue."""
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []),
            "Time": dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00")),
        }
        result = self.events.put_events(Entries=[entry])
        assert result["FailedEntryCount"] == 0, result
        landed = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return landed
            for message in messages:
                landed.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def rules_matching(self, event: dict) -> list[str]:
        """Which declared rules match, by moto's own matcher (per-rule attribution)."""
        return sorted(name for name, pattern in self.patterns.items() if EventPattern.load(json.dumps(pattern)).matches_event(event))


# What Karpenter's queue must get: every kind its parsers act on, EC2's spot warnings included
# (LANDS | EC2_WARNINGS, stated on its own): no Auto Scaling group sends Karpenter a lifecycle
# action instead, whatever the handler's rules do.
KARPENTER_LANDS = frozenset(
    {
        "spot-interruption-terminate",
        "spot-interruption-stop",
        "spot-interruption-hibernate",
        "rebalance-recommendation",
        "instance-state-change-shutting-down",
        "instance-state-change-stopping",
        "health-ec2-scheduled-change",
    }
)


def run_drill(
    inventory,
    *,
    capacity_rebalance: bool = True,
    worker_groups: bool = True,
    lands: frozenset[str] | set[str] | None = None,
) -> list[str]:
    """Publish every sample event into the plumbing `inventory` declares, expecting EC2's spot
    warnings to land only without `capacity_rebalance` (or exactly `lands`, when given); return
    what went wrong.

    `worker_groups=False` is a Karpenter stack: no Auto Scaling group, so no lifecycle rule, and
    the account-wide kinds alone must land (Karpenter's queue)."""
    assert {p.stem for p in EVENTS.glob("*.json")} == LANDS | EC2_WARNINGS | STAYS_OUT, "a sample file is not classified"
    if lands is None:
        lands = LANDS if capacity_rebalance else LANDS | EC2_WARNINGS
    with mock_aws():
        drill = Drill(inventory)
        failures = []
        for stem in sorted(LANDS | EC2_WARNINGS | STAYS_OUT):
            event = sample(stem)
            landed = drill.publish(event)
            expected = 1 if stem in lands else 0
            if len(landed) != expected:
                failures.append(f"{stem}: {len(landed)} message(s) in the queue, expected {expected}")
            for body in landed:
                if body["detail-type"] != event["detail-type"] or body["detail"] != event["detail"]:
                    failures.append(f"{stem}: the queue got a different event: {body}")
        if not worker_groups:
            if drill.worker_groups:
                failures.append(f"a Karpenter stack declares lifecycle hooks on {drill.worker_groups}")
            return failures
        assert drill.worker_groups, "the inventory declares no worker groups to drill"
        lifecycle = sample("asg-instance-terminate-lifecycle-action")
        launch = sample("asg-instance-launch-successful")
        for asg in drill.worker_groups:
            event = for_group(lifecycle, asg, drill.region)
            landed = drill.publish(event)
            if [body["detail"]["AutoScalingGroupName"] for body in landed] != [asg]:
                failures.append(f"terminate lifecycle action of {asg}: {len(landed)} message(s), expected 1")
            matching = drill.rules_matching(event)
            if len(matching) != 1:
                failures.append(f"terminate lifecycle action of {asg} matches rules {matching}: per-pool counts would be wrong")
            if drill.publish(for_group(launch, asg, drill.region)):
                failures.append(f"launch of an instance in {asg} reached the queue")
        return failures


def test_drill_against_the_component(interruption_example):
    """Groups with Capacity Rebalancing (the default): the lifecycle action is the only notice."""
    failures = run_drill(interruption_example(), capacity_rebalance=True)
    assert not failures, "\n".join(failures)


def test_drill_without_capacity_rebalance(interruption_example):
    """Groups without it learn of a reclaim too late, so EC2's warnings are forwarded."""
    failures = run_drill(interruption_example(capacity_rebalance=False), capacity_rebalance=False)
    assert not failures, "\n".join(failures)


def test_on_demand_groups_do_not_bring_the_spot_rules_back(interruption_example):
    """An all-on-demand pool gets no spot warning, whatever its rebalance flag."""
    failures = run_drill(
        interruption_example(capacity_rebalance=False, carries_spot=False), capacity_rebalance=True
    )
    assert not failures, "\n".join(failures)


def test_each_pool_is_counted_by_its_own_rule(interruption_example):
    inventory = interruption_example()
    with mock_aws():
        drill = Drill(inventory)
        zonal = ["mlp-unit-gpu-asg-us-east-1a", "mlp-unit-gpu-asg-us-east-1b"]  # the fixture's gpu pool
        matched = set()
        for asg in zonal:
            event = for_group(sample("asg-instance-terminate-lifecycle-action"), asg, drill.region)
            (rule,) = drill.rules_matching(event)
            matched.add(rule)
        # Both zones' terminations land on the one pool rule, so its alarm counts the pool.
        (rule,) = matched
        assert drill.patterns[rule]["detail"]["AutoScalingGroupName"] == zonal


def test_drill_against_each_stack(stack_inventory):
    """Both stacks declare a cluster with interruption handling on: a stack that loses its
    cluster, its handler or its rules fails here rather than skipping."""
    assert stack_inventory.of_type("eks:index:Cluster"), f"stack {stack_inventory.stack} declares no cluster"
    assert stack_inventory.of_type("mlplatform:interruption:InterruptionHandling"), (
        f"stack {stack_inventory.stack} has a cluster but no InterruptionHandling"
    )
    assert stack_inventory.of_type(RULE), f"stack {stack_inventory.stack} declares no interruption rules"
    rebalancing = {group.inputs["capacityRebalance"] for group in stack_inventory.of_type(GROUP)}
    # Both stacks keep the default (`interruption.capacityRebalance: true`), so they run the
    # corrected expectations: no EC2 spot warning or rebalance recommendation reaches the queue.
    assert rebalancing == {True}, f"stack {stack_inventory.stack}: worker groups' capacityRebalance {rebalancing}"
    failures = run_drill(stack_inventory, capacity_rebalance=True)
    assert not failures, "\n".join(failures)


def test_the_managed_system_pool_is_never_the_handlers(stack_inventory):
    """EKS drains managed node groups itself: they must not carry the handler's tag, and only the
    tagged self-managed groups get a lifecycle hook (so no node is handled twice)."""
    from components.interruption.termination_handler import NTH_MANAGED_TAG

    assert stack_inventory.of_type("eks:index:Cluster"), f"stack {stack_inventory.stack} declares no cluster"
    managed = [r for r in stack_inventory.resources if "nodegroup" in r.type.lower()]
    tagged_managed = [r.name for r in managed if NTH_MANAGED_TAG in json.dumps(r.inputs)]
    assert not tagged_managed, f"managed node groups carry {NTH_MANAGED_TAG}: {tagged_managed}"
    # Self-managed worker groups are the only Auto Scaling groups the program declares (EKS
    # creates the managed pool's group itself). Each puts the tag on its instances, on the group
    # with PropagateAtLaunch or in its launch template, and each gets a lifecycle hook.
    groups = stack_inventory.of_type("aws:autoscaling/group:Group")
    templates = stack_inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    tagged_groups = [g for g in groups if NTH_MANAGED_TAG in json.dumps(g.inputs.get("tags", []))]
    for group in tagged_groups:
        (tag,) = [t for t in group.inputs["tags"] if t["key"] == NTH_MANAGED_TAG]
        assert tag["propagateAtLaunch"] is True, f"{group.name}: instances would not carry the tag"
    tagged_templates = [t for t in templates if NTH_MANAGED_TAG in json.dumps(t.inputs)]
    if stack_inventory.of_type(RULE):
        assert max(len(tagged_groups), len(tagged_templates)) == len(groups), (
            f"worker groups without {NTH_MANAGED_TAG}: the handler would ignore their nodes"
        )
        assert len(stack_inventory.of_type(HOOK)) == len(groups), "a worker group has no lifecycle hook"


def _drains_before_termination(inventory) -> list[str]:
    """Replay one spot reclaim of a worker-group instance in the order AWS emits it (rebalance
    recommendation, interruption warning, the group's terminate lifecycle action, then the
    instance shutting down) and return the detail-types the handler receives before the
    instance leaves: in queue mode it cordons and drains on each of them
    (pkg/interruptionevent/draincordon/handler.go at v1.25.6)."""
    with mock_aws():
        drill = Drill(inventory)
        (asg, *_) = drill.worker_groups
        sequence = [
            sample("rebalance-recommendation"),
            sample("spot-interruption-terminate"),
            for_group(sample("asg-instance-terminate-lifecycle-action"), asg, drill.region),
        ]
        return [body["detail-type"] for event in sequence for body in drill.publish(event)]


def test_a_rebalancing_groups_reclaim_is_drained_once_on_its_lifecycle_action(interruption_example):
    """Capacity Rebalancing: the lifecycle action (sent while or after the replacement launches)
    is the one notice; nothing drains the node earlier."""
    assert _drains_before_termination(interruption_example()) == ["EC2 Instance-terminate Lifecycle Action"]


def test_without_capacity_rebalance_ec2_warnings_come_first(interruption_example):
    """Without it the group's lifecycle action comes only as the instance dies, so EC2's
    warnings are the notices in time (and the node is drained on the recommendation already)."""
    assert _drains_before_termination(interruption_example(capacity_rebalance=False)) == [
        "EC2 Instance Rebalance Recommendation",
        "EC2 Spot Instance Interruption Warning",
        "EC2 Instance-terminate Lifecycle Action",
    ]


def test_drill_against_each_karpenter_stack(karpenter_inventory):
    """Karpenter's queue gets AWS's sample of every kind it acts on exactly once, and nothing
    else, through the rules the Karpenter variant of the stack declares."""
    assert karpenter_inventory.of_type("mlplatform:karpenter:KarpenterInterruptionQueue")
    assert not karpenter_inventory.of_type("mlplatform:interruption:InterruptionHandling")
    failures = run_drill(karpenter_inventory, worker_groups=False, lands=KARPENTER_LANDS)
    assert not failures, "\n".join(failures)
