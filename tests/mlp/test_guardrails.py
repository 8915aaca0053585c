"""Tags on every taggable resource, and nothing that grows without bound."""

from __future__ import annotations

import pytest

from infra.tags import REQUIRED_TAG_KEYS
from mlp.guardrails import is_taggable, missing_tags, unbounded_growth
from mlp.plan import declare_offline
from tests.mlp.crafted import TAGS, declare_platform, provider_with_default_tags, resource


def test_taggable_types_come_from_the_sdk_signatures():
    assert is_taggable("aws:ec2/vpc:Vpc")
    assert is_taggable("aws:autoscaling/group:Group")
    assert is_taggable("aws:budgets/budget:Budget")
    assert not is_taggable("aws:iam/rolePolicy:RolePolicy")
    assert not is_taggable("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert not is_taggable("kubernetes:apps/v1:Deployment")
    assert not is_taggable("aws:nosuchmodule/thing:Thing")


def test_every_taggable_resource_of_each_stack_carries_the_cost_tags(every_plan):
    taggable = [r for r in every_plan.resources if is_taggable(r.type)]
    assert taggable, "the walk must see taggable resources for the check to mean anything"
    assert missing_tags(every_plan.resources) == []


def test_the_crafted_platform_tags_launched_instances_and_volumes():
    resources = declare_offline(declare_platform, project="ml-platform", stack="unit").resources
    assert missing_tags(resources) == []


def test_a_resource_on_a_provider_without_default_tags_is_named():
    provider = provider_with_default_tags({})
    vpc = resource("aws:ec2/vpc:Vpc", "bare-vpc", {"tags": {"Name": "x"}}, provider=provider.urn)
    (problem,) = missing_tags([provider, vpc])
    assert "bare-vpc" in problem and "cost-center" in problem


def test_default_tags_count_for_ordinary_resources_but_not_for_auto_scaling_groups():
    provider = provider_with_default_tags(TAGS)
    vpc = resource("aws:ec2/vpc:Vpc", "vpc", provider=provider.urn)
    unpropagated = [{"key": k, "value": v, "propagateAtLaunch": False} for k, v in TAGS.items()]
    group = resource("aws:autoscaling/group:Group", "workers", {"tags": unpropagated}, provider=provider.urn)
    problems = missing_tags([provider, vpc, group])
    assert len(problems) == 1 and "workers" in problems[0] and "not propagated" in problems[0]


def test_a_launch_template_must_tag_volumes_and_network_interfaces():
    provider = provider_with_default_tags(TAGS)
    template = resource(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "lt",
        {"tagSpecifications": [{"resourceType": "instance", "tags": TAGS}]},
        provider=provider.urn,
    )
    problems = missing_tags([provider, template])
    assert {("volume" in p, "network-interface" in p) for p in problems} == {(True, False), (False, True)}


def test_resources_of_a_service_also_carry_the_service_tag():
    provider = provider_with_default_tags(TAGS)
    service = resource("mlplatform:ml_service:MlService", "ranker")
    queue = resource("aws:sqs/queue:Queue", "ranker-queue", parent=service.urn, provider=provider.urn)
    (problem,) = missing_tags([provider, service, queue])
    assert "ranker-queue" in problem and "service" in problem
    tagged = resource("aws:sqs/queue:Queue", "ranker-queue", {"tags": {"service": "ranker"}}, parent=service.urn, provider=provider.urn)
    assert missing_tags([provider, service, tagged]) == []


@pytest.mark.parametrize("key", REQUIRED_TAG_KEYS)
def test_each_required_key_is_checked(key):
    provider = provider_with_default_tags({k: v for k, v in TAGS.items() if k != key})
    key_resource = resource("aws:kms/key:Key", "key", provider=provider.urn)
    (problem,) = missing_tags([provider, key_resource])
    assert key in problem


def test_each_stack_bounds_its_logs_and_images(every_plan):
    assert unbounded_growth(every_plan.resources) == []


def test_log_group_without_retention_is_named():
    forever = resource("aws:cloudwatch/logGroup:LogGroup", "app-logs")
    kept = resource("aws:cloudwatch/logGroup:LogGroup", "flow-logs", {"retentionInDays": 30})
    (problem,) = unbounded_growth([forever, kept])
    assert "app-logs" in problem


def test_ecr_repository_needs_a_lifecycle_policy():
    repository = resource("aws:ecr/repository:Repository", "ranker-images", {"name": "ranker"})
    (problem,) = unbounded_growth([repository])
    assert "ranker-images" in problem
    by_parent = resource("aws:ecr/lifecyclePolicy:LifecyclePolicy", "ranker-images-lifecycle", {"repository": "[unknown]"}, parent=repository.urn)
    assert unbounded_growth([repository, by_parent]) == []
    by_name = resource("aws:ecr/lifecyclePolicy:LifecyclePolicy", "lifecycle", {"repository": "ranker"})
    assert unbounded_growth([repository, by_name]) == []
    other = resource("aws:ecr/lifecyclePolicy:LifecyclePolicy", "lifecycle", {"repository": "other"})
    assert len(unbounded_growth([repository, other])) == 1
