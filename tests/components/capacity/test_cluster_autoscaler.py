"""cluster-autoscaler: the IAM policy, the priority expander and the chart values."""

import json

import pytest
import yaml

from components.capacity.cluster_autoscaler import (
    CATCH_ALL_PRIORITY,
    CHART_FOR_KUBERNETES,
    PoolPreference,
    autoscaler_policy,
    autoscaler_values,
    expander_priorities,
    priority_config_map_data,
)
from components.nodes.placement import system_pod_placement

SPOT = PoolPreference("mlp-prod-spot", 0, 0)
MIXED = PoolPreference("mlp-prod-mixed", 1, 30)
ON_DEMAND = PoolPreference("mlp-prod-on-demand", 0, 100)


def test_spot_heavy_pools_rank_first_and_on_demand_is_the_fallback():
    tiers = expander_priorities([ON_DEMAND, SPOT, MIXED])
    ranked = [tiers[p] for p in sorted(tiers, reverse=True)]
    assert ranked == [[r"^mlp\-prod\-spot$"], [r"^mlp\-prod\-mixed$"], [r"^mlp\-prod\-on\-demand$"], [".*"]]
    assert min(tiers) == CATCH_ALL_PRIORITY


def test_pools_with_the_same_mix_share_a_tier():
    other_spot = PoolPreference("mlp-prod-spot-large", 0, 0)
    tiers = expander_priorities([SPOT, other_spot, ON_DEMAND])
    top = tiers[max(tiers)]
    assert top == [r"^mlp\-prod\-spot$", r"^mlp\-prod\-spot\-large$"]
    assert len(tiers) == 3


def test_config_map_holds_the_expanders_yaml_format():
    data = priority_config_map_data(expander_priorities([SPOT, ON_DEMAND]))
    parsed = yaml.safe_load(data["priorities"])
    assert all(isinstance(priority, int) for priority in parsed)
    assert parsed[max(parsed)] == [r"^mlp\-prod\-spot$"]
    assert list(parsed) == sorted(parsed, reverse=True)


def test_mutating_calls_are_limited_to_this_clusters_groups():
    policy = autoscaler_policy("mlp-prod", "us-east-1", "123456789012")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    scale = statements["ScaleOwnGroupsOnly"]
    assert set(scale["Action"]) == {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/mlp-prod": "owned"}}
    assert scale["Resource"].startswith("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:")
    for statement in policy["Statement"]:
        if statement["Resource"] == "*":
            assert all(":Describe" in action or ":Get" in action for action in statement["Action"]), statement["Sid"]


def test_policy_passes_parliament():
    parliament = pytest.importorskip("parliament")
    findings = parliament.analyze_policy_string(json.dumps(autoscaler_policy("mlp-prod", "us-east-1", "123456789012"))).findings
    assert not findings, [(f.issue, f.detail) for f in findings]


def test_values_wire_discovery_expanders_identity_and_placement():
    values = autoscaler_values(
        cluster_name="mlp-prod",
        region="us-east-1",
        role_arn="arn:aws:iam::123456789012:role/ca",
        image_tag="v1.35.2",
        replicas=2,
        scale_down_unneeded_minutes=10,
        max_node_provision_minutes=8,
    )
    assert values["autoDiscovery"] == {"clusterName": "mlp-prod"}
    assert values["extraArgs"]["expander"].split(",")[0] == "priority"
    assert values["extraArgs"]["balance-similar-node-groups"] is True
    assert values["extraArgs"]["max-node-provision-time"] == "8m"
    assert values["rbac"]["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ca"}
    placement = system_pod_placement()
    assert values["nodeSelector"] == placement["nodeSelector"] and values["tolerations"] == placement["tolerations"]
    assert values["priorityClassName"] == "system-cluster-critical"
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1}


def test_release_pins_the_chart_for_the_cluster_version(autoscaler_example):
    inventory = autoscaler_example("1.35")
    (release,) = inventory.of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"] == "cluster-autoscaler"
    assert release.inputs["version"] == CHART_FOR_KUBERNETES["1.35"][0]
    assert release.inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    assert release.inputs["values"]["image"]["tag"] == CHART_FOR_KUBERNETES["1.35"][1] == "v1.35.2"
    assert release.inputs["values"]["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    (config_map,) = inventory.of_type("kubernetes:core/v1:ConfigMap")
    assert config_map.inputs["metadata"] == {"name": "cluster-autoscaler-priority-expander", "namespace": "kube-system"}
    (policy,) = inventory.of_type("aws:iam/rolePolicy:RolePolicy")
    assert "mlp-unit" in policy.inputs["policy"]


def test_a_version_without_a_pinned_chart_is_refused(autoscaler_example):
    with pytest.raises(ValueError, match="no cluster-autoscaler chart pinned for Kubernetes 1.30"):
        autoscaler_example("1.30")
