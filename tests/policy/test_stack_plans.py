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
