"""The Karpenter controller: its IAM policy (tag-scoped like the reference, parliament-clean), its
chart values (only keys of chart 1.14.1) and the component under mocks."""

from __future__ import annotations

import json
import warnings

import pytest

from components.karpenter.karpenter_controller import (
    CHART,
    CHART_VERSION,
    CRD_CHART,
    controller_values,
)
from components.karpenter.karpenter_controller_policy import controller_policy
from tests.helm_chart_keys import chart_keys, key_file, unknown_paths
from tests.iam_lint import tolerated

NODE_ROLE = "arn:aws:iam::123456789012:role/karpenter-node-role-0000000"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:karpenter-interruption-queue-0000000"


def policy(queue_arn: str | None = QUEUE) -> dict:
    return controller_policy(
        cluster_name="mlp-unit",
        region="us-east-1",
        account_id="123456789012",
        node_role_arn=NODE_ROLE,
        queue_arn=queue_arn,
    )


def statements() -> dict[str, dict]:
    return {s["Sid"]: s for s in policy()["Statement"]}


def test_policy_passes_parliament():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import parliament
    findings = [
        parliament.enhance_finding(f)
        for f in parliament.analyze_policy_string(json.dumps(policy())).findings
    ]
    blocking = [
        f"{f.issue} {f.severity} {f.detail}"
        for f in findings
        if (
            f.severity in {"MEDIUM", "HIGH", "CRITICAL"}
            or f.issue in {"UNKNOWN_ACTION", "UNKNOWN_PREFIX"}
        )
        and not tolerated(f.issue, f.detail, policy())
    ]
    assert not blocking, blocking
    tolerated_findings = [f for f in findings if tolerated(f.issue, f.detail, policy())]
    assert len(tolerated_findings) == 4, (
        "only the three split launch statements and the public-parameter read"
    )


def test_a_launch_grant_outside_the_split_is_not_tolerated():
    """The tolerance is for RunInstances/CreateFleet split by resource type only: the same
    finding on another action still fails."""
    detail = [{"action": "ec2:TerminateInstances", "required_format": "arn:*:ec2:*:*:instance/*"}]
    assert not tolerated("RESOURCE_MISMATCH", detail)
    assert not tolerated("RESOURCE_MISMATCH", [*detail, {"action": "ec2:RunInstances"}])
    assert tolerated("RESOURCE_MISMATCH", [{"action": "ec2:RunInstances", "required_format": "x"}])


def test_the_public_parameter_tolerance_holds_only_for_public_parameters():
    detail = [{"action": "ssm:GetParameter", "required_format": "arn:*:ssm:*:*:parameter/*"}]
    assert tolerated("RESOURCE_MISMATCH", detail, policy())
    wrong = {
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:s3:::bucket"}
        ]
    }
    assert not tolerated("RESOURCE_MISMATCH", detail, wrong)
    private = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": "arn:aws:ssm:us-east-1:1:parameter/x",
            }
        ]
    }
    assert not tolerated("RESOURCE_MISMATCH", detail, private)
    assert not tolerated("RESOURCE_MISMATCH", detail)


def test_policy_fits_one_inline_policy():
    """IAM's limit for a role's inline policies is 10,240 characters, whitespace not counted."""
    assert len(json.dumps(policy(), separators=(",", ":"))) < 10240


def test_every_write_is_scoped_to_this_cluster():
    """Each statement that launches, tags or deletes names the cluster's ownership tag (request
    or resource), as the reference policy does; only image/subnet/SG reads are unconditioned."""
    owned = "kubernetes.io/cluster/mlp-unit"
    for sid in (
        "AllowScopedEC2LaunchTemplateAccessActions",
        "AllowScopedEC2InstanceActionsWithTags",
        "AllowScopedResourceCreationTagging",
        "AllowScopedResourceTagging",
        "AllowScopedDeletion",
        "AllowScopedInstanceProfileCreationActions",
        "AllowScopedInstanceProfileTagActions",
        "AllowScopedInstanceProfileActions",
    ):
        assert owned in json.dumps(statements()[sid]["Condition"]), sid
    deletion = statements()["AllowScopedDeletion"]
    assert set(deletion["Action"]) == {"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"}
    assert deletion["Condition"]["StringLike"] == {"aws:ResourceTag/karpenter.sh/nodepool": "*"}


