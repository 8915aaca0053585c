"""Each rule fails on its own crafted violation and passes on the fixed twin.

The resources are shaped as the engine sends them (camelCase inputs, IAM documents as JSON
strings, the AWS provider's `defaultTags` as a JSON string) and run through the same rule
functions the policy pack wraps.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from mlplatform_policy.evaluate import evaluate
from mlplatform_policy.resources import PlannedResource
from mlplatform_policy.rules import RULES

TODAY = date(2026, 11, 28)
ACCOUNT = "123456789012"
DEFAULT_TAGS = {
    "project": "ml-platform",
    "environment": "dev",
    "team": "ml-platform",
    "cost-center": "ml-dev",
    "managed-by": "pulumi",
}


def aws_provider(tags: dict[str, str] | None = DEFAULT_TAGS) -> dict[str, Any]:
    inputs: dict[str, Any] = {"region": "us-east-1"}
    if tags is not None:
        inputs["defaultTags"] = json.dumps({"tags": tags})
    return inputs


def resource(
    type_: str, props: dict[str, Any], *, name: str = "crafted", stack: str = "dev", provider=None,
    parent: str | None = None,
) -> PlannedResource:
    if provider is None and type_.startswith("aws:"):
        provider = aws_provider()
    return PlannedResource(
        type=type_,
        name=name,
        urn=f"urn:pulumi:{stack}::ml-platform::{type_}::{name}",
        props=props,
        provider_props=provider,
        parent=parent,
    )


SERVICE = "mlplatform:ml_service:MlService"
SERVICE_URN = f"urn:pulumi:dev::ml-platform::{SERVICE}::ranker"


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def search_domain(**changes: Any) -> dict[str, Any]:
    domain = {
        "domainName": "mlp-dev-search",
        "engineVersion": "OpenSearch_2.19",
        "vpcOptions": {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]},
        "encryptAtRest": {"enabled": True},
        "nodeToNodeEncryption": {"enabled": True},
        "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
    }
    domain.update(changes)
    return domain


def launch_template(**changes: Any) -> dict[str, Any]:
    template = {
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeType": "gp3"}}],
    }
    template.update(changes)
    return template


def worker_group(types: list[str], on_demand_percentage: float | None, **changes: Any) -> dict[str, Any]:
    distribution = {"onDemandBaseCapacity": 0.0, "spotAllocationStrategy": "price-capacity-optimized"}
    if on_demand_percentage is not None:
        distribution["onDemandPercentageAboveBaseCapacity"] = on_demand_percentage
    group = {
        "minSize": 1.0,
        "maxSize": 10.0,
        "desiredCapacity": 4.0,
        "mixedInstancesPolicy": {
            "instancesDistribution": distribution,
            "launchTemplate": {
                "launchTemplateSpecification": {"launchTemplateId": "lt-1", "version": "$Latest"},
                "overrides": [{"instanceType": t} for t in types],
            },
        },
        "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in DEFAULT_TAGS.items()],
        "instanceRefresh": {"strategy": "Rolling", "preferences": {"minHealthyPercentage": 100.0, "maxHealthyPercentage": 200.0}},
    }
    group.update(changes)
    return group


SPOT_TYPES = ["m6a.large", "m7a.large", "m6i.large", "m5a.large"]


def spot_deployment(replicas: float) -> dict[str, Any]:
    """A Deployment that may run on spot only (`capacity: spot`), 1 vCPU a pod."""
    from components.nodes.placement import service_pod_placement

    pod = {"containers": [{"name": "app", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}], **service_pod_placement("spot")}
    return {"kind": "Deployment", "metadata": {"name": "ranker", "namespace": "ml"},
            "spec": {"replicas": replicas, "template": {"spec": pod}}}


def deployment(containers: list[dict[str, Any]], labels: dict[str, str], namespace: str = "ml") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "autocomplete", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}},
        },
    }


def container(requests: dict[str, str] | None, limits: dict[str, str] | None) -> dict[str, Any]:
    resources = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": "app", "image": "example@sha256:00", "resources": resources}


def pdb(selector: dict[str, Any] | None, namespace: str = "ml") -> dict[str, Any]:
    spec: dict[str, Any] = {"maxUnavailable": 1}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "autocomplete", "namespace": namespace}, "spec": spec}


FULL = {"cpu": "250m", "memory": "512Mi"}
APP = {"app.kubernetes.io/name": "autocomplete"}
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ALL_LISTENERS = [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg"}]

# rule -> case id -> (violating resources, fixed twin). Every rule has at least one case.
CASES: dict[str, dict[str, tuple[list[PlannedResource], list[PlannedResource]]]] = {
    "encryption-at-rest": {
        "launch-template-volume": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(
                blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
        "launch-template-root-left-to-ami": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(blockDeviceMappings=[]))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
        "ebs-volume": (
            [resource("aws:ebs/volume:Volume", {"size": 20.0, "availabilityZone": "us-east-1a"})],
            [resource("aws:ebs/volume:Volume", {"size": 20.0, "availabilityZone": "us-east-1a", "encrypted": True})],
        ),
        "queue": (
            [resource("aws:sqs/queue:Queue", {"messageRetentionSeconds": 300.0})],
            [resource("aws:sqs/queue:Queue", {"messageRetentionSeconds": 300.0, "sqsManagedSseEnabled": True})],
        ),
        "topic": (
            [resource("aws:sns/topic:Topic", {})],
            [resource("aws:sns/topic:Topic", {"kmsMasterKeyId": "arn:aws:kms:us-east-1:1:key/k"})],
        ),
        "repository": (
            [resource("aws:ecr/repository:Repository", {"imageTagMutability": "IMMUTABLE"})],
            [resource("aws:ecr/repository:Repository", {"imageTagMutability": "IMMUTABLE",
                                                        "encryptionConfigurations": [{"encryptionType": "KMS"}]})],
        ),
        "search-domain": (
            [resource("aws:opensearch/domain:Domain", search_domain(encryptAtRest={"enabled": False}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "cluster-secrets": (
            [resource("eks:index:Cluster", {"endpointPublicAccess": False})],
            [resource("eks:index:Cluster", {"endpointPublicAccess": False,
                                            "encryptionConfigKeyArn": "arn:aws:kms:us-east-1:1:key/k"})],
        ),
        "key-rotation": (
            [resource("aws:kms/key:Key", {"description": "alerts"})],
            [resource("aws:kms/key:Key", {"description": "alerts", "enableKeyRotation": True})],
        ),
    },
    "encryption-in-transit": {
        "search-node-to-node": (
            [resource("aws:opensearch/domain:Domain", search_domain(nodeToNodeEncryption={"enabled": False}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "search-https": (
            [resource("aws:opensearch/domain:Domain", search_domain(domainEndpointOptions={"enforceHttps": False}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "search-old-tls": (
            [resource("aws:opensearch/domain:Domain", search_domain(domainEndpointOptions={
                "enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "http-listener": (
            [resource("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80.0, "defaultActions": ALL_LISTENERS})],
            [resource("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80.0, "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]})],
        ),
        "http-subscription": (
            [resource("aws:sns/topicSubscription:TopicSubscription", {"protocol": "http", "endpoint": "http://x"})],
            [resource("aws:sns/topicSubscription:TopicSubscription", {"protocol": "https", "endpoint": "https://x"})],
        ),
    },
    "private-search-domain": {
        "public-endpoint": (
            [resource("aws:opensearch/domain:Domain", search_domain(vpcOptions=None))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
    },
    "imdsv2-required": {
        "launch-template": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(metadataOptions={"httpTokens": "optional"}))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
        "launch-template-unset": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(metadataOptions=None))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
    },
    "spot-pools-diversified": {
        "three-types": (
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large", "m6i.large", "m5.large"], 0.0))],
            [resource("aws:autoscaling/group:Group",
                      worker_group(["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0))],
        ),
        "mostly-on-demand-still-carries-spot": (
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large"], 80.0))],
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large"], 100.0))],
        ),
        # Single-GPU shapes: the same 3-type floor config validation applies.
        "two-gpu-types": (
            [resource("aws:autoscaling/group:Group", worker_group(["g6.xlarge", "g5.xlarge"], 0.0))],
            [resource("aws:autoscaling/group:Group", worker_group(["g6.xlarge", "g5.xlarge", "g4dn.xlarge"], 0.0))],
        ),
    },
    "replacements-launch-first": {
        "aws-defaults": (
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0, instanceRefresh={"strategy": "Rolling"}))],
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0))],
        ),
        "refresh-preferences-at-90": (
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0,
                instanceRefresh={"strategy": "Rolling", "preferences": {"minHealthyPercentage": 90.0}}))],
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0,
                instanceRefresh={"strategy": "Rolling", "preferences": {
                    "minHealthyPercentage": 100.0, "maxHealthyPercentage": 200.0}}))],
        ),
    },
    "deployment-resources": {
        "no-limits": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, None)], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP))],
        ),
        "no-cpu-request": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container({"memory": "1Gi"}, FULL)], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP))],
        ),
        "no-memory-limit": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, {"cpu": "500m"})], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, {"memory": "512Mi"})], APP))],
        ),
    },
    "deployment-disruption-budget": {
        "no-budget": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP))],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchLabels": APP}), name="pdb")],
        ),
        "budget-in-another-namespace": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchLabels": APP}, "default"), name="pdb")],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchLabels": APP}, "ml"), name="pdb")],
        ),
        "budget-selects-other-pods": (
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchExpressions": [
                 {"key": "app.kubernetes.io/name", "operator": "In", "values": ["recommendations"]}]}), name="pdb")],
            [resource("kubernetes:apps/v1:Deployment", deployment([container(FULL, FULL)], APP)),
             resource("kubernetes:policy/v1:PodDisruptionBudget", pdb({"matchExpressions": [
                 {"key": "app.kubernetes.io/name", "operator": "In", "values": ["autocomplete"]}]}), name="pdb")],
        ),
    },
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
    "capacity-fit": {
        "spot-only-pods-above-the-ceiling": (
            [resource("aws:autoscaling/group:Group", worker_group(SPOT_TYPES, 0.0, maxSize=2.0), name="pool-spot-asg"),
             resource("aws:ec2/launchTemplate:LaunchTemplate", {}, name="pool-spot-lt"),
             resource("kubernetes:apps/v1:Deployment", spot_deployment(replicas=12.0), name="ranker")],
            [resource("aws:autoscaling/group:Group", worker_group(SPOT_TYPES, 0.0, maxSize=12.0), name="pool-spot-asg"),
             resource("aws:ec2/launchTemplate:LaunchTemplate", {}, name="pool-spot-lt"),
             resource("kubernetes:apps/v1:Deployment", spot_deployment(replicas=12.0), name="ranker")],
        ),
    },
    "budget-per-stack": {
        "no-budget": (
            [resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"})],
            [resource("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}),
             resource("aws:budgets/budget:Budget", {"budgetType": "COST", "limitAmount": "500", "timeUnit": "MONTHLY"})],
        ),
    },
    "iam-no-wildcard-principal": {
        "trust-anyone": (
            [resource("aws:iam/role:Role", {"assumeRolePolicy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})})],
            [resource("aws:iam/role:Role", {"assumeRolePolicy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                 "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ci"}}})})],
        ),
        "queue-policy-without-source": (
            [resource("aws:sqs/queuePolicy:QueuePolicy", {"policy": policy_document(
                {"Sid": "Events", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                 "Resource": "arn:aws:sqs:us-east-1:1:q"})})],
            [resource("aws:sqs/queuePolicy:QueuePolicy", {"policy": policy_document(
                {"Sid": "Events", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                 "Resource": "arn:aws:sqs:us-east-1:1:q",
                 "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:1:rule/spot"}}})})],
        ),
        "condition-that-pins-nothing": (
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish",
                 "Condition": {"StringLike": {"aws:SourceAccount": "*"}}})})],
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish",
                 "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})})],
        ),
        "deny-to-everyone-is-fine": (
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Sid": "TlsOnly", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish"})})],
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}})})],
        ),
        "open-search-domain": (
            [resource("aws:opensearch/domainPolicy:DomainPolicy", {"accessPolicies": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:ESHttp*"})})],
            [resource("aws:opensearch/domainPolicy:DomainPolicy", {"accessPolicies": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/autocomplete"]},
                 "Action": ["es:ESHttpGet", "es:ESHttpPost"]})})],
        ),
        "not-principal": (
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "NotPrincipal": {"AWS": ROOT}, "Action": "kms:Decrypt"})})],
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:Decrypt"})})],
        ),
    },
    "iam-no-wildcard-action": {
        "inline-admin": (
            [resource("aws:iam/role:Role", {"inlinePolicies": [{"name": "admin", "policy": policy_document(
                {"Effect": "Allow", "Action": "*", "Resource": "*"})}]})],
            [resource("aws:iam/role:Role", {"inlinePolicies": [{"name": "read", "policy": policy_document(
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::models/*"})}]})],
        ),
        "role-policy": (
            [resource("aws:iam/rolePolicy:RolePolicy", {"policy": policy_document(
                {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "*:*"], "Resource": "*"})})],
            [resource("aws:iam/rolePolicy:RolePolicy", {"policy": policy_document(
                {"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "*"})})],
        ),
        "managed-policy-not-action": (
            [resource("aws:iam/policy:Policy", {"policy": policy_document(
                {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})})],
            [resource("aws:iam/policy:Policy", {"policy": {"Version": "2012-10-17", "Statement": {
                "Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}}})],
        ),
        "key-policy-root-admin-is-fine": (
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "*", "Resource": "*"})})],
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"})})],
        ),
    },
    "eks-endpoint-not-open": {
        "default-is-public": (
            [resource("eks:index:Cluster", {"encryptionConfigKeyArn": "k"})],
            [resource("eks:index:Cluster", {"encryptionConfigKeyArn": "k", "endpointPublicAccess": False,
                                            "endpointPrivateAccess": True})],
        ),
        "open-cidr": (
            [resource("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]})],
            [resource("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})],
        ),
        "aws-cluster": (
            [resource("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": True}})],
            [resource("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": False}})],
        ),
    },
    "on-demand-share": {
        "all-on-demand": (
            [resource("aws:autoscaling/group:Group", {"minSize": 2.0, "maxSize": 6.0, "desiredCapacity": 3.0})],
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large", "m6i.large", "m5.large", "m6a.large"], 20.0))],
        ),
        "base-capacity-counts": (
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0, desiredCapacity=4.0,
                mixedInstancesPolicy={"instancesDistribution": {"onDemandBaseCapacity": 3.0,
                                                                "onDemandPercentageAboveBaseCapacity": 0.0}}))],
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0, desiredCapacity=4.0,
                mixedInstancesPolicy={"instancesDistribution": {"onDemandBaseCapacity": 1.0,
                                                                "onDemandPercentageAboveBaseCapacity": 0.0}}))],
        ),
    },
    "nat-per-az-outside-prod": {
        "dev-per-az": (
            [resource("aws:ec2/natGateway:NatGateway", {}, name="nat-a"),
             resource("aws:ec2/natGateway:NatGateway", {}, name="nat-b")],
            [resource("aws:ec2/natGateway:NatGateway", {}, name="nat-a")],
        ),
        "prod-per-az-is-fine": (
            [resource("aws:ec2/natGateway:NatGateway", {}, name=f"nat-{z}", stack="staging") for z in "abc"],
            [resource("aws:ec2/natGateway:NatGateway", {}, name=f"nat-{z}", stack="prod") for z in "abc"],
        ),
    },
    "search-extended-support": {
        "opensearch-2-9": (
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_2.9"))],
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_2.19"))],
        ),
        "elasticsearch-7-4": (
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="Elasticsearch_7.4"))],
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_3.3"))],
        ),
    },
}

RULES_BY_NAME = {rule.name: rule for rule in RULES}
CASE_PARAMS = [
    pytest.param(rule, bad, good, id=f"{rule}-{case}")
    for rule, cases in CASES.items()
    for case, (bad, good) in cases.items()
]


def findings_of(rule_name: str, resources: list[PlannedResource]) -> list[str]:
    return [str(f) for f in evaluate(resources, rules=[RULES_BY_NAME[rule_name]], today=TODAY)]


@pytest.mark.parametrize(("rule", "bad", "good"), CASE_PARAMS)
def test_rule_fails_on_its_violation(rule, bad, good):
    assert findings_of(rule, bad), f"{rule} accepted {[r.name for r in bad]}: {[dict(r.props) for r in bad]}"


@pytest.mark.parametrize(("rule", "bad", "good"), CASE_PARAMS)
def test_rule_passes_on_the_fixed_twin(rule, bad, good):
    assert findings_of(rule, good) == []


def test_every_rule_has_crafted_cases():
    assert set(CASES) == set(RULES_BY_NAME), "rules without crafted cases, or cases for unknown rules"


def test_the_threshold_of_the_on_demand_rule_is_configurable():
    half_on_demand = [resource("aws:autoscaling/group:Group", worker_group(
        ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 50.0))]
    rule = RULES_BY_NAME["on-demand-share"]
    assert evaluate(half_on_demand, rules=[rule]) == []
    assert evaluate(half_on_demand, rules=[rule], config={"on-demand-share": {"maxOnDemandShare": 0.25}})


def test_extended_support_is_judged_on_the_day_it_starts():
    domain = [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_2.19"))]
    rule = [RULES_BY_NAME["search-extended-support"]]
    assert evaluate(domain, rules=rule, today=date(2027, 11, 6)) == []
    assert evaluate(domain, rules=rule, today=date(2027, 11, 7))
