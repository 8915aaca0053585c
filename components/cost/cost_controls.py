"""The stack's budget and the cost allocation tags it filters on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# (notification type, percent of the budget): early warning on the forecast, then the forecast
# and the actual spend reaching the limit.
BUDGET_THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("FORECASTED", 80.0),
    ("FORECASTED", 100.0),
    ("ACTUAL", 100.0),
)


def environment_cost_filter(tag_key: str, environment: str) -> dict[str, object]:
    """AWS Budgets' filter for one value of a user-defined cost allocation tag:
    `TagKeyValue` = `user:<key>$<value>`."""
    return {"name": "TagKeyValue", "values": [f"user:{tag_key}${environment}"]}


def budget_notifications(topic_arn: str | pulumi.Output[str], emails: Sequence[str]) -> list[dict[str, object]]:
    """One notification per threshold, each to the alert topic and the budget's emails."""
    return [
        {
            "notification_type": kind,
            "comparison_operator": "GREATER_THAN",
            "threshold": percent,
            "threshold_type": "PERCENTAGE",
            "subscriber_sns_topic_arns": [topic_arn],
            "subscriber_email_addresses": list(emails),
        }
        for kind, percent in BUDGET_THRESHOLDS
    ]


@dataclass(frozen=True, kw_only=True)
class CostControlsArgs:
    """Inputs of `CostControls`."""

    environment: str
    """Value of the environment tag the budget filters on (the stack name)."""
    monthly_budget_usd: float
    """Monthly limit in USD."""
    alert_topic_arn: pulumi.Input[str]
    """SNS topic every budget notification goes to (the platform alert topic)."""
    budget_emails: Sequence[str] = ()
    """Addresses notified directly by AWS Budgets (at most 10). Default none."""
    environment_tag_key: str = "environment"
    """Tag key carrying the environment. Default `environment`."""
    cost_allocation_tag_keys: Sequence[str] = ()
    """Tag keys to activate as cost allocation tags. Default none (nothing activated)."""
    name_prefix: str = "ml-platform"
    """Prefix of the budget's name. Default `ml-platform`."""


class CostControls(pulumi.ComponentResource):
    """Cost guardrails of one environment.

    Creates:
    - a monthly COST budget, filtered by the environment tag, notifying the alert topic and the
      given emails at 80 % and 100 % of forecast and 100 % of actual spend;
    - one active cost allocation tag per given key, so the budget's tag filter and Cost Explorer
      can see the platform's tags. Activation is account-wide, only from the payer (management)
      account, and AWS accepts a key only after billing has seen it on a resource, up to a day
      after the first tagged resource (hashicorp/terraform-provider-aws #29068, "empty result",
      and #31442), and a member account gets "Linked account doesn't have access to cost
      allocation tags" (terraform-provider-aws #37636), so the program passes keys only when a
      stack opts in, after its first `up`.
    """

    budget_name: pulumi.Output[str]

    def __init__(self, name: str, args: CostControlsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cost:CostControls", name, None, opts)
        if args.monthly_budget_usd <= 0:
            raise ValueError("monthly_budget_usd must be positive")
        for key in args.cost_allocation_tag_keys:
            aws.costexplorer.CostAllocationTag(
                f"{name}-tag-{key}",
                tag_key=key,
                status="Active",
                opts=pulumi.ResourceOptions(parent=self),
            )
        budget = aws.budgets.Budget(
            f"{name}-budget",
            name=f"{args.name_prefix}-{args.environment}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{args.monthly_budget_usd:.2f}",
            limit_unit="USD",
            cost_filters=[aws.budgets.BudgetCostFilterArgs(**environment_cost_filter(args.environment_tag_key, args.environment))],
            notifications=[
                aws.budgets.BudgetNotificationArgs(**notification)
                for notification in budget_notifications(args.alert_topic_arn, args.budget_emails)
            ],
            # Not dependent on the tag activations: activation only succeeds once AWS billing has
            # seen a key (up to a day after the first tagged resource), and the budget must not
            # fail with it; its filter matches as soon as the tag is active.
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.budget_name = budget.name
        self.register_outputs({"budget_name": self.budget_name})
