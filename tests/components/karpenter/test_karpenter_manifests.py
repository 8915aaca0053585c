"""The EC2NodeClass and NodePool manifests, against Karpenter 1.14.1's own CRDs (schema, unknown
fields and CEL rules), and the platform rules they carry."""

from __future__ import annotations

import pytest

from components.karpenter.karpenter_manifests import (
    DISCOVERY_TAG,
    node_class_manifest,
    node_pool_manifest,
    pool_limits,
    pool_manifests,
)
from components.nodes.instance_catalog import MIN_SPOT_INSTANCE_TYPES, instance_catalog
from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL, SPOT_TAINT
from tests.components.karpenter.karpenter_pools import ON_DEMAND, SHARED, SPOT
from tests.karpenter_crds import cel_problems, crd_problems, transition_rules


@pytest.mark.parametrize(
    "manifest",
    pool_manifests([SPOT, ON_DEMAND], SHARED, "node-role"),
    ids=lambda m: f"{m['kind']}-{m['metadata']['name']}",
)
def test_every_manifest_is_accepted_by_the_crds(manifest):
    assert crd_problems(manifest) == []
    _, evaluated = cel_problems(manifest)
    assert evaluated >= 20, (
        f"only {evaluated} CEL rules applied: the walk is not reaching the fields"
    )


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (
            lambda m: m["spec"]["template"]["metadata"]["labels"].update(
                {"karpenter.sh/team": "x"}
            ),
            'label domain "karpenter.sh" is restricted',
        ),
        (
            lambda m: m["spec"]["template"]["spec"]["requirements"][1].update({"minValues": 9}),
            "minValues",
        ),
        (
            lambda m: m["spec"]["disruption"].update({"consolidateAfterr": "1m"}),
            "consolidateAfterr",
        ),
        (lambda m: m["spec"]["template"]["spec"].update({"expireAfter": "30 days"}), "expireAfter"),
        (
            lambda m: m["spec"]["disruption"]["budgets"][0].update({"schedule": "@daily"}),
            "'schedule' must be set with 'duration'",
        ),
    ],
)
def test_the_nodepool_check_refuses_what_the_api_server_refuses(break_it, expected):
    manifest = node_pool_manifest(SPOT, SHARED)
    break_it(manifest)
    problems = crd_problems(manifest)
    assert problems and expected in " ".join(problems), problems


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (
            lambda m: m["spec"]["tags"].update({"kubernetes.io/cluster/mlp-unit": "owned"}),
            "restricted tag",
        ),
        (
            lambda m: m["spec"].update({"instanceProfile": "x"}),
            "exactly one of ['role', 'instanceProfile']",
        ),
        (
            lambda m: m["spec"]["amiSelectorTerms"][0].update({"alias": "al2023"}),
            "improperly formatted",
        ),
        (
            lambda m: m["spec"]["metadataOptions"].update({"httpTokens": "optional-ish"}),
            "httpTokens",
        ),
        (
            lambda m: m["spec"]["blockDeviceMappings"].append(
                dict(m["spec"]["blockDeviceMappings"][0])
            ),
            "only one blockDeviceMappings with rootVolume",
        ),
    ],
)
def test_the_nodeclass_check_refuses_what_the_api_server_refuses(break_it, expected):
    manifest = node_class_manifest(SPOT, SHARED, "node-role")
    break_it(manifest)
    problems = crd_problems(manifest)
    assert problems and expected in " ".join(problems), problems


def test_transition_rules_are_the_only_ones_left_unchecked():
    """Rules naming oldSelf guard updates (nodeClassRef immutability, static/dynamic switch);
    they cannot fail on create, which is what the program declares."""
    rules = transition_rules(node_pool_manifest(SPOT, SHARED))
    assert rules and all("oldSelf" in rule for rule in rules)
    assert transition_rules(node_class_manifest(SPOT, SHARED, "r")) == []


def test_spot_pool_is_diversified_tainted_and_preferred():
    spec = node_pool_manifest(SPOT, SHARED)["spec"]
    requirements = {r["key"]: r for r in spec["template"]["spec"]["requirements"]}
    assert requirements["karpenter.sh/capacity-type"]["values"] == ["spot"]
    types = requirements["node.kubernetes.io/instance-type"]
    assert types["values"] == list(SPOT.instance_types)
    assert types["minValues"] == MIN_SPOT_INSTANCE_TYPES
    assert spec["template"]["spec"]["taints"] == [SPOT_TAINT]
    assert spec["template"]["metadata"]["labels"] == {POOL_LABEL: "spot", CAPACITY_LABEL: "spot"}
    on_demand = node_pool_manifest(ON_DEMAND, SHARED)["spec"]
    assert spec["weight"] > on_demand["weight"], "spot must be tried before the on-demand fallback"
    assert "taints" not in on_demand["template"]["spec"]
    assert on_demand["template"]["metadata"]["labels"] == {
        POOL_LABEL: "on-demand",
        CAPACITY_LABEL: "on-demand",
    }


def test_consolidation_budget_and_expiry():
    spec = node_pool_manifest(SPOT, SHARED)["spec"]
    assert spec["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    assert spec["disruption"]["budgets"] == [{"nodes": "1"}]
    assert spec["template"]["spec"]["expireAfter"] == "720h"


def test_limits_are_max_size_of_the_largest_type():
    catalog = instance_catalog()
    assert pool_limits(SPOT.instance_types, 20) == {"cpu": "40", "memory": "160Gi"}
    assert catalog["m6a.large"].vcpu == 2 and catalog["m6a.large"].memory_gib == 8
    mixed = pool_limits(("m6a.large", "m6a.xlarge"), 3)
    assert mixed == {"cpu": "12", "memory": "48Gi"}
    with pytest.raises(ValueError, match="not in the price tables"):
        pool_limits(("m6a.nonesuch",), 3)


def test_node_class_is_pinned_hardened_and_tagged():
    spec = node_class_manifest(ON_DEMAND, SHARED, "node-role")["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@v20260714"}]
    assert spec["role"] == "node-role"
    discovery = [{"tags": {DISCOVERY_TAG: "mlp-unit"}}]
    assert (
        spec["subnetSelectorTerms"] == discovery and spec["securityGroupSelectorTerms"] == discovery
    )
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (root,) = spec["blockDeviceMappings"]
    assert root["rootVolume"] is True
    assert root["ebs"] | {"volumeSize": None} == {
        "volumeSize": None,
        "volumeType": "gp3",
        "iops": 3000,
        "throughput": 125,
        "encrypted": True,
        "deleteOnTermination": True,
    }
    assert root["ebs"]["volumeSize"] == "60Gi"
    assert spec["tags"] == dict(SHARED.cost_tags)
