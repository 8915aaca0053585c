"""The rule catalogue: every rule of `mlplatform_policy.rules` has crafted cases, in the test
module that mirrors the module its check lives in (tests/policy/rules/test_<module>.py)."""

from __future__ import annotations

import importlib

import pytest
from mlplatform_policy.rules import RULES

MODULES = ("encryption", "exposure", "capacity", "workloads", "ownership", "cost", "iam")
CASES_BY_MODULE = {module: importlib.import_module(f"tests.policy.rules.test_{module}").CASES for module in MODULES}
CASES = {rule: cases for module_cases in CASES_BY_MODULE.values() for rule, cases in module_cases.items()}
"""Every crafted case, by rule (the pack's engine-interface test runs them too)."""


def test_every_rule_has_crafted_cases():
    assert set(CASES) == {rule.name for rule in RULES}, "rules without crafted cases, or cases for unknown rules"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_each_rules_cases_sit_beside_its_checks_module(rule):
    module = rule.check.__module__.rsplit(".", 1)[-1]
    assert rule.name in CASES_BY_MODULE[module], f"{rule.name}: its cases belong in tests/policy/rules/test_{module}.py"
