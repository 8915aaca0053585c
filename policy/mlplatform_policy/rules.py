"""Every rule of the platform's policy pack, once.

A resource rule is `check(resource, context) -> [message]`; a stack rule is
`check(resources, context) -> [Violation]`. They read plain mappings only, so the same function
runs in `pulumi preview --policy-pack policy` (wrapped by `mlplatform_policy.pack`) and in the
tests (over each stack's offline plan and over crafted resources). `RULES` is the catalogue the
pack is built from.

Mandatory rules are what the platform promises (README "Policy pack"); advisory rules point at
money being spent on purpose or by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from components.nodes.instance_catalog import (
    MIN_SPOT_GPU_INSTANCE_TYPES,
    MIN_SPOT_INSTANCE_TYPES,
    instance_catalog,
)
from components.search.search_engine_support import extended_support_since
from infra.tags import REQUIRED_TAG_KEYS
from mlp import guardrails, karpenter_guardrails
from mlplatform_policy import iam_documents
from mlplatform_policy.resources import (
    PlannedResource,
    StackContext,
    Violation,
    as_number,
    dig,
    is_mapping,
    items,
    truthy,
)

AUTOSCALING_GROUP = guardrails.ASG
LAUNCH_TEMPLATE = guardrails.LAUNCH_TEMPLATE
EC2_INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
SQS_QUEUE = "aws:sqs/queue:Queue"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
KMS_KEY = "aws:kms/key:Key"
SEARCH_DOMAIN = "aws:opensearch/domain:Domain"
LB_LISTENER = "aws:lb/listener:Listener"
EKS_CLUSTER = "eks:index:Cluster"
AWS_EKS_CLUSTER = "aws:eks/cluster:Cluster"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DISRUPTION_BUDGET = "kubernetes:policy/v1:PodDisruptionBudget"
BUDGET = "aws:budgets/budget:Budget"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"

# Minimum instance types a spot-bearing pool must be able to use, so one reclaimed spot pool
# cannot take the whole node pool with it.
# TLS security policies of OpenSearch endpoints that refuse anything older than TLS 1.2.
TLS12_POLICY_PREFIX = "Policy-Min-TLS-1-2"
OPEN_TO_THE_WORLD = ("0.0.0.0/0", "::/0")
PRODUCTION_STACKS = ("prod",)

Enforcement = Literal["mandatory", "advisory"]
ResourceCheck = Callable[[PlannedResource, StackContext], list[str]]
StackCheck = Callable[[Sequence[PlannedResource], StackContext], list[Violation]]


@dataclass(frozen=True)
class Rule:
    """A named rule: what it checks, how hard it is enforced, and its configurable knobs
    (`config` maps each key to a JSON-schema property with its `default`)."""

    name: str
    description: str
    enforcement: Enforcement
    scope: Literal["resource", "stack"]
    check: ResourceCheck | StackCheck
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        return {key: schema["default"] for key, schema in self.config.items()}


# --- encryption ------------------------------------------------------------------------------


def check_encryption_at_rest(resource: PlannedResource, context: StackContext) -> list[str]:
    props = resource.props
    if resource.type == LAUNCH_TEMPLATE:
        mappings = [m for m in items(props.get("blockDeviceMappings")) if is_mapping(dig(m, "ebs"))]
        if not mappings:
            return [
                "launch template declares no EBS block device mapping, so the root volume's "
                "encryption is left to the AMI; declare it with `ebs.encrypted: true`"
            ]
        return [
            f"EBS volume {m.get('deviceName') or index} is not encrypted (set `ebs.encrypted: true`)"
            for index, m in enumerate(mappings)
            if not truthy(dig(m, "ebs", "encrypted"))
        ]
    if resource.type == EBS_VOLUME and not truthy(props.get("encrypted")):
        return ["EBS volume is not encrypted (set `encrypted: true`)"]
    if resource.type == SQS_QUEUE and not (
        truthy(props.get("sqsManagedSseEnabled")) or props.get("kmsMasterKeyId")
    ):
        return ["queue is not encrypted at rest (set `sqsManagedSseEnabled` or `kmsMasterKeyId`)"]
    if resource.type == SNS_TOPIC and not props.get("kmsMasterKeyId"):
        return ["topic is not encrypted at rest (set `kmsMasterKeyId`)"]
    if resource.type == ECR_REPOSITORY and not items(props.get("encryptionConfigurations")):
        return ["repository does not declare its encryption (set `encryptionConfigurations`)"]
    if resource.type == SEARCH_DOMAIN and not truthy(dig(props, "encryptAtRest", "enabled")):
        return ["search domain is not encrypted at rest (set `encryptAtRest.enabled: true`)"]
    if resource.type == EKS_CLUSTER and not props.get("encryptionConfigKeyArn"):
        return ["cluster secrets are not envelope-encrypted with KMS (set `encryptionConfigKeyArn`)"]
    if resource.type == KMS_KEY:
        spec = props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT"
        if spec == "SYMMETRIC_DEFAULT" and not truthy(props.get("enableKeyRotation")):
            return ["symmetric KMS key does not rotate (set `enableKeyRotation: true`)"]
    return []


def check_encryption_in_transit(resource: PlannedResource, context: StackContext) -> list[str]:
    props = resource.props
    if resource.type == SEARCH_DOMAIN:
        problems = []
        if not truthy(dig(props, "nodeToNodeEncryption", "enabled")):
            problems.append("node-to-node traffic is not encrypted (set `nodeToNodeEncryption.enabled`)")
        if not truthy(dig(props, "domainEndpointOptions", "enforceHttps")):
            problems.append("the endpoint accepts plain HTTP (set `domainEndpointOptions.enforceHttps`)")
        policy = dig(props, "domainEndpointOptions", "tlsSecurityPolicy")
        if not (isinstance(policy, str) and policy.startswith(TLS12_POLICY_PREFIX)):
            problems.append(
                f"TLS policy {policy!r} allows TLS older than 1.2 (set "
                "`domainEndpointOptions.tlsSecurityPolicy` to a `Policy-Min-TLS-1-2-*` policy)"
            )
        return problems
    if resource.type == LB_LISTENER and str(props.get("protocol", "")).upper() == "HTTP":
        actions = [str(dig(action, "type")) for action in items(props.get("defaultActions"))]
        if actions != ["redirect"]:
            return ["HTTP listener serves traffic instead of redirecting it to HTTPS"]
    if resource.type == SNS_SUBSCRIPTION and str(props.get("protocol", "")).lower() == "http":
        return ["subscription delivers over plain HTTP (use `https`)"]
    return []


# --- network exposure ------------------------------------------------------------------------


def check_private_search_domain(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type == SEARCH_DOMAIN and not items(dig(resource.props, "vpcOptions", "subnetIds")):
        return ["search domain has a public endpoint (place it in the VPC with `vpcOptions.subnetIds`)"]
    return []


def check_eks_endpoint(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type == EKS_CLUSTER:
        public, cidrs = resource.props.get("endpointPublicAccess"), resource.props.get("publicAccessCidrs")
    elif resource.type == AWS_EKS_CLUSTER:
        vpc_config = resource.props.get("vpcConfig") or {}
        public, cidrs = vpc_config.get("endpointPublicAccess"), vpc_config.get("publicAccessCidrs")
    else:
        return []
    # Both pulumi-eks and EKS default to a public endpoint, and EKS opens it to 0.0.0.0/0
    # when no CIDRs are given; so only an explicit `false` or a narrowed list passes.
    if public is False or public == "false":
        return []
    listed = [str(cidr) for cidr in items(cidrs)]
    if not listed or any(cidr in OPEN_TO_THE_WORLD for cidr in listed):
        return [
            "cluster API endpoint is public and open to 0.0.0.0/0 (set `endpointPublicAccess: "
            "false`, or narrow `publicAccessCidrs`)"
        ]
    return []


# --- compute ---------------------------------------------------------------------------------


def check_imdsv2(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        if dig(resource.props, "metadataOptions", "httpTokens") != "required":
            return ["instance metadata allows IMDSv1 (set `metadataOptions.httpTokens: required`)"]
    return []


def is_spot_bearing(group: Mapping[str, Any]) -> bool:
    """A group with a mixed-instances policy whose share above the base is not all on-demand
    (AWS's default for `onDemandPercentageAboveBaseCapacity` is 100)."""
    policy = group.get("mixedInstancesPolicy")
    if not is_mapping(policy):
        return False
    percentage = dig(policy, "instancesDistribution", "onDemandPercentageAboveBaseCapacity")
    return as_number(percentage, 100.0) < 100


def check_spot_diversification(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type == karpenter_guardrails.NODEPOOL:
        problem = karpenter_guardrails.narrow_spot_node_pool(resource, MIN_SPOT_INSTANCE_TYPES)
        return [problem] if problem else []
    if resource.type != AUTOSCALING_GROUP or not is_spot_bearing(resource.props):
        return []
    overrides = items(dig(resource.props, "mixedInstancesPolicy", "launchTemplate", "overrides"))
    if any(is_mapping(o) and o.get("instanceRequirements") for o in overrides):
        return []  # attribute-based selection lets EC2 pick from every matching type
    types = {str(o.get("instanceType")) for o in overrides if is_mapping(o) and o.get("instanceType")}
    # The same floor config validation applies (components/nodes/instance_catalog.py): 4 types, or 3
    # for single-GPU shapes, of which the price table has exactly three.
    catalog = instance_catalog()
    gpu = bool(types) and all(name in catalog and catalog[name].gpu_count > 0 for name in types)
    floor = MIN_SPOT_GPU_INSTANCE_TYPES if gpu else MIN_SPOT_INSTANCE_TYPES
    if len(types) < floor:
        return [
            f"spot-bearing group can use {len(types)} instance type(s) ({', '.join(sorted(types)) or 'none'}); "
            f"list at least {floor} in `mixedInstancesPolicy.launchTemplate.overrides`"
        ]
    return []


def check_launch_before_terminate(resource: PlannedResource, context: StackContext) -> list[str]:
    """A group's instance refresh launches before it terminates: its refresh preferences keep
    100 % healthy and allow more than 100 % in service. AWS's defaults (90 %, no maximum)
    terminate a one-instance group's only node first
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh.html). The
    group-level maintenance policy is left to AWS's default on purpose (see
    `components.capacity.worker_pool.instance_refresh`)."""
    if resource.type != AUTOSCALING_GROUP or not is_mapping(resource.props.get("instanceRefresh")):
        return []
    settings = dig(resource.props, "instanceRefresh", "preferences")
    low = as_number(dig(settings, "minHealthyPercentage"), 90.0)
    high = as_number(dig(settings, "maxHealthyPercentage"), 100.0)
    if low < 100 or high <= 100:
        return [
            f"`instanceRefresh.preferences` terminates before it launches (minHealthyPercentage {low:g}, "
            f"maxHealthyPercentage {high:g}); set 100 and more than 100"
        ]
    return []


# --- Kubernetes workloads --------------------------------------------------------------------


def _pod_spec(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = dig(deployment, "spec", "template", "spec")
    return spec if is_mapping(spec) else {}


def check_deployment_resources(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type != DEPLOYMENT:
        return []
    # Requests for CPU and memory (scheduling and bin packing depend on them) and a memory limit
    # (a leak must kill the container, not the node). A CPU limit is deliberately not required:
    # CFS quotas throttle a container even when the node's cores are idle, which shows up as
    # tail latency; the services set one only where config asks (README "Services").
    required = {"requests": ("cpu", "memory"), "limits": ("memory",)}
    problems = []
    for container in items(_pod_spec(resource.props).get("containers")):
        name = dig(container, "name") or "?"
        for section, kinds in required.items():
            declared = dig(container, "resources", section) or {}
            missing = [kind for kind in kinds if not dig(declared, kind)]
            if missing:
                problems.append(f"container {name!r} has no {section} for {' and '.join(missing)}")
    return problems


def _namespace(obj: Mapping[str, Any]) -> str:
    return str(dig(obj, "metadata", "namespace") or "default")


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A Kubernetes label selector matched against pod labels. In policy/v1 an empty selector
    (`{}`) selects every pod of the namespace, and an absent one selects none."""
    if not is_mapping(selector):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in items(selector.get("matchExpressions")):
        key, operator = dig(expression, "key"), dig(expression, "operator")
        values = [str(v) for v in items(dig(expression, "values"))]
        present = key in labels
        if operator == "In" and not (present and str(labels[key]) in values):
            return False
        if operator == "NotIn" and present and str(labels[key]) in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def check_deployment_disruption_budgets(
    resources: Sequence[PlannedResource], context: StackContext
) -> list[Violation]:
    budgets = [r.props for r in resources if r.type == DISRUPTION_BUDGET]
    violations = []
    for deployment in (r for r in resources if r.type == DEPLOYMENT):
        labels = dig(deployment.props, "spec", "template", "metadata", "labels") or {}
        namespace = _namespace(deployment.props)
        if not any(
            _namespace(budget) == namespace and _selects(dig(budget, "spec", "selector"), labels)
            for budget in budgets
        ):
            violations.append(
                Violation(
                    f"Deployment {deployment.name!r} (namespace {namespace}) has no "
                    "PodDisruptionBudget selecting its pods, so a spot drain can evict them all at once",
                    deployment.urn,
                )
            )
    return violations


# --- ownership and money ---------------------------------------------------------------------


def with_providers(resources: Sequence[PlannedResource]) -> list[PlannedResource]:
    """The resources plus a stand-in for each provider they name but the list lacks, carrying the
    provider's inputs, so the shared checks find its default tags by URN whether or not the
    engine lists provider resources among the stack's resources."""
    known = {r.urn for r in resources}
    stand_ins: dict[str, PlannedResource] = {}
    listed: list[PlannedResource] = []
    for resource in resources:
        provider = resource.provider
        if resource.provider_props is not None and provider is None:
            provider = f"{resource.urn}$provider"
            resource = replace(resource, provider=provider)
        if provider and provider not in known and provider not in stand_ins and resource.provider_props is not None:
            stand_ins[provider] = PlannedResource(
                type="pulumi:providers:aws", name=provider.rsplit("::", 1)[-1], urn=provider,
                props=resource.provider_props,
            )
        listed.append(resource)
    return [*listed, *stand_ins.values()]


def check_required_tags(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    return [
        Violation(
            f"{message}: set them in the resource's `tags` or the AWS provider's `defaultTags` "
            "(Auto Scaling groups: their own tags with `propagateAtLaunch: true`; launch templates: "
            "`tagSpecifications` for volume and network-interface; resources of an ML service: "
            "also `service`)",
            urn,
        )
        for urn, message in guardrails.tag_findings(with_providers(resources))
    ]


def check_bounded_growth(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    return [Violation(message, urn) for urn, message in guardrails.growth_findings(resources)]


class _Planned:
    """The planned resources in the shape `mlp.footprint` reads (an inventory)."""

    def __init__(self, resources: Sequence[PlannedResource], stack: str):
        self.resources = list(resources)
        self.stack = stack

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]


def check_capacity_fit(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    """The minimum footprint fits each pool's ceiling: `mlp plan`'s capacity-fit refusal, so
    `pulumi preview`/`up` refuse the same stack (placement and packing of `mlp.cost.pools`)."""
    from mlp.footprint import capacity_fit, footprint

    if not any(r.type == AUTOSCALING_GROUP for r in resources):
        return []
    fit = capacity_fit(footprint(_Planned(resources, context.stack)))  # type: ignore[arg-type]
    return [Violation(refusal) for refusal in fit.refusals]


def check_budget_per_stack(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    if any(r.type == BUDGET for r in resources):
        return []
    return [Violation(f"stack {context.stack!r} declares no AWS budget (`aws.budgets.Budget`)")]


def check_on_demand_share(resources: Sequence[PlannedResource], context: StackContext) -> list[Violation]:
    """Share of worker capacity (self-managed Auto Scaling groups) that runs on-demand, weighted
    by each group's baseline size (`desiredCapacity`, else `minSize`; `maxSize` when all are 0)."""
    groups = [r for r in resources if r.type == AUTOSCALING_GROUP]
    if not groups:
        return []

    def baseline(group: PlannedResource, key: str) -> float:
        return as_number(group.props.get(key), 0.0)

    sizes = [baseline(g, "desiredCapacity") or baseline(g, "minSize") for g in groups]
    if not any(sizes):
        sizes = [baseline(g, "maxSize") for g in groups]
    total = sum(sizes)
    if not total:
        return []
    on_demand = 0.0
    for group, size in zip(groups, sizes):
        distribution = dig(group.props, "mixedInstancesPolicy", "instancesDistribution")
        if not is_mapping(group.props.get("mixedInstancesPolicy")):
            on_demand += size
            continue
        base = min(as_number(dig(distribution, "onDemandBaseCapacity"), 0.0), size)
        percentage = as_number(dig(distribution, "onDemandPercentageAboveBaseCapacity"), 100.0)
        on_demand += base + (size - base) * percentage / 100
    share, limit = on_demand / total, float(context.config["maxOnDemandShare"])
    if share > limit:
        return [
            Violation(
                f"{share:.0%} of worker capacity is on-demand (limit {limit:.0%}); spot costs "
                "roughly a third of on-demand for the same instance"
            )
        ]
    return []


def check_nat_per_az_outside_prod(
    resources: Sequence[PlannedResource], context: StackContext
) -> list[Violation]:
    gateways = [r for r in resources if r.type == NAT_GATEWAY]
    if len(gateways) > 1 and context.stack not in PRODUCTION_STACKS:
        return [
            Violation(
                f"{len(gateways)} NAT gateways in non-production stack {context.stack!r}: each adds an "
                "hourly fee; `network.natStrategy: single` trades zone independence for one fee"
            )
        ]
    return []


def check_search_extended_support(resource: PlannedResource, context: StackContext) -> list[str]:
    if resource.type != SEARCH_DOMAIN:
        return []
    version = str(resource.props.get("engineVersion") or "")
    since = extended_support_since(version, context.today)
    if since is None:
        return []
    return [
        f"engine {version} has been on paid extended support since {since.isoformat()} "
        "(a surcharge per normalized instance-hour); upgrade to a version on standard support"
    ]


# --- IAM -------------------------------------------------------------------------------------


def check_no_wildcard_principal(resource: PlannedResource, context: StackContext) -> list[str]:
    problems = []
    for where, statement in iam_documents.allow_statements(resource):
        if "NotPrincipal" in statement:
            problems.append(f"{where} allows with NotPrincipal (everyone but the listed)")
        elif iam_documents.wildcard_principal(statement) and not iam_documents.restricted_by_condition(statement):
            problems.append(
                f"{where} allows Principal \"*\" without a condition on aws:SourceArn, "
                "aws:SourceAccount or aws:PrincipalArn"
            )
    return problems


def check_no_wildcard_action(resource: PlannedResource, context: StackContext) -> list[str]:
    problems = []
    for where, statement in iam_documents.allow_statements(resource):
        if "NotAction" in statement:
            problems.append(f"{where} allows with NotAction (every action but the listed)")
        elif iam_documents.wildcard_actions(statement):
            problems.append(f"{where} allows Action \"*\"")
    return problems


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
