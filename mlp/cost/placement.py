"""Which pool each workload's pods land on, as the scheduler and the cluster autoscaler would
choose: the pools its node selector, required node affinity and tolerations allow (the labels
and taints of the placement contract, `components/nodes/placement.py`), favoured by preferred
affinity, then worker pools before the system pool, then spot-bearing pools first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL
from mlp.cost.node_pool import NodePool
from mlp.cost.workloads import PodGroup


def _pool_labels(pool: NodePool) -> dict[str, str]:
    """The labels the scheduler sees on the pool's nodes (set through nodeadm or the node group)."""
    return {POOL_LABEL: pool.name, CAPACITY_LABEL: pool.capacity_type}


def _expression_holds(expression: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One `matchExpressions` entry, with the operators node affinity defines for labels."""
    key, operator = expression.get("key"), expression.get("operator")
    values = expression.get("values") or []
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # Gt/Lt compare integers; no pool label is numeric


def term_holds(term: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    return all(_expression_holds(expression, labels) for expression in term.get("matchExpressions") or [])


def fits_pool(group: PodGroup, pool: NodePool) -> bool:
    """Whether the scheduler may place the group's pods on the pool's nodes."""
    if group.pool_selector is not None and group.pool_selector != pool.name:
        return False
    if group.capacity_selector is not None and group.capacity_selector != pool.capacity_type:
        return False
    labels = _pool_labels(pool)
    if group.required_terms and not any(term_holds(term, labels) for term in group.required_terms):
        return False
    return group.tolerated is None or pool.taint_keys <= group.tolerated


def _preference(group: PodGroup, pool: NodePool) -> int:
    labels = _pool_labels(pool)
    return sum(
        int(term.get("weight") or 0)
        for term in group.preferred_terms
        if term_holds(term.get("preference") or {}, labels)
    )


def favoured_first(group: PodGroup, pools: Sequence[NodePool]) -> list[NodePool]:
    """`pools` in the order the group's pods would be placed on them: highest preferred-affinity
    weight, then worker pools before the system pool, then spot-bearing pools before on-demand
    ones (the autoscaler's priority expander grows those first), then name."""
    return sorted(pools, key=lambda p: (-_preference(group, p), p.system, not p.carries_spot, p.name))


def place(groups: Sequence[PodGroup], pools: Sequence[NodePool]) -> None:
    """Each group goes to the pool the scheduler would favour (`favoured_first`) among those it
    may schedule on; None when there is none."""
    for group in groups:
        fitting = favoured_first(group, [pool for pool in pools if fits_pool(group, pool)])
        group.placed_on = fitting[0] if fitting else None
