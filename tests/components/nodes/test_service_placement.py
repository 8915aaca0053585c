"""A service's `capacity` → node affinity and tolerations, checked against the pools' labels and
taints by evaluating the rules the way the scheduler does (matchExpressions, NoSchedule taints)."""

from __future__ import annotations

import pytest

from components.nodes.placement import (
    CAPACITY_LABEL,
    POOL_LABEL,
    SPOT_TAINT,
    SYSTEM_POOL,
    SYSTEM_TAINT,
    service_pod_placement,
)

# Pools as issue 3 labels and taints them: (labels, taints).
POOLS = {
    "system": ({POOL_LABEL: SYSTEM_POOL, CAPACITY_LABEL: "on-demand"}, [SYSTEM_TAINT]),
    "steady": ({POOL_LABEL: "steady", CAPACITY_LABEL: "on-demand"}, []),
    "spot": ({POOL_LABEL: "spot", CAPACITY_LABEL: "spot"}, [SPOT_TAINT]),
    "mixed": ({POOL_LABEL: "mixed", CAPACITY_LABEL: "mixed"}, [SPOT_TAINT]),
}


def _matches(expression: dict, labels: dict[str, str]) -> bool:
    key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    raise AssertionError(f"unexpected operator {operator}")


def _tolerated(taint: dict, tolerations: list[dict]) -> bool:
    return any(
        t["key"] == taint["key"] and t.get("effect") in (None, taint["effect"])
        and (t.get("operator") == "Exists" or t.get("value") == taint["value"])
        for t in tolerations
    )


def schedulable(capacity: str, pool: str) -> bool:
    labels, taints = POOLS[pool]
    placement = service_pod_placement(capacity)
    terms = placement["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    affinity_ok = any(all(_matches(e, labels) for e in term["matchExpressions"]) for term in terms)
    return affinity_ok and all(_tolerated(taint, placement["tolerations"]) for taint in taints)


def preferred(capacity: str, pool: str) -> int:
    labels, _ = POOLS[pool]
    preferences = service_pod_placement(capacity)["affinity"]["nodeAffinity"].get("preferredDuringSchedulingIgnoredDuringExecution", [])
    return sum(p["weight"] for p in preferences if all(_matches(e, labels) for e in p["preference"]["matchExpressions"]))


@pytest.mark.parametrize(
    ("capacity", "allowed"),
    [
        ("spot", {"spot", "mixed"}),
        ("spot-preferred", {"steady", "spot", "mixed"}),
        ("on-demand", {"steady"}),
    ],
)
def test_capacity_decides_the_pools_a_pod_may_use(capacity, allowed):
    actual = {pool for pool in POOLS if schedulable(capacity, pool)}
    assert actual == allowed, f"{capacity}: schedulable on {sorted(actual)}"


def test_no_service_ever_lands_on_the_system_pool():
    assert not any(schedulable(capacity, "system") for capacity in ("spot", "spot-preferred", "on-demand"))


def test_spot_preferred_prefers_spot_bearing_pools():
    assert preferred("spot-preferred", "spot") > preferred("spot-preferred", "steady")
    assert preferred("spot-preferred", "mixed") > preferred("spot-preferred", "steady")


def test_unknown_capacity_is_refused():
    with pytest.raises(ValueError, match="unknown capacity"):
        service_pod_placement("reserved")
