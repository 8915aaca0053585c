"""Spot interruption handling: EC2 and Auto Scaling events to a queue, drained by the handler."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.workload_role import WorkloadRole, WorkloadRoleArgs
from components.interruption.drain_budget import DrainBudget
from components.interruption.interruption_events import (
    QUEUE_RETENTION_SECONDS,
    account_wide_patterns,
    spot_notice_source_problem,
    terminate_lifecycle_pattern,
)
from components.interruption.interruption_queue import (
    declare_queue,
    declare_queue_age_alarm,
    declare_queue_policy,
)
from components.interruption.termination_handler import (
    CHART,
    CHART_VERSION,
    MANAGED_INSTANCE_TAGS,
    NAMESPACE,
    NTH_MANAGED_TAG,
    RELEASE_NAME,
    SERVICE_ACCOUNT,
    WEBHOOK_SECRET_KEY,
    handler_policy,
    handler_values,
)

__all__ = [
    "MANAGED_INSTANCE_TAGS",
    "NTH_MANAGED_TAG",
    "InterruptionHandling",
    "InterruptionHandlingArgs",
    "WorkerGroup",
]

LIFECYCLE_HOOK_NAME = "ml-platform-node-drain"
WEBHOOK_SECRET_NAME = f"{RELEASE_NAME}-webhook"


@dataclass(frozen=True, kw_only=True)
class WorkerGroup:
    """One self-managed worker pool's Auto Scaling groups, one per availability zone."""

    asg_names: Mapping[str, pulumi.Input[str]]
    """Zone -> that zone's group name; each gets the drain lifecycle hook."""
    asg_arns: Mapping[str, pulumi.Input[str]]
    """Zone -> that zone's group ARN; the handler may complete lifecycle actions of these groups
    only."""
    notice_alarm_threshold: int = 6
    """Terminations of the whole pool (all its zones) within the notice alarm period that raise
    the pool's alarm. Default 6."""
    carries_spot: bool = True
    """The groups buy spot (an all-on-demand pool never gets a spot warning). Default true."""
    capacity_rebalance: bool = True
    """The groups have Capacity Rebalancing on, so a spot reclaim or rebalance recommendation
    reaches the handler as the group's termination lifecycle action, and EC2's own warnings are
    not forwarded (`account_wide_patterns`). Default true."""


@dataclass(frozen=True, kw_only=True)
class InterruptionHandlingArgs:
    """Inputs of `InterruptionHandling`."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster the handler drains nodes of (named in the lifecycle hooks' metadata)."""
    region: str
    """The AWS region of the queue, for the handler's SQS client."""
    worker_groups: Mapping[str, WorkerGroup]
    """Self-managed worker pools by pool name. Each zonal group gets a termination lifecycle
    hook; each pool gets one lifecycle rule over its zonal groups and a termination alarm. The EKS-managed system pool is not listed: EKS
    drains it."""
    kubernetes_provider: k8s.Provider
    """The cluster's provider; the Helm release and the webhook Secret use it."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider, for the handler's IRSA role."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL."""
    alarm_topic_arn: pulumi.Input[str]
    """Where the queue-age and termination alarms go."""
    drain_budget: DrainBudget
    """Node drain and pod grace the handler applies; also sizes the lifecycle hooks."""
    enabled: bool = True
    """Declare the whole set (queue, rules, hooks, handler, alarms). Default true."""
    queue_age_alarm_seconds: int = 180
    """Oldest-message age that means the handler is not consuming. Default 180 s."""
    notice_alarm_period_seconds: int = 3600
    """Window the per-pool termination alarms count over. Default one hour."""
    webhook_url: pulumi.Input[str] | None = None
    """A webhook the handler notifies (a secret Output); stored in a Kubernetes Secret, never in
    Helm values. Default none."""


