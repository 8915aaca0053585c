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

EVENTS = Path(__file__).resolve().parent.parent / "data" / "events"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE = "aws:sqs/queue:Queue"
HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook"

# Samples (file stems) that must reach the handler exactly once; every other sample must not.
LANDS = {
    "spot-interruption-terminate",
    "spot-interruption-stop",
    "spot-interruption-hibernate",
    "rebalance-recommendation",
    "instance-state-change-shutting-down",
    "instance-state-change-stopping",
    "health-ec2-scheduled-change",
}
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


# What Karpenter's queue must get: every kind its parsers act on (spot interruption, rebalance,
# stopping/terminating states, EC2 scheduled changes), spot and rebalance included, since no
# Auto Scaling group sends it a lifecycle action instead.
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


def run_drill(inventory, worker_groups: bool = True, lands: frozenset[str] | set[str] = LANDS) -> list[str]:
    """Publish every sample event into the plumbing `inventory` declares; return what went wrong.

    `worker_groups=False` is a Karpenter stack: no Auto Scaling group, so no lifecycle rule, and
    the account-wide kinds alone must land (Karpenter's queue)."""
    assert {p.stem for p in EVENTS.glob("*.json")} == LANDS | STAYS_OUT, "a sample file is not classified"
    with mock_aws():
        drill = Drill(inventory)
        failures = []
        for stem in sorted(LANDS | STAYS_OUT):
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
    failures = run_drill(interruption_example())
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
    failures = run_drill(stack_inventory)
    assert not failures, "\n".join(failures)


def test_the_managed_system_pool_is_never_the_handlers(stack_inventory):
    """EKS drains managed node groups itself: they must not carry the handler's tag, and only the
    tagged self-managed groups get a lifecycle hook (so no node is handled twice)."""
    from components.termination_handler import NTH_MANAGED_TAG

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


def test_drill_against_each_karpenter_stack(karpenter_inventory):
    """Karpenter's queue gets AWS's sample of every kind it acts on exactly once, and nothing
    else, through the rules the Karpenter variant of the stack declares."""
    assert karpenter_inventory.of_type("mlplatform:interruption:KarpenterInterruptionQueue")
    assert not karpenter_inventory.of_type("mlplatform:interruption:InterruptionHandling")
    failures = run_drill(karpenter_inventory, worker_groups=False, lands=KARPENTER_LANDS)
    assert not failures, "\n".join(failures)
