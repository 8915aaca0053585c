"""What a rule is (`Rule`), and the resource types the rules read, as the engine names them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mlp import guardrails
from mlplatform_policy.resources import PlannedResource, StackContext, Violation

AUTOSCALING_GROUP = guardrails.ASG
LAUNCH_TEMPLATE = guardrails.LAUNCH_TEMPLATE
EC2_INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
SQS_QUEUE = "aws:sqs/queue:Queue"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
KMS_KEY = "aws:kms/key:Key"
SEARCH_DOMAIN = "aws:opensearch/domain:Domain"
LB_LISTENER = "aws:lb/listener:Listener"
EKS_CLUSTER = "eks:index:Cluster"
AWS_EKS_CLUSTER = "aws:eks/cluster:Cluster"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DISRUPTION_BUDGET = "kubernetes:policy/v1:PodDisruptionBudget"
BUDGET = "aws:budgets/budget:Budget"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"

Enforcement = Literal["mandatory", "advisory"]
ResourceCheck = Callable[[PlannedResource, StackContext], list[str]]
StackCheck = Callable[[Sequence[PlannedResource], StackContext], list[Violation]]


@dataclass(frozen=True)
class Rule:
    """A named rule: what it checks, how hard it is enforced, and its configurable knobs
    (`config` maps each key to a JSON-schema property with its `default`)."""

    name: str
    description: str
    enforcement: Enforcement
    scope: Literal["resource", "stack"]
    check: ResourceCheck | StackCheck
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        return {key: schema["default"] for key, schema in self.config.items()}
