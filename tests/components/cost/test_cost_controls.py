"""The budget and the cost allocation tags, as declared."""

from __future__ import annotations

import pytest

from components.cost.cost_controls import BUDGET_THRESHOLDS, CostControls, CostControlsArgs
from infra.tags import COST_ALLOCATION_TAG_KEYS

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


def _controls(**overrides):
    args = dict(environment="unit", monthly_budget_usd=750, alert_topic_arn=TOPIC, budget_emails=("finops@example.com",))
    args.update(overrides)
    return lambda: CostControls("cost", CostControlsArgs(**args))


def test_budget_is_monthly_cost_filtered_by_the_environment_tag(declare):
    inventory = declare(_controls())
    (budget,) = inventory.of_type("aws:budgets/budget:Budget")
    inputs = budget.inputs
    assert (inputs["budgetType"], inputs["timeUnit"], inputs["limitUnit"]) == ("COST", "MONTHLY", "USD")
    assert float(inputs["limitAmount"]) == 750
    assert inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:environment$unit"]}]


def test_budget_alerts_on_forecast_and_actual_to_topic_and_emails(declare):
    inventory = declare(_controls())
    (budget,) = inventory.of_type("aws:budgets/budget:Budget")
    notifications = budget.inputs["notifications"]
    assert sorted((n["notificationType"], n["threshold"]) for n in notifications) == sorted(BUDGET_THRESHOLDS)
    assert {("FORECASTED", 80), ("FORECASTED", 100), ("ACTUAL", 100)} == {(n["notificationType"], n["threshold"]) for n in notifications}
    for notification in notifications:
        assert notification["thresholdType"] == "PERCENTAGE"
        assert notification["comparisonOperator"] == "GREATER_THAN"
        assert notification["subscriberSnsTopicArns"] == [TOPIC]
        assert notification["subscriberEmailAddresses"] == ["finops@example.com"]


@pytest.mark.parametrize("keys", [COST_ALLOCATION_TAG_KEYS, ()])
def test_cost_allocation_tags_are_activated_when_asked(declare, keys):
    inventory = declare(_controls(cost_allocation_tag_keys=keys))
    tags = inventory.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")
    assert sorted(t.inputs["tagKey"] for t in tags) == sorted(keys)
    assert all(t.inputs["status"] == "Active" for t in tags)


def test_a_non_positive_budget_is_refused(declare):
    with pytest.raises(ValueError, match="monthly_budget_usd"):
        declare(_controls(monthly_budget_usd=0))


def test_each_stack_declares_its_budget_to_the_alert_topic(stack_inventory, stack_document):
    config = stack_document(stack_inventory.stack)["config"]["ml-platform:cost"]
    (budget,) = stack_inventory.of_type("aws:budgets/budget:Budget")
    assert float(budget.inputs["limitAmount"]) == config["monthlyBudgetUsd"]
    assert budget.inputs["costFilters"][0]["values"] == [f"user:environment${stack_inventory.stack}"]
    for notification in budget.inputs["notifications"]:
        assert notification["subscriberSnsTopicArns"] == [stack_inventory.outputs["alertTopicArn"]]
        assert notification["subscriberEmailAddresses"] == config["budgetEmails"]
    activated = {t.inputs["tagKey"] for t in stack_inventory.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")}
    expected = set(COST_ALLOCATION_TAG_KEYS) if config.get("activateCostAllocationTags", False) else set()
    assert activated == expected


def test_no_shipped_stack_activates_cost_allocation_tags_on_its_first_up(plan, stack_document):
    """Cost Explorer refuses a key billing has not seen yet (up to a day after the first tagged
    resource: hashicorp/terraform-provider-aws #29068, #31442) and any activation from an
    Organizations member account (#37636), so a first `up` that declares one fails. Activation is a later,
    opt-in step (docs/deploying.md)."""
    for stack in ("dev", "prod"):
        assert stack_document(stack)["config"]["ml-platform:cost"]["activateCostAllocationTags"] is False, stack
        declared = [r.name for r in plan(stack).of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")]
        assert declared == [], f"{stack} declares {declared} on its first up"

