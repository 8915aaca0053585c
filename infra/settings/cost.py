"""Cost posture: the monthly budget, where its alerts go, and the usage assumptions behind
`mlp cost` (what the price table cannot know: hours, gigabytes, load balancer capacity units)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from infra.settings.base import Section

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# AWS Budgets accepts at most 10 email subscribers per notification (plus one SNS topic).
MAX_BUDGET_EMAILS = 10


class CostSettings(Section):
    """The stack's budget and the usage the offline estimate assumes."""

    monthly_budget_usd: float = Field(
        1000.0,
        gt=0,
        description="Monthly cost budget in USD for everything tagged with this stack's "
        "`environment`. An AWS Budget alerts at 80 % and 100 % of forecast and 100 % of actual; "
        "`mlp plan` warns and the tests fail when the offline estimate exceeds it. Default `1000`.",
    )
    budget_emails: tuple[str, ...] = Field(
        (),
        description="Addresses the budget notifies directly, besides the alert topic (at most "
        "10, an AWS Budgets limit). Default none.",
    )
    activate_cost_allocation_tags: bool = Field(
        False,
        description="Activate the platform's tag keys as cost allocation tags (account-wide, in "
        "the payer account). A later, opt-in step, never part of a first `up`: Cost Explorer "
        "accepts a key only after billing has seen it on a resource (up to a day after the first "
        "`up`), and refuses activation from an Organizations member account (activate there in "
        "the management account instead). Turn it on in one stack per payer account, so "
        "destroying another stack does not deactivate them. Default `false`.",
    )
    hours_per_month: float = Field(
        730.0,
        ge=672,
        le=744,
        description="Hours in the estimated month (AWS pricing pages use 730). Default `730`.",
    )
    nat_gb_per_month: float = Field(
        100.0,
        ge=0,
        description="GB processed by the NAT gateways per month, split evenly across them. "
        "Default `100`.",
    )
    interface_endpoint_gb_per_month: float = Field(
        10.0,
        ge=0,
        description="GB processed by each interface endpoint per month. Default `10`.",
    )
    log_gb_per_month: float = Field(
        5.0,
        ge=0,
        description="GB ingested per CloudWatch log group per month; stored volume is this "
        "times the group's retention in months. Default `5`.",
    )
    alb_lcu_per_hour: float = Field(
        1.0,
        ge=0,
        description="Average load balancer capacity units each ALB consumes per hour. "
        "Default `1`.",
    )
    ecr_gb_per_repository: float = Field(
        5.0,
        ge=0,
        description="GB stored per ECR repository (bounded by its lifecycle policy). Default `5`.",
    )
    sqs_million_requests_per_month: float = Field(
        1.0,
        ge=0,
        description="Million requests per SQS queue per month (long polling keeps this low). "
        "Default `1`.",
    )
    node_reserved_fraction: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Share of each node's CPU and memory kept for the kubelet, system daemons "
        "and DaemonSets when workloads' requests are packed onto pools. Default `0.1`.",
    )
    min_spot_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Smallest share of worker-pool capacity (instances at desired size, system "
        "pool excluded) that must be on spot; `mlp plan` warns and the tests fail below it. "
        "Default `0` (no floor).",
    )

    @field_validator("budget_emails")
    @classmethod
    def _valid_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [address for address in value if not _EMAIL.match(address)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        if len(value) > MAX_BUDGET_EMAILS:
            raise ValueError(
                f"AWS Budgets notifies at most {MAX_BUDGET_EMAILS} email addresses; "
                "subscribe the others to the alert topic (`alerts.emails`)"
            )
        if len(set(value)) != len(value):
            raise ValueError("lists an address more than once")
        return value

    @property
    def days_per_month(self) -> float:
        return self.hours_per_month / 24
