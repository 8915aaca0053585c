"""Every rule of the platform's policy pack, once.

A resource rule is `check(resource, context) -> [message]`; a stack rule is
`check(resources, context) -> [Violation]`, each in the module of its concern (`encryption`,
`exposure`, `capacity`, `workloads`, `ownership`, `cost`, `iam`; what a rule is: `rule`). They read plain mappings only, so the same function
runs in `pulumi preview --policy-pack policy` (wrapped by `mlplatform_policy.pack`) and in the
tests (over each stack's offline plan and over crafted resources). `RULES` is the catalogue the
pack is built from.

Mandatory rules are what the platform promises (docs/delivery-and-policy.md, "The policy pack"); advisory rules point at
money being spent on purpose or by accident.
"""

from __future__ import annotations

from components.nodes.instance_catalog import MIN_SPOT_INSTANCE_TYPES
from infra.tags import REQUIRED_TAG_KEYS
from mlplatform_policy.rules.capacity import (
    check_capacity_fit,
    check_imdsv2,
    check_launch_before_terminate,
    check_spot_diversification,
)
from mlplatform_policy.rules.cost import (
    check_nat_per_az_outside_prod,
    check_on_demand_share,
    check_search_extended_support,
)
from mlplatform_policy.rules.encryption import check_encryption_at_rest, check_encryption_in_transit
from mlplatform_policy.rules.exposure import check_eks_endpoint, check_private_search_domain
from mlplatform_policy.rules.iam import check_no_wildcard_action, check_no_wildcard_principal
from mlplatform_policy.rules.ownership import (
    check_bounded_growth,
    check_budget_per_stack,
    check_required_tags,
)
from mlplatform_policy.rules.rule import Rule
from mlplatform_policy.rules.workloads import (
    check_deployment_disruption_budgets,
    check_deployment_resources,
)

__all__ = ["RULES", "Rule"]

RULES: tuple[Rule, ...] = (
    Rule(
        "encryption-at-rest",
        "Volumes, queues, topics, repositories, search domains and cluster secrets are encrypted at "
        "rest; symmetric KMS keys rotate.",
        "mandatory", "resource", check_encryption_at_rest,
    ),
    Rule(
        "encryption-in-transit",
        "Search domains encrypt node-to-node traffic and require HTTPS with TLS 1.2+; listeners "
        "and subscriptions do not serve plain HTTP.",
        "mandatory", "resource", check_encryption_in_transit,
    ),
    Rule(
        "private-search-domain",
        "The search domain lives in the VPC, with no public endpoint.",
        "mandatory", "resource", check_private_search_domain,
    ),
    Rule(
        "imdsv2-required",
        "Launch templates and instances require IMDSv2 session tokens.",
        "mandatory", "resource", check_imdsv2,
    ),
    Rule(
        "spot-pools-diversified",
        f"Auto Scaling groups and Karpenter NodePools that carry spot can use at least "
        f"{MIN_SPOT_INSTANCE_TYPES} instance types.",
        "mandatory", "resource", check_spot_diversification,
    ),
    Rule(
        "replacements-launch-first",
        "Auto Scaling groups replace instances launching before terminating (instance maintenance "
        "policy and refresh preferences at 100 % minimum, above 100 % maximum).",
        "mandatory", "resource", check_launch_before_terminate,
    ),
    Rule(
        "deployment-resources",
        "Every container of a Deployment declares CPU and memory requests and a memory limit.",
        "mandatory", "resource", check_deployment_resources,
    ),
    Rule(
        "deployment-disruption-budget",
        "Every Deployment's pods are selected by a PodDisruptionBudget in its namespace.",
        "mandatory", "stack", check_deployment_disruption_budgets,
    ),
    Rule(
        "required-tags",
        f"Every taggable AWS resource carries {', '.join(REQUIRED_TAG_KEYS)} (and `service` in an "
        "ML service); launch templates tag the volumes and network interfaces they launch, and "
        "Karpenter EC2NodeClasses tag what they launch (spec.tags).",
        "mandatory", "stack", check_required_tags,
    ),
    Rule(
        "bounded-growth",
        "Log groups set a retention, ECR repositories have a lifecycle policy and Karpenter "
        "NodePools set cpu and memory limits.",
        "mandatory", "stack", check_bounded_growth,
    ),
    Rule(
        "capacity-fit",
        "The pods that only one node pool admits fit under that pool's maxSize at their minimum "
        "replicas (the same placement and packing as `mlp plan`).",
        "mandatory", "stack", check_capacity_fit,
    ),
    Rule(
        "budget-per-stack",
        "Every stack declares at least one AWS budget.",
        "mandatory", "stack", check_budget_per_stack,
    ),
    Rule(
        "iam-no-wildcard-principal",
        "No IAM or resource policy allows Principal \"*\" unless a condition pins the source or principal.",
        "mandatory", "resource", check_no_wildcard_principal,
    ),
    Rule(
        "iam-no-wildcard-action",
        "No IAM or resource policy allows Action \"*\" (or uses NotAction in an Allow).",
        "mandatory", "resource", check_no_wildcard_action,
    ),
    Rule(
        "eks-endpoint-not-open",
        "The EKS API endpoint is private, or public only to listed CIDRs other than 0.0.0.0/0.",
        "mandatory", "resource", check_eks_endpoint,
    ),
    Rule(
        "on-demand-share",
        "Worker capacity is mostly spot: the on-demand share stays at or below a threshold.",
        "advisory", "stack", check_on_demand_share,
        config={
            "maxOnDemandShare": {
                "type": "number", "minimum": 0, "maximum": 1, "default": 0.5,
                "description": "Largest on-demand share of worker capacity before advising. Default 0.5.",
            }
        },
    ),
    Rule(
        "nat-per-az-outside-prod",
        "Non-production stacks use a single NAT gateway.",
        "advisory", "stack", check_nat_per_az_outside_prod,
    ),
    Rule(
        "search-extended-support",
        "The search engine version is on standard support, not paid extended support.",
        "advisory", "resource", check_search_extended_support,
    ),
)
