"""Spot interruption handling: the switch, the drain budget every service must fit, and alarms."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from components.interruption.drain_budget import DrainBudget
from components.interruption.interruption_events import QUEUE_RETENTION_SECONDS
from infra.settings.base import Section
from infra.settings.rules import KeyRuleError


class NoticeAlarmSettings(Section):
    """The per-pool alarm on terminations, so a pool whose instance types keep being reclaimed
    shows up. It counts the pool's termination lifecycle actions, which include the autoscaler's
    scale-ins, so by default each pool's threshold sits above the most a full scale-in can
    terminate (its zonal groups' summed maxSize - minSize)."""

    threshold: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="Terminations of one pool's instances within `periodMinutes` that raise the "
        "alarm, for every pool. It counts every termination lifecycle action of the pool: spot "
        "reclaims, rebalances, health replacements and the cluster autoscaler's scale-ins alike "
        "(spot warnings carry no group, so they cannot be counted apart). Default none: each "
        "pool's threshold is derived as its scale range (its zonal groups' summed `maxSize - "
        "minSize` after rounding up per zone, the most a full scale-in from peak terminates) plus "
        "`reclaimMargin`, so a normal scale-in never fires it.",
    )
    reclaim_margin: int = Field(
        3,
        ge=1,
        le=100,
        description="Terminations beyond a pool's scale range that raise the derived alarm. "
        "Default `3`.",
    )
    period_minutes: int = Field(
        60,
        ge=5,
        le=1440,
        description="The window the terminations are counted over, in minutes. Default `60`.",
    )
    pool_thresholds: dict[str, int] = Field(
        default_factory=dict,
        description="Per-pool thresholds that replace `threshold`, by pool name (e.g. `{gpu: 2}`). "
        "Default none.",
    )

    @field_validator("pool_thresholds")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        bad = sorted(pool for pool, threshold in value.items() if threshold < 1)
        if bad:
            raise ValueError(f"thresholds must be at least 1 (pools {', '.join(bad)})")
        return value

    def threshold_for(self, pool: str, scale_range: int) -> int:
        """The pool's threshold: its override, else `threshold`, else scale range + margin."""
        if pool in self.pool_thresholds:
            return self.pool_thresholds[pool]
        if self.threshold is not None:
            return self.threshold
        return scale_range + self.reclaim_margin


class InterruptionSettings(Section):
    """How reclaimed spot nodes are drained."""

    enabled: bool = Field(
        True,
        description="Run spot interruption handling: the interruption queue, its EventBridge "
        "rules, the worker groups' termination lifecycle hooks, the termination handler and its "
        "alarms. Default `true`; turning it off removes all of them.",
    )
    capacity_rebalance: bool = Field(
        True,
        description="Capacity Rebalancing on every worker group (an Auto Scaling group setting, "
        "so it applies whether or not `enabled` is on). With it, a group replaces a spot instance "
        "at risk (rebalance recommendation, after the replacement is in service) or being "
        "reclaimed (the 2-minute warning, while the replacement launches) and sends the "
        "termination lifecycle action the handler drains on; EC2's own spot-warning and "
        "rebalance events are then not forwarded, so nothing drains before its replacement "
        "exists and no reclaim is handled twice. `false`: the groups replace only after the "
        "instance is gone, and the two EventBridge rules forward EC2's warnings, which the "
        "handler drains on at once. Default `true`.",
    )
    node_drain_seconds: int = Field(
        90,
        ge=30,
        le=120,
        description="Time the termination handler gives a node to drain after a spot notice "
        "(its `nodeTerminationGracePeriod`). Default `90`: the 120 s notice less detection time "
        "and a margin.",
    )
    pod_grace_seconds: int = Field(
        -1,
        ge=-1,
        le=120,
        description="Grace period the handler gives each evicted pod (`podTerminationGracePeriod`); "
        "`-1` uses each pod's own `terminationGracePeriodSeconds`. Default `-1`.",
    )
    queue_age_alarm_seconds: int = Field(
        180,
        ge=60,
        lt=QUEUE_RETENTION_SECONDS,
        description="Alarm when the interruption queue's oldest message is older than this: the "
        "handler is not consuming. Must exceed the lifecycle hook timeout (detection + "
        "`nodeDrainSeconds`, since the handler deletes a message after the drain) and stay below "
        f"the queue's {QUEUE_RETENTION_SECONDS} s retention. Default `180`.",
    )
    notice_alarm: NoticeAlarmSettings = Field(
        default_factory=NoticeAlarmSettings,
        description="Per-pool termination alarm.",
    )
    webhook_url: SecretStr | None = Field(
        None,
        description="Webhook the handler posts each interruption to (Slack, Chime, ...). Set it as "
        "a secret: `pulumi config set --secret --path 'ml-platform:interruption.webhookUrl' <url>`; "
        "it reaches the cluster only as a Kubernetes Secret. Default none.",
    )

    def drain_budget(self) -> DrainBudget:
        return DrainBudget(node_drain_seconds=self.node_drain_seconds, pod_grace_seconds=self.pod_grace_seconds)

    @model_validator(mode="after")
    def _handler_fits_the_notice(self) -> "InterruptionSettings":
        problem = self.drain_budget().handler_problem()
        if problem:
            key = "podGraceSeconds" if "pod grace" in problem else "nodeDrainSeconds"
            raise KeyRuleError(key, problem, getattr(self, "pod_grace_seconds" if key == "podGraceSeconds" else "node_drain_seconds"))
        return self

    @model_validator(mode="after")
    def _age_alarm_above_a_normal_drain(self) -> "InterruptionSettings":
        longest = self.drain_budget().lifecycle_timeout_seconds()
        if self.queue_age_alarm_seconds <= longest:
            raise KeyRuleError(
                "queueAgeAlarmSeconds",
                f"must be above {longest}s: the handler deletes a notice only after draining the "
                f"node, so messages legitimately reach detection + nodeDrainSeconds of age",
                self.queue_age_alarm_seconds,
            )
        return self

    def unknown_pools(self, pool_names: set[str] | frozenset[str]) -> list[str]:
        """Pools named in `noticeAlarm.poolThresholds` that the stack does not have."""
        return sorted(set(self.notice_alarm.pool_thresholds) - set(pool_names))
