"""The labels and taints that tie workloads to node pools: one vocabulary for pools, add-ons and
services, so a service's `capacity` setting and a pool's labels cannot drift apart."""

from __future__ import annotations

from typing import Literal

POOL_LABEL = "ml-platform.io/pool"
"""Every node carries the name of the pool it belongs to (`system`, or a worker pool's name)."""

CAPACITY_LABEL = "ml-platform.io/capacity-type"
"""What a pool buys: `on-demand` (100 % on-demand), `spot` (all spot above any on-demand base)
or `mixed`. Set per pool through the nodeadm config (self-managed) or the node group labels."""

CapacityType = Literal["on-demand", "spot", "mixed"]

SYSTEM_POOL = "system"

SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
"""Keeps everything but cluster add-ons off the on-demand system pool."""

SPOT_TAINT = {"key": "ml-platform.io/spot", "value": "true", "effect": "NoSchedule"}
"""On pools that carry spot: a workload lands on spot only if it says it can take a reclaim."""

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
"""On GPU pools, so only pods that asked for a GPU pay for one."""


def toleration_for(taint: dict[str, str]) -> dict[str, str]:
    """The Kubernetes toleration matching one of the taints above."""
    return {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": taint["effect"]}


def system_pod_placement() -> dict:
    """nodeSelector and tolerations for add-ons that must run on the system pool (autoscaler,
    termination handler, load balancer controller, metrics-server)."""
    return {
        "nodeSelector": {POOL_LABEL: SYSTEM_POOL},
        "tolerations": [toleration_for(SYSTEM_TAINT)],
    }


ServiceCapacity = Literal["spot", "spot-preferred", "on-demand"]
"""What a service accepts, as written in its config (`ml-platform:services.<name>.capacity`)."""

SPOT_BEARING: tuple[CapacityType, ...] = ("spot", "mixed")


def service_pod_placement(capacity: ServiceCapacity) -> dict:
    """`affinity` and `tolerations` of a service's pods for its `capacity` setting.

    Every choice keeps pods off the system pool (it is not tolerated, and `POOL_LABEL NotIn
    [system]` makes that explicit). `spot` requires a spot-bearing pool and tolerates its taint;
    `spot-preferred` tolerates the taint and prefers spot-bearing pools, so pods fall back to
    on-demand pools when spot is short; `on-demand` requires an on-demand pool and does not
    tolerate the spot taint.
    """
    off_system = {"key": POOL_LABEL, "operator": "NotIn", "values": [SYSTEM_POOL]}
    if capacity == "spot":
        required = [off_system, {"key": CAPACITY_LABEL, "operator": "In", "values": list(SPOT_BEARING)}]
    elif capacity == "spot-preferred":
        required = [off_system, {"key": CAPACITY_LABEL, "operator": "Exists"}]
    elif capacity == "on-demand":
        required = [off_system, {"key": CAPACITY_LABEL, "operator": "In", "values": ["on-demand"]}]
    else:
        raise ValueError(f"unknown capacity {capacity!r}; expected spot, spot-preferred or on-demand")
    node_affinity: dict = {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": required}]}
    }
    if capacity == "spot-preferred":
        node_affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {
                "weight": 100,
                "preference": {"matchExpressions": [{"key": CAPACITY_LABEL, "operator": "In", "values": list(SPOT_BEARING)}]},
            }
        ]
    tolerations = [] if capacity == "on-demand" else [toleration_for(SPOT_TAINT)]
    return {"affinity": {"nodeAffinity": node_affinity}, "tolerations": tolerations}
