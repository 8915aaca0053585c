"""The policy pack over each stack's offline plan: no mandatory violation; advisories listed.

These run the same rules `pulumi preview --policy-pack policy` runs, on what the real program
declares under mocks (the `plan` fixture), so a component that breaks a platform promise fails
here before anyone previews it against AWS.
"""

from __future__ import annotations

import warnings

import pytest
from mlplatform_policy.evaluate import evaluate, from_inventory
from mlplatform_policy.rules import RULES

from tests.conftest import STACKS

# Mandatory rules the program cannot satisfy yet, with the issue that brings the missing piece.
# Strict: once the piece lands the test passes unexpectedly and fails, so the entry gets removed.
# Rules whose subject a stack does not declare yet (strict xfail: the day it lands, remove it).
PENDING: dict[str, str] = {}

MANDATORY = [rule for rule in RULES if rule.enforcement == "mandatory"]


def stack_findings(plan, stack: str, images: str = "shipped"):
    inventory = plan(stack, images=images)
    return evaluate(from_inventory(inventory.to_json()["resources"]), stack=stack)


# Each stack as shipped (the first deploy: no workloads) and with its images pinned (every
# Deployment, PDB and Ingress declared), so the workload rules never pass for want of workloads.
@pytest.mark.parametrize(
    ("stack", "images", "rule"),
    [
        pytest.param(
            stack, images, rule.name, id=f"{stack}-{images}-{rule.name}",
            marks=[pytest.mark.xfail(strict=True, reason=PENDING[rule.name])] if rule.name in PENDING else [],
        )
        for stack in STACKS
        for images in ("shipped", "pinned")
        for rule in MANDATORY
    ],
)
def test_mandatory_rule_holds_on_the_stack(plan, stack, images, rule):
    violations = [str(f) for f in stack_findings(plan, stack, images) if f.rule == rule]
    assert violations == [], "\n".join(violations)


@pytest.mark.parametrize("stack", STACKS)
def test_advisories_are_listed(plan, stack):
    """Advisory findings do not fail anything; they are shown in the warnings summary."""
    advisories = [f for f in stack_findings(plan, stack) if f.enforcement == "advisory"]
    for finding in advisories:
        warnings.warn(f"{stack}: {finding}", UserWarning, stacklevel=1)
    assert all(finding.message for finding in advisories)


def test_the_plans_are_what_the_rules_read(plan):
    """The rules see the provider's default tags on the stack's resources (the adapter resolves
    provider references), which is what makes required-tags pass without per-resource tags."""
    resources = from_inventory(plan("dev").to_json()["resources"])
    vpc = next(r for r in resources if r.type == "aws:ec2/vpc:Vpc")
    assert vpc.provider_props is not None and "defaultTags" in vpc.provider_props


def test_the_gpu_pool_passes_the_mandatory_rules_when_switched_on(stack_document, scratch_project):
    """Config validation and the policy pack apply one diversification floor: a GPU pool that
    config accepts must not be blocked at preview."""
    import yaml

    from mlp.plan import build_inventory

    document = stack_document("dev")
    document["config"]["ml-platform:cluster"]["gpuPool"] = {"enabled": True}
    inventory = build_inventory("dev", scratch_project("dev", yaml.safe_dump(document)))
    assert any("gpu" in r.name for r in inventory.of_type("aws:autoscaling/group:Group"))
    findings = [str(f) for f in stack_findings(lambda *_, **__: inventory, "dev") if f.enforcement == "mandatory"]
    assert findings == [], "\n".join(findings)


def test_capacity_fit_reads_the_engines_view_of_a_plan(plan):
    """pulumi-policy hands a stack policy its props behind `unknown_checking_proxy` (mappings and
    sequences that are not dicts and lists); the rule reads them as it reads the offline plan:
    prod fits, and the same plan with discovery at 250 pods is refused, naming the spot pool."""
    import copy
    from dataclasses import replace

    from mlplatform_policy.resources import StackContext
    from mlplatform_policy.rules.capacity import check_capacity_fit
    from pulumi_policy.proxy import unknown_checking_proxy

    resources = from_inventory(plan("prod", images="pinned").to_json()["resources"])
    proxied = [replace(r, props=unknown_checking_proxy(copy.deepcopy(dict(r.props)))) for r in resources]
    assert check_capacity_fit(proxied, StackContext(stack="prod")) == []
    grown = []
    for resource in resources:
        props = copy.deepcopy(dict(resource.props))
        if resource.type == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler" and props["spec"]["scaleTargetRef"]["name"] == "discovery":
            props["spec"]["minReplicas"] = 250
        grown.append(replace(resource, props=unknown_checking_proxy(props)))
    (violation,) = check_capacity_fit(grown, StackContext(stack="prod"))
    assert "pool spot" in violation.message and "discovery/discovery" in violation.message
