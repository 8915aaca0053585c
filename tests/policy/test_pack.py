"""The policy pack maps every rule exactly once, and its wrappers hand the engine's view of a
resource (property proxies, the provider, the URN) to the same rule functions."""

from __future__ import annotations

import runpy
from typing import Any

import pulumi_policy
import pytest
from mlplatform_policy.pack import ENFORCEMENT, PACK_NAME, policies
from mlplatform_policy.rules import RULES
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from mlp.plan import PROJECT_DIR
from tests.policy.test_rules import CASES


class RecordedPack:
    """Stands in for PolicyPack, whose constructor would start the policy server."""

    calls: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        RecordedPack.calls.append(kwargs)


@pytest.fixture
def pack_arguments(monkeypatch) -> dict[str, Any]:
    RecordedPack.calls = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", RecordedPack)
    runpy.run_path(str(PROJECT_DIR / "policy" / "__main__.py"), run_name="__main__")
    assert len(RecordedPack.calls) == 1, "policy/__main__.py must create exactly one PolicyPack"
    return RecordedPack.calls[0]


def test_main_maps_every_rule_exactly_once(pack_arguments):
    names = [policy.name for policy in pack_arguments["policies"]]
    assert sorted(names) == sorted(rule.name for rule in RULES)
    assert len(names) == len(set(names))
    assert pack_arguments["name"] == PACK_NAME


def test_each_policy_keeps_its_rules_scope_and_enforcement(pack_arguments):
    by_name = {policy.name: policy for policy in pack_arguments["policies"]}
    for rule in RULES:
        policy = by_name[rule.name]
        expected = ResourceValidationPolicy if rule.scope == "resource" else StackValidationPolicy
        assert isinstance(policy, expected), f"{rule.name} is a {type(policy).__name__}"
        assert policy.enforcement_level == ENFORCEMENT[rule.enforcement], rule.name


def test_the_pack_has_both_levels():
    levels = {rule.enforcement for rule in RULES}
    assert levels == {"mandatory", "advisory"}


OPTIONS = PolicyResourceOptions(
    protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
    custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[],
)


def engine_provider(planned) -> PolicyProviderResource | None:
    if planned.provider_props is None:
        return None
    return PolicyProviderResource(
        "pulumi:providers:aws", unknown_checking_proxy(dict(planned.provider_props)),
        "urn:pulumi:dev::ml-platform::pulumi:providers:aws::aws", "aws",
    )


def run_engine_policy(policy, resources) -> list[tuple[str, str | None]]:
    """Call a wrapped policy the way the policy server does (props behind the unknown-checking
    proxy, the provider as a PolicyProviderResource)."""
    reported: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    if isinstance(policy, ResourceValidationPolicy):
        for planned in resources:
            args = ResourceValidationArgs(
                planned.type, unknown_checking_proxy(dict(planned.props)), planned.urn, planned.name,
                OPTIONS, engine_provider(planned),
            )
            policy.validate(args, report)
    else:
        engine_resources: list[PolicyResource] = []
        by_urn: dict[str, PolicyResource] = {}
        for planned in resources:  # parents come first, as the engine registers them
            engine_resource = PolicyResource(
                planned.type, unknown_checking_proxy(dict(planned.props)), planned.urn, planned.name,
                OPTIONS, engine_provider(planned), by_urn.get(planned.parent or ""), [], {},
            )
            by_urn[planned.urn] = engine_resource
            engine_resources.append(engine_resource)
        policy.validate(StackValidationArgs(engine_resources), report)
    return reported


ENGINE_CASES = [
    pytest.param(rule, bad, good, id=f"{rule}-{case}")
    for rule, cases in CASES.items()
    for case, (bad, good) in cases.items()
    if rule != "search-extended-support"  # judged against today's date; see test_rules
]


@pytest.mark.parametrize(("rule", "bad", "good"), ENGINE_CASES)
def test_wrapped_policy_reports_through_the_engine_interface(rule, bad, good):
    policy = {p.name: p for p in policies()}[rule]
    assert run_engine_policy(policy, bad), f"{rule} reported nothing through the engine interface"
    assert run_engine_policy(policy, good) == []


def test_the_docs_list_every_rule_once_with_its_level():
    page = (PROJECT_DIR / "docs" / "delivery-and-policy.md").read_text()
    for rule in RULES:
        row = f"| `{rule.name}` | {rule.enforcement} |"
        assert page.count(row) == 1, (
            f"docs/delivery-and-policy.md lists rule {rule.name} {page.count(row)} times, not once"
        )