def test_only_the_node_role_is_passable_and_only_to_ec2():
    passing = [s for s in policy()["Statement"] if "iam:PassRole" in json.dumps(s["Action"])]
    assert len(passing) == 1
    assert passing[0]["Resource"] == NODE_ROLE
    assert passing[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_queue_read_only_with_a_queue():
    assert statements()["AllowInterruptionQueueActions"]["Resource"] == QUEUE
    assert "sqs:" not in json.dumps(policy(queue_arn=None))


def test_regional_reads_are_held_to_the_region():
    reads = statements()["AllowRegionalReadActions"]
    assert reads["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    assert all(action.startswith("ec2:Describe") for action in reads["Action"])


def values() -> dict:
    return controller_values(
        cluster_name="mlp-unit",
        region="us-east-1",
        interruption_queue="q",
        role_arn=NODE_ROLE,
        replicas=2,
    )


def test_values_use_only_keys_of_the_pinned_chart():
    assert (
        CHART.endswith("/karpenter")
        and CRD_CHART.endswith("/karpenter-crd")
        and CHART_VERSION == "1.14.1"
    )
    assert unknown_paths(values(), *chart_keys(key_file(CHART, CHART_VERSION))) == []
    assert key_file(CRD_CHART, CHART_VERSION).exists()


def test_supported_kubernetes_range():
    from components.capacity.cluster_autoscaler import CHART_FOR_KUBERNETES
    from components.karpenter.karpenter_controller import supports_kubernetes

    assert supports_kubernetes("1.26") and supports_kubernetes("1.36")
    assert not supports_kubernetes("1.25") and not supports_kubernetes("1.37")
    assert all(supports_kubernetes(v) for v in CHART_FOR_KUBERNETES), (
        "a cluster version the stacks accept"
    )


def test_the_controller_has_the_add_ons_posture():
    """The add-ons' hardening rule (components/cluster/addon_security.py) on the pod as the chart renders
    it: the chart's fixed container context plus what the values add."""
    from components.cluster.addon_security import hardening_gaps
    from components.karpenter.karpenter_controller import CHART_CONTAINER_SECURITY_CONTEXT

    v = values()
    container = {**CHART_CONTAINER_SECURITY_CONTEXT, **v["controller"]["securityContext"]}
    assert hardening_gaps(v["podSecurityContext"], container) == []
    assert hardening_gaps(
        v["podSecurityContext"], {**container, "readOnlyRootFilesystem": False}
    ) == ["readOnlyRootFilesystem"]


def test_values_place_and_harden_the_controller():
    v = values()
    assert v["settings"]["clusterName"] == "mlp-unit" and v["settings"]["interruptionQueue"] == "q"
    assert v["settings"]["minValuesPolicy"] == "BestEffort", (
        "spot-only pods must not wait on minValues"
    )
    assert v["replicas"] == 2 and v["podDisruptionBudget"]["maxUnavailable"] == 1
    assert v["priorityClassName"] == "system-cluster-critical"
    assert v["nodeSelector"]["ml-platform.io/pool"] == "system"
    assert {
        "key": "CriticalAddonsOnly",
        "operator": "Equal",
        "value": "true",
        "effect": "NoSchedule",
    } in v["tolerations"]
    assert v["podSecurityContext"]["runAsNonRoot"] is True
    assert v["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert v["controller"]["resources"]["limits"]["memory"] == "1Gi"
    assert v["controller"]["env"] == [{"name": "AWS_REGION", "value": "us-east-1"}], (
        "IMDS is out of reach (hop limit 1)"
    )


def _controller(**overrides):
    import pulumi_kubernetes as k8s

    from components.karpenter.karpenter_controller import (
        KarpenterController,
        KarpenterControllerArgs,
    )

    fields = {
        "cluster_name": "mlp-unit",
        "region": "us-east-1",
        "account_id": "123456789012",
        "kubernetes_provider": k8s.Provider("cluster", kubeconfig="{}"),
        "oidc_provider_arn": (
            "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/UNIT"
        ),
        "oidc_issuer": "https://oidc.eks.us-east-1.amazonaws.com/id/UNIT",
        "interruption_queue_name": "karpenter-q",
        "interruption_queue_arn": QUEUE,
    }
    fields.update(overrides)
    return KarpenterController("karpenter", KarpenterControllerArgs(**fields))


def test_component_declares_role_node_identity_and_both_charts(declare):
    inventory = declare(_controller)
    releases = {r.inputs["name"]: r for r in inventory.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(releases) == {"karpenter", "karpenter-crd"}
    assert releases["karpenter"].inputs["skipCrds"] is True
    assert releases["karpenter"].inputs["values"]["settings"]["interruptionQueue"] == "karpenter-q"
    (entry,) = inventory.of_type("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "EC2_LINUX"
    assert not inventory.of_type("aws:iam/instanceProfile:InstanceProfile"), (
        "Karpenter makes its own profiles"
    )
    (inline,) = inventory.of_type("aws:iam/rolePolicy:RolePolicy")
    document = json.loads(inline.inputs["policy"])
    (passing,) = [s for s in document["Statement"] if s["Sid"] == "AllowPassingInstanceRole"]
    roles = {r.name for r in inventory.of_type("aws:iam/role:Role")}
    assert roles == {"karpenter-node-role", "karpenter-controller-role"}
    assert ":role/karpenter-node-role" in passing["Resource"], passing["Resource"]
    assert entry.inputs["principalArn"] == passing["Resource"]


def test_component_without_a_queue_turns_interruption_off(declare):
    inventory = declare(
        lambda: _controller(interruption_queue_name=None, interruption_queue_arn=None)
    )
    (release,) = [
        r
        for r in inventory.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "karpenter"
    ]
    assert release.inputs["values"]["settings"]["interruptionQueue"] == ""
    (inline,) = inventory.of_type("aws:iam/rolePolicy:RolePolicy")
    assert "sqs:" not in inline.inputs["policy"]


def test_queue_name_and_arn_go_together():
    with pytest.raises(ValueError, match="go together"):
        _controller(interruption_queue_arn=None)