class InterruptionHandling(pulumi.ComponentResource):
    """Spot interruption handling for the worker pools, end to end.

    Creates, when enabled:
    - an SQS queue (SQS-managed SSE, 300 s retention) whose policy admits only the rules below,
      over TLS;
    - EventBridge rules into it: instance stopping/terminating, AWS Health EC2 scheduled changes,
      and one terminate-lifecycle rule per worker pool listing its zonal groups (so the handler
      hears only this cluster's groups, and each rule's `TriggeredRules` metric counts one pool's
      terminations across its zones, with no metric math and no threshold split per zone); the
      spot interruption warning and rebalance recommendation rules only when the spot-carrying
      groups run without Capacity Rebalancing (with it, the group's lifecycle action is the
      notice, after or while it launches the replacement; `account_wide_patterns`);
    - a termination lifecycle hook on every zonal worker group (default result CONTINUE, timeout =
      detection + node drain) so a group waits for the drain;
    - the AWS Node Termination Handler (official chart, pinned) in queue-processor mode on the
      system pool, two replicas with a PDB, `system-cluster-critical`, with an IRSA role
      limited to this queue and these groups; managed-tag check on, Prometheus metrics and
      Kubernetes events on, and optionally a webhook read from a Kubernetes Secret;
    - alarms to the alert topic: the queue's oldest message age, and terminations per pool.
    """

    queue_url: pulumi.Output[str] | None
    queue_arn: pulumi.Output[str] | None
    handler_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: InterruptionHandlingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:interruption:InterruptionHandling", name, None, opts)
        budget_problem = args.drain_budget.handler_problem()
        if budget_problem:
            raise ValueError(f"{name}: drain budget does not fit the spot notice: {budget_problem}")
        if args.queue_age_alarm_seconds >= QUEUE_RETENTION_SECONDS:
            raise ValueError(
                f"{name}: queue_age_alarm_seconds must stay below the {QUEUE_RETENTION_SECONDS}s "
                "retention, or messages expire before the alarm can fire"
            )

        notice_problem = spot_notice_source_problem(
            [(pool, group.carries_spot, group.capacity_rebalance) for pool, group in args.worker_groups.items()]
        )
        if notice_problem:
            raise ValueError(f"{name}: {notice_problem}; set capacity rebalance alike on all of them")

        self.queue_url = self.queue_arn = self.handler_role_arn = None
        if not args.enabled:
            self.register_outputs({"queue_url": None, "queue_arn": None, "handler_role_arn": None})
            return

        queue = declare_queue(name, self)

        rules = self._rules(name, args)
        for kind, rule in rules.items():
            aws.cloudwatch.EventTarget(
                f"{name}-{kind}-to-queue",
                rule=rule.name,
                arn=queue.arn,
                opts=pulumi.ResourceOptions(parent=rule),
            )
        declare_queue_policy(name, queue, [rule.arn for rule in rules.values()])

        timeout = args.drain_budget.lifecycle_timeout_seconds()
        for pool, group in args.worker_groups.items():
            for zone, asg_name in group.asg_names.items():
                aws.autoscaling.LifecycleHook(
                    f"{name}-hook-{pool}-{zone}",
                    name=LIFECYCLE_HOOK_NAME,
                    autoscaling_group_name=asg_name,
                    lifecycle_transition="autoscaling:EC2_INSTANCE_TERMINATING",
                    default_result="CONTINUE",
                    heartbeat_timeout=timeout,
                    notification_metadata=pulumi.Output.from_input(args.cluster_name).apply(
                        lambda cluster, pool=pool: json.dumps({"cluster": cluster, "pool": pool})
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )

        role = WorkloadRole(
            f"{name}-handler",
            WorkloadRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                inline_policies={
                    "drain": pulumi.Output.all(
                        queue.arn, *[arn for group in args.worker_groups.values() for arn in group.asg_arns.values()]
                    ).apply(lambda arns: json.dumps(handler_policy(arns[0], arns[1:]))),
                },
                description="AWS Node Termination Handler: consume the interruption queue, "
                "complete this cluster's lifecycle actions",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        depends_on: list[pulumi.Resource] = []
        if args.webhook_url is not None:
            depends_on.append(
                k8s.core.v1.Secret(
                    f"{name}-webhook",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=WEBHOOK_SECRET_NAME, namespace=NAMESPACE),
                    type="Opaque",
                    string_data={WEBHOOK_SECRET_KEY: pulumi.Output.secret(args.webhook_url)},
                    opts=on_cluster,
                )
            )
        webhook_secret = WEBHOOK_SECRET_NAME if args.webhook_url is not None else None
        k8s.helm.v3.Release(
            f"{name}-handler",
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            namespace=NAMESPACE,
            values=pulumi.Output.all(queue.url, role.role_arn).apply(
                lambda values: handler_values(
                    queue_url=values[0],
                    region=args.region,
                    role_arn=values[1],
                    budget=args.drain_budget,
                    webhook_secret_name=webhook_secret,
                )
            ),
            atomic=True,
            opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=depends_on)),
        )

        declare_queue_age_alarm(
            name,
            queue,
            threshold_seconds=args.queue_age_alarm_seconds,
            alarm_topic_arn=args.alarm_topic_arn,
            consumer="The termination handler",
        )
        for pool, group in args.worker_groups.items():
            rule = rules[f"lifecycle-{pool}"]
            aws.cloudwatch.MetricAlarm(
                f"{name}-terminations-{pool}",
                alarm_description=f"Pool {pool}: instances are being reclaimed or replaced more "
                "often than expected; reconsider its instance types or spot share.",
                namespace="AWS/Events",
                metric_name="TriggeredRules",
                dimensions={"RuleName": rule.name},
                statistic="Sum",
                period=args.notice_alarm_period_seconds,
                evaluation_periods=1,
                threshold=group.notice_alarm_threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                # EventBridge publishes the metric only when the rule matched.
                treat_missing_data="notBreaching",
                alarm_actions=[args.alarm_topic_arn],
                opts=pulumi.ResourceOptions(parent=rule),
            )

        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.handler_role_arn = role.role_arn
        self.register_outputs(
            {"queue_url": self.queue_url, "queue_arn": self.queue_arn, "handler_role_arn": self.handler_role_arn}
        )

    def _rules(self, name: str, args: InterruptionHandlingArgs) -> dict[str, aws.cloudwatch.EventRule]:
        """The rules into the queue by kind: account-wide EC2/Health rules, one lifecycle rule per
        worker pool matching all its zonal groups (so the pool's alarm counts the pool)."""
        spot_without_rebalance = any(
            group.carries_spot and not group.capacity_rebalance for group in args.worker_groups.values()
        )
        rules = {
            kind: aws.cloudwatch.EventRule(
                f"{name}-{kind}",
                description=f"Interruption handling: {kind} events to the handler's queue",
                event_pattern=json.dumps(pattern()),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for kind, pattern in account_wide_patterns(spot_without_capacity_rebalance=spot_without_rebalance).items()
        }
        for pool, group in args.worker_groups.items():
            rules[f"lifecycle-{pool}"] = aws.cloudwatch.EventRule(
                f"{name}-lifecycle-{pool}",
                description=f"Interruption handling: termination lifecycle actions of pool {pool}",
                event_pattern=pulumi.Output.all(*group.asg_names.values()).apply(
                    lambda asgs: json.dumps(terminate_lifecycle_pattern(asgs))
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return rules
