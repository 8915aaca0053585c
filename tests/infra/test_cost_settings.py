"""`ml-platform:cost`: refusals name the key path; the stack files carry a budget each."""

from __future__ import annotations

import pytest

from infra.settings import ConfigError, load_settings

EMAILS = [f"finops{i}@example.com" for i in range(11)]

# (key, value, key path the error must name, a fragment of the explanation)
BAD_COST = {
    "zero budget": ("monthlyBudgetUsd", 0, "ml-platform:cost.monthlyBudgetUsd", "greater than 0"),
    "budget as string": ("monthlyBudgetUsd", "900", "ml-platform:cost.monthlyBudgetUsd", "valid number"),
    "not an address": ("budgetEmails", ["finops"], "ml-platform:cost.budgetEmails", "not an email address"),
    "too many addresses": ("budgetEmails", EMAILS, "ml-platform:cost.budgetEmails", "at most 10"),
    "duplicate address": ("budgetEmails", [EMAILS[0], EMAILS[0]], "ml-platform:cost.budgetEmails", "more than once"),
    "month too long": ("hoursPerMonth", 800, "ml-platform:cost.hoursPerMonth", "less than or equal to 744"),
    "negative NAT traffic": ("natGbPerMonth", -1, "ml-platform:cost.natGbPerMonth", "greater than or equal to 0"),
    "spot share above one": ("minSpotShare", 1.5, "ml-platform:cost.minSpotShare", "less than or equal to 1"),
    "all of a node reserved": ("nodeReservedFraction", 1, "ml-platform:cost.nodeReservedFraction", "less than 1"),
    "typo": ("monthlyBudget", 900, "ml-platform:cost.monthlyBudget", "unknown key"),
}


@pytest.mark.parametrize("case", sorted(BAD_COST))
def test_bad_cost_settings_are_refused_with_the_key_path(case, stack_document, engine_config):
    key, value, key_path, fragment = BAD_COST[case]
    document = stack_document("prod")
    document["config"]["ml-platform:cost"][key] = value
    with pytest.raises(ConfigError) as caught:
        load_settings("prod", engine_config(document))
    matching = [p for p in caught.value.problems if p.key_path == key_path]
    assert matching and any(fragment in p.render() for p in matching), str(caught.value)


def test_defaults_when_the_section_is_omitted(stack_document, engine_config):
    document = stack_document("dev")
    del document["config"]["ml-platform:cost"]
    cost = load_settings("dev", engine_config(document)).cost
    assert cost.hours_per_month == 730 and cost.min_spot_share == 0
    assert not cost.activate_cost_allocation_tags, "activation is opt-in, never a first `up`"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stack_file_sets_its_own_budget(stack, stack_document, engine_config):
    document = stack_document(stack)
    assert "monthlyBudgetUsd" in document["config"]["ml-platform:cost"]
    cost = load_settings(stack, engine_config(document)).cost
    assert cost.monthly_budget_usd == document["config"]["ml-platform:cost"]["monthlyBudgetUsd"]


def test_prod_requires_a_spot_floor(stack_document, engine_config):
    assert load_settings("prod", engine_config(stack_document("prod"))).cost.min_spot_share > 0
