"""The AWS Load Balancer Controller: its narrowed IAM policy (checked with parliament) and its
pinned Helm release on the system pool."""

from __future__ import annotations

import json
import warnings

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.edge.load_balancer_controller import (
    CHART_VERSION,
    SERVICE_ACCOUNT,
    LoadBalancerController,
    LoadBalancerControllerArgs,
    controller_values,
)
from components.edge.load_balancer_controller_policy import (
    CLUSTER_TAG,
    READ_ONLY_ACTIONS,
    controller_policy,
)
from components.nodes.placement import POOL_LABEL, SYSTEM_POOL, SYSTEM_TAINT
from tests.iam_lint import known_to_be_newer
from tests.kubernetes_checks import KUBECONFIG

ACCOUNT = "123456789012"
VPC = "vpc-0123456789abcdef0"
POLICY = controller_policy("aws", "us-east-1", ACCOUNT, VPC)



def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: dict) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else list(resource)


def test_scopable_reads_name_their_resource_types():
    """CKV_AWS_355: these three have resource types in the Service Authorization Reference
    (vpc*, coip-pool*, certificate*), so they are not granted on `*` as upstream does."""
    scoped = {"ec2:GetSecurityGroupsForVpc", "ec2:GetCoipPoolUsage", "acm:DescribeCertificate"}
    for statement in POLICY["Statement"]:
        granted = scoped & set(_actions(statement))
        if granted:
            assert "*" not in _resources(statement), granted
            assert f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/{VPC}" in _resources(statement)
            assert f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/*" in _resources(statement)
    assert scoped <= {a for s in POLICY["Statement"] for a in _actions(s)}, "an upstream read went missing"


def test_parliament_finds_nothing_but_read_only_wildcards():
    with warnings.catch_warnings():
        # parliament imports pkg_resources and compiles regexes with invalid escapes.
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string

        findings = analyze_policy_string(json.dumps(POLICY)).findings
    unexpected = []
    for finding in findings:
        detail = str(finding.detail)
        if finding.issue == "RESOURCE_STAR" and all(action in READ_ONLY_ACTIONS for action in finding.detail):
            continue
        if known_to_be_newer(finding.issue, detail):
            continue
        unexpected.append(f"{finding.issue}: {detail}")
    assert not unexpected, unexpected


def test_only_read_only_actions_get_every_resource():
    for statement in POLICY["Statement"]:
        assert statement["Effect"] == "Allow"
        if "*" in _resources(statement):
            assert set(_actions(statement)) <= set(READ_ONLY_ACTIONS), statement["Sid"]
            assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) for a in _actions(statement)), statement["Sid"]


def test_every_arn_is_in_this_account_and_region():
    for statement in POLICY["Statement"]:
        for resource in _resources(statement):
            if resource == "*":
                continue
            parts = resource.split(":")
            assert parts[4] == ACCOUNT, f"{statement['Sid']}: {resource}"
            assert parts[3] in ("us-east-1", ""), f"{statement['Sid']}: {resource}"


def test_deletes_and_modifications_of_load_balancers_need_the_cluster_tag():
    for statement in POLICY["Statement"]:
        destructive = [a for a in _actions(statement) if a.startswith("elasticloadbalancing:") and a.split(":")[1].startswith(("Delete", "Modify", "Set"))]
        destructive = [a for a in destructive if "Listener" not in a and "Rule" not in a]
        if destructive:
            assert statement["Condition"]["Null"] == {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}, statement["Sid"]
        if {"elasticloadbalancing:CreateLoadBalancer", "ec2:DeleteSecurityGroup"} & set(_actions(statement)):
            assert CLUSTER_TAG in json.dumps(statement["Condition"]), statement["Sid"]


def test_integrations_the_release_disables_are_not_granted():
    values = controller_values(cluster_name="c", region="us-east-1", vpc_id="vpc-1", role_arn="arn", replicas=2)
    assert values["enableWaf"] is False and values["enableWafv2"] is False and values["enableShield"] is False
    granted = {a.split(":")[0] for s in POLICY["Statement"] for a in _actions(s)}
    assert not granted & {"waf-regional", "wafv2", "shield", "cognito-idp"}


def _declare_controller(declare, replicas=2):
    def build():
        cluster = k8s.Provider("k8s", kubeconfig=KUBECONFIG)
        provider = aws.Provider("aws", region="us-east-1")
        LoadBalancerController(
            "load-balancer-controller",
            LoadBalancerControllerArgs(
                kubernetes_provider=cluster,
                oidc_provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
                oidc_issuer="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
                cluster_name="ml-platform-unit",
                vpc_id="vpc-0123456789abcdef0",
                region="us-east-1",
                account_id=ACCOUNT,
                replicas=replicas,
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return declare(build)


def test_release_is_the_pinned_official_chart_on_the_system_pool(declare):
    inventory = _declare_controller(declare)
    (release,) = inventory.of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"] == "aws-load-balancer-controller"
    assert release.inputs["version"] == CHART_VERSION == "3.5.0"
    assert release.inputs["repositoryOpts"]["repo"] == "https://aws.github.io/eks-charts"
    values = release.inputs["values"]
    assert values["nodeSelector"] == {POOL_LABEL: SYSTEM_POOL}
    assert any(t["key"] == SYSTEM_TAINT["key"] for t in values["tolerations"])
    assert values["replicaCount"] >= 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    (role,) = inventory.of_type("aws:iam/role:Role")
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert f"system:serviceaccount:kube-system:{SERVICE_ACCOUNT}" in trust.values()
    assert values["clusterName"] == "ml-platform-unit" and values["vpcId"] == "vpc-0123456789abcdef0"


def test_a_single_replica_is_refused(declare):
    with pytest.raises(ValueError, match="at least 2 replicas"):
        _declare_controller(declare, replicas=1)
