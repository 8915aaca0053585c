"""The spot drain budget: what must fit inside the two-minute interruption notice.

EC2 gives a spot instance a two-minute warning before it is reclaimed
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html).
Within it the termination handler must cordon and drain the node, and every pod must stop:
its preStop delay (so load balancers deregister it first) plus its own shutdown, bounded by
`terminationGracePeriodSeconds`. Anything that does not fit is killed mid-request.
"""

from __future__ import annotations

from dataclasses import dataclass

SPOT_NOTICE_SECONDS = 120
"""The interruption notice EC2 gives a spot instance."""

DETECTION_MARGIN_SECONDS = 15
"""Time between EC2 emitting the notice and the handler acting on it: EventBridge delivery, the
SQS long poll and the handler's processing. Kept out of the budget on purpose."""

LIFECYCLE_HOOK_MIN_SECONDS = 30
"""The shortest heartbeat timeout a lifecycle hook accepts (EC2 Auto Scaling user guide,
"Add lifecycle hooks": 30 to 7200 seconds)."""


@dataclass(frozen=True)
class DrainBudget:
    """The handler's side of the budget."""

    node_drain_seconds: int
    """How long the handler gives a whole node to drain (its `nodeTerminationGracePeriod`)."""
    pod_grace_seconds: int
    """The grace period the handler gives each evicted pod (its `podTerminationGracePeriod`);
    -1 means the pod's own `terminationGracePeriodSeconds`."""

    def lifecycle_timeout_seconds(self) -> int:
        """How long a worker group holds a terminating instance for the handler: detection plus
        the whole node drain, so the hook never releases an instance mid-drain. With the drain
        inside the notice this stays within the 30-120 s AWS recommends with capacity
        rebalancing."""
        return max(LIFECYCLE_HOOK_MIN_SECONDS, DETECTION_MARGIN_SECONDS + self.node_drain_seconds)

    def handler_problem(self) -> str | None:
        """Why the handler's own settings cannot fit the notice, or None."""
        available = SPOT_NOTICE_SECONDS - DETECTION_MARGIN_SECONDS
        if self.node_drain_seconds > available:
            return (
                f"node drain of {self.node_drain_seconds}s does not fit the {SPOT_NOTICE_SECONDS}s spot "
                f"notice less {DETECTION_MARGIN_SECONDS}s for detection (at most {available}s)"
            )
        if self.pod_grace_seconds > self.node_drain_seconds:
            return (
                f"pod grace of {self.pod_grace_seconds}s is longer than the node drain of "
                f"{self.node_drain_seconds}s"
            )
        return None

    def pod_problem(self, termination_grace_seconds: int, pre_stop_seconds: int) -> str | None:
        """Why a pod with these settings would be killed before it stops cleanly, or None."""
        needed = termination_grace_seconds
        if pre_stop_seconds > termination_grace_seconds:
            return (
                f"preStop delay of {pre_stop_seconds}s exceeds terminationGracePeriodSeconds of "
                f"{termination_grace_seconds}s: the kubelet kills the pod before the delay ends"
            )
        limit = self.node_drain_seconds if self.pod_grace_seconds < 0 else min(self.pod_grace_seconds, self.node_drain_seconds)
        if needed > limit:
            return (
                f"terminationGracePeriodSeconds of {needed}s (including a {pre_stop_seconds}s preStop "
                f"delay) does not fit the handler's drain budget of {limit}s inside the "
                f"{SPOT_NOTICE_SECONDS}s spot notice"
            )
        return None
