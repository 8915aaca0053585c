"""Tags, bounded growth, a budget per stack.

Each rule of `mlplatform_policy.rules.ownership` fails on its crafted violation and passes on the fixed twin.
"""

from __future__ import annotations

from tests.policy.crafted import (
    DEFAULT_TAGS,
    SERVICE,
    SERVICE_URN,
    Cases,
    aws_provider,
    case_tests,
    resource,
    worker_group,
)

CASES: Cases = {
    "required-tags": {
        "no-default-tags": (
            [resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}, provider=aws_provider(None))],
            [resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"})],
        ),
        "own-tags-fill-the-gap": (
            [resource("aws:sqs/queue:Queue", {"tags": {"Name": "q"}},
                      provider=aws_provider({k: v for k, v in DEFAULT_TAGS.items() if k != "team"}))],
            [resource("aws:sqs/queue:Queue", {"tags": {"Name": "q", "team": "ml-platform"}},
                      provider=aws_provider({k: v for k, v in DEFAULT_TAGS.items() if k != "team"}))],
        ),
        "blank-value": (
            [resource("aws:ec2/vpc:Vpc", {"tags": {"cost-center": " "}})],
            [resource("aws:ec2/vpc:Vpc", {"tags": {"cost-center": "ml-dev"}})],
        ),
        "autoscaling-group-not-propagated": (
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0,
                tags=[{"key": k, "value": v, "propagateAtLaunch": False} for k, v in DEFAULT_TAGS.items()]))],
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0))],
        ),
        "launch-template-leaves-volumes-untagged": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", {"tagSpecifications": [
                {"resourceType": "instance", "tags": DEFAULT_TAGS},
                {"resourceType": "network-interface", "tags": DEFAULT_TAGS}]})],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", {"tagSpecifications": [
                {"resourceType": kind, "tags": DEFAULT_TAGS} for kind in ("instance", "volume", "network-interface")]})],
        ),
        "service-resource-without-service-tag": (
            [resource(SERVICE, {}, name="ranker"),
             resource("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True}, name="ranker-queue", parent=SERVICE_URN)],
            [resource(SERVICE, {}, name="ranker"),
             resource("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True, "tags": {"service": "ranker"}},
                      name="ranker-queue", parent=SERVICE_URN)],
        ),
    },
    "bounded-growth": {
        "log-group-keeps-logs-forever": (
            [resource("aws:cloudwatch/logGroup:LogGroup", {"name": "/mlp/app"})],
            [resource("aws:cloudwatch/logGroup:LogGroup", {"name": "/mlp/app", "retentionInDays": 30.0})],
        ),
        "repository-without-lifecycle-policy": (
            [resource("aws:ecr/repository:Repository", {"name": "ranker"})],
            [resource("aws:ecr/repository:Repository", {"name": "ranker"}),
             resource("aws:ecr/lifecyclePolicy:LifecyclePolicy", {"repository": "ranker", "policy": "{}"}, name="lifecycle")],
        ),
    },
    "budget-per-stack": {
        "no-budget": (
            [resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"})],
            [resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}),
             resource("aws:budgets/budget:Budget", {"budgetType": "COST", "limitAmount": "500", "timeUnit": "MONTHLY"})],
        ),
    },
}

test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin = case_tests(CASES)
