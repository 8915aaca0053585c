"""Crafted resources for the policy rules' tests, shaped as the engine sends them (camelCase
inputs, IAM documents as JSON strings, the AWS provider's `defaultTags` as a JSON string), and
the paired tests every rule module runs over its cases (`case_tests`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from mlplatform_policy.evaluate import evaluate
from mlplatform_policy.resources import PlannedResource
from mlplatform_policy.rules import RULES

Cases = dict[str, dict[str, tuple[list[PlannedResource], list[PlannedResource]]]]
"""rule -> case id -> (violating resources, fixed twin)."""

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

RULES_BY_NAME = {rule.name: rule for rule in RULES}


def findings_of(rule_name: str, resources: list[PlannedResource]) -> list[str]:
    return [str(f) for f in evaluate(resources, rules=[RULES_BY_NAME[rule_name]], today=TODAY)]


def case_params(cases: Cases) -> list:
    return [
        pytest.param(rule, bad, good, id=f"{rule}-{case}")
        for rule, rule_cases in cases.items()
        for case, (bad, good) in rule_cases.items()
    ]


def case_tests(cases: Cases):
    """The two tests each rule module runs: every rule fails on its crafted violation and passes
    on the fixed twin. A module binds them to names pytest collects."""

    @pytest.mark.parametrize(("rule", "bad", "good"), case_params(cases))
    def test_rule_fails_on_its_violation(rule, bad, good):
        assert findings_of(rule, bad), f"{rule} accepted {[r.name for r in bad]}: {[dict(r.props) for r in bad]}"

    @pytest.mark.parametrize(("rule", "bad", "good"), case_params(cases))
    def test_rule_passes_on_the_fixed_twin(rule, bad, good):
        assert findings_of(rule, good) == []

    return test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin
