"""The policy pack and the guardrails on Karpenter stacks: limits set, spot diversified, tags on
launched capacity. Crafted NodePools and EC2NodeClasses come from the program's own manifest
functions, then are broken one way each; the Karpenter variant of each stack passes every
mandatory rule."""

from __future__ import annotations

import copy

import pytest
from mlplatform_policy.evaluate import evaluate, from_inventory
from mlplatform_policy.rules import RULES

from components.karpenter.karpenter_manifests import (
    KarpenterNodeSettings,
    KarpenterPool,
    node_class_manifest,
    node_pool_manifest,
)
from mlp import guardrails
from tests.conftest import STACKS
from tests.policy.crafted import DEFAULT_TAGS, TODAY, findings_of, resource

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
SHARED = KarpenterNodeSettings(
    cluster_name="mlp-dev", ami_version="v20260714", cost_tags=DEFAULT_TAGS
)
SPOT = KarpenterPool(
    name="spot",
    capacity="spot",
    instance_types=("m6a.large", "m7a.large", "m6i.large", "m5a.large"),
    max_size=4,
)


def node_pool(change=None, pool: KarpenterPool = SPOT):
    manifest = copy.deepcopy(node_pool_manifest(pool, SHARED))
    if change:
        change(manifest["spec"])
    return resource(NODEPOOL, manifest, name=f"pool-{pool.name}")


def node_class(change=None):
    manifest = copy.deepcopy(node_class_manifest(SPOT, SHARED, "node-role"))
    if change:
        change(manifest["spec"])
    return resource(NODECLASS, manifest, name="class-spot")


def _narrow(spec):
    spec["template"]["spec"]["requirements"][1]["values"] = ["m6a.large", "m7a.large"]
    spec["template"]["spec"]["requirements"][1].pop("minValues")


CASES = {
    "spot-pools-diversified": {
        "spot-nodepool-with-two-types": ([node_pool(_narrow)], [node_pool()]),
        "a-family-requirement-beside-one-type": (
            [node_pool(lambda s: (_narrow(s), s["template"]["spec"]["requirements"].append(
                {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["m6a"]})))],
            [node_pool(lambda s: s["template"]["spec"]["requirements"].append(
                {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["m6a", "m7a", "m6i", "m5a"]}))],
        ),
        "no-capacity-type-may-be-spot": (
            [node_pool(lambda s: (_narrow(s), s["template"]["spec"]["requirements"].pop(0)))],
            [node_pool(lambda s: s["template"]["spec"]["requirements"].pop(0))],
        ),
    },
    "bounded-growth": {
        "nodepool-without-limits": ([node_pool(lambda s: s.pop("limits"))], [node_pool()]),
        "nodepool-without-a-memory-limit": (
            [node_pool(lambda s: s["limits"].pop("memory"))],
            [node_pool()],
        ),
    },
    "required-tags": {
        "nodeclass-without-tags": ([node_class(lambda s: s.pop("tags"))], [node_class()]),
        "nodeclass-missing-cost-center": (
            [node_class(lambda s: s["tags"].pop("cost-center"))],
            [node_class()],
        ),
    },
}
CASE_PARAMS = [
    pytest.param(rule, bad, good, id=f"{rule}-{case}")
    for rule, cases in CASES.items()
    for case, (bad, good) in cases.items()
]


@pytest.mark.parametrize(("rule", "bad", "good"), CASE_PARAMS)
def test_rule_fails_on_its_violation(rule, bad, good):
    assert findings_of(rule, bad), f"{rule} accepted {[dict(r.props) for r in bad]}"


@pytest.mark.parametrize(("rule", "bad", "good"), CASE_PARAMS)
def test_rule_passes_on_the_fixed_twin(rule, bad, good):
    assert findings_of(rule, good) == []


def test_an_on_demand_nodepool_needs_no_diversity():
    on_demand = KarpenterPool(
        name="on-demand", capacity="on-demand", instance_types=("m6a.large",), max_size=2
    )
    assert findings_of("spot-pools-diversified", [node_pool(pool=on_demand)]) == []


@pytest.mark.parametrize("stack", STACKS)
def test_mandatory_rules_hold_on_each_karpenter_stack(stack, karpenter_plan):
    inventory = karpenter_plan(stack)
    mandatory = [rule for rule in RULES if rule.enforcement == "mandatory"]
    findings = evaluate(
        from_inventory(inventory.to_json()["resources"]), rules=mandatory, stack=stack, today=TODAY
    )
    assert [str(f) for f in findings] == []


def test_guardrails_cover_each_karpenter_stack(karpenter_inventory):
    assert guardrails.missing_tags(karpenter_inventory.resources) == []
    assert guardrails.unbounded_growth(karpenter_inventory.resources) == []
    # The rules do read the NodePools and EC2NodeClasses of the plan: strip them and they fail.
    stripped = copy.deepcopy(karpenter_inventory.resources)
    for r in stripped:
        if r.type == NODEPOOL:
            r.inputs["spec"].pop("limits")
        if r.type == NODECLASS:
            r.inputs["spec"]["tags"] = {}
    assert len(guardrails.unbounded_growth(stripped)) == len(karpenter_inventory.of_type(NODEPOOL))
    assert len(guardrails.missing_tags(stripped)) == len(karpenter_inventory.of_type(NODECLASS))
