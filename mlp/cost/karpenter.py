"""Karpenter's NodePools as priced pools, and the same stack under the other capacity engine.

A NodePool has no size of its own: Karpenter launches what the pending pods need. So a NodePool
is priced as a pool with no floor (desired 0), sized by packing the workloads placed on it
(`mlp.cost.pools.pack`, the same first-fit-decreasing packing the Auto Scaling groups get) onto
the cheapest instance type it admits, on-demand at that type's price (Karpenter launches
on-demand lowest-price first), spot at the price table's estimate over the admitted types (as
for the groups: price-capacity-optimized chooses by capacity, so no single type can be
assumed), plus each node's root volume from its EC2NodeClass.

One floor a NodePool does have: a workload with a hard zone spread (`whenUnsatisfiable:
DoNotSchedule`, `minDomains` = the zones) makes Karpenter launch a node in each zone it needs,
however small its pods. The pool's size is therefore at least the most zones any workload placed
on it needs (min(replicas, minDomains)); the packing decides above that.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from components.nodes.placement import POOL_LABEL, SPOT_TAINT
from mlp.cost.model import PricingContext, Resource, lookup
from mlp.cost.pools import NodePool, Volume, place, pod_groups
from mlp.cost.quantity import parse_quantity

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
ENGINES = ("cluster-autoscaler", "karpenter")


def _requirement(spec: dict[str, Any], key: str) -> list[str]:
    for requirement in lookup(spec, "template.spec.requirements", []) or []:
        if requirement.get("key") == key and requirement.get("operator") == "In":
            return list(requirement.get("values") or [])
    return []


def _volumes(node_class: Resource | None) -> tuple[tuple[Volume, ...], str]:
    if node_class is None:
        return (), "no EC2NodeClass found: root volume NOT priced"
    volumes = []
    for mapping in lookup(node_class.inputs, "spec.blockDeviceMappings", []) or []:
        ebs = mapping.get("ebs") or {}
        if ebs.get("volumeSize"):
            size_gib = float(parse_quantity(str(ebs["volumeSize"]))) / 2**30
            volumes.append(
                Volume(
                    size_gib,
                    ebs.get("volumeType") or "gp3",
                    float(ebs.get("iops") or 0),
                    float(ebs.get("throughput") or 0),
                )
            )
    return tuple(
        volumes
    ), "" if volumes else "EC2NodeClass sets no volume: root volume from the AMI, NOT priced"


def karpenter_node_pools(ctx: PricingContext) -> list[NodePool]:
    """The stack's NodePools as pools with no floor, their types cheapest first."""
    classes = {lookup(r.inputs, "metadata.name"): r for r in ctx.of_type(NODECLASS)}
    pools = []
    for resource in sorted(ctx.of_type(NODEPOOL), key=lambda r: r.urn):
        spec = resource.inputs.get("spec") or {}
        types = sorted(
            _requirement(spec, "node.kubernetes.io/instance-type"), key=ctx.prices.on_demand_hourly
        )
        capacity = _requirement(spec, "karpenter.sh/capacity-type") or ["on-demand"]
        labels = lookup(spec, "template.metadata.labels", {}) or {}
        taints = {
            t.get("key") for t in lookup(spec, "template.spec.taints", []) or [] if t.get("key")
        }
        spot = "spot" in capacity
        if spot:
            taints.add(SPOT_TAINT["key"])
        cpu_limit = lookup(spec, "limits.cpu")
        largest = max((ctx.prices.instance(t).vcpu for t in types), default=0)
        max_size = (
            int(float(parse_quantity(str(cpu_limit))) // largest) if cpu_limit and largest else 0
        )
        node_class = classes.get(lookup(spec, "template.spec.nodeClassRef.name"))
        volumes, volume_note = _volumes(node_class)
        pools.append(
            NodePool(
                resource=resource,
                name=labels.get(POOL_LABEL)
                or lookup(resource.inputs, "metadata.name")
                or resource.name,
                instance_types=tuple(types),
                desired=0,
                min_size=0,
                max_size=max_size,
                on_demand_percentage=0.0 if spot else 100.0,
                on_demand_strategy="lowest-price",
                volumes=volumes,
                volume_note=volume_note,
                taint_keys=frozenset(taints),
                notes=(
                    "Karpenter NodePool: no floor of its own, sized by the workloads placed on it",
                ),
            )
        )
    return _with_zone_floors(pools, ctx)


def zones_needed(pod_spec: dict[str, Any], replicas: int) -> int:
    """Nodes in distinct zones a Deployment's hard zone spread asks for."""
    needed = 1 if replicas else 0
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        if (
            constraint.get("topologyKey") == "topology.kubernetes.io/zone"
            and constraint.get("whenUnsatisfiable") == "DoNotSchedule"
        ):
            needed = max(needed, min(replicas, int(constraint.get("minDomains") or 1)))
    return needed


def _with_zone_floors(pools: list[NodePool], ctx: PricingContext) -> list[NodePool]:
    if not pools:
        return pools
    groups = pod_groups(ctx)
    place(groups, pools)
    floored = []
    for pool in pools:
        zones = max(
            (
                zones_needed(lookup(g.resource.inputs, "spec.template.spec", {}) or {}, g.replicas)
                for g in groups
                if g.placed_on is pool
            ),
            default=0,
        )
        note = (
            f"at least {zones} nodes: a workload on it spreads over {zones} zones (DoNotSchedule)"
        )
        floored.append(
            replace(pool, desired=zones, notes=(*pool.notes, note)) if zones > 1 else pool
        )
    return floored


# --- the same stack under the other engine ------------------------------------------------------


def switched_document(document: dict[str, Any], engine: str) -> tuple[dict[str, Any], list[str]]:
    """The stack document under `engine`, and the edits the switch took beyond the engine key.

    To Karpenter, pool floors go to 0: Karpenter keeps none and the settings refuse one
    (infra/settings/karpenter.py). Back to the autoscaler, nothing else changes."""
    if engine not in ENGINES:
        raise ValueError(
            f"unknown capacity engine {engine!r}; expected one of {', '.join(ENGINES)}"
        )
    document = copy.deepcopy(document)
    config = document["config"]
    config.setdefault("ml-platform:cluster", {})["capacityEngine"] = engine
    edits = []
    if engine == "karpenter":
        for name, pool in (config.get("ml-platform:nodePools") or {}).items():
            if pool.get("minSize", 0):
                edits.append(f"nodePools.{name}.minSize {pool['minSize']} -> 0")
                pool["minSize"] = 0
    return document, edits


@dataclass(frozen=True)
class SwitchedProject:
    """A scratch copy of the project whose one stack file is switched to another engine."""

    directory: Path
    edits: list[str]


def switched_project(project_dir: Path, stack: str, engine: str, into: Path) -> SwitchedProject:
    """Lay out `into` as the project with `Pulumi.<stack>.yaml` under `engine`; the program and
    its components are the project's own (linked, not copied)."""
    for name in ("infra", "components"):
        (into / name).symlink_to((project_dir / name).resolve())
    shutil.copy(project_dir / "Pulumi.yaml", into / "Pulumi.yaml")
    document = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text())
    switched, edits = switched_document(document, engine)
    (into / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(switched, sort_keys=False))
    return SwitchedProject(directory=into, edits=edits)


def current_engine(document: dict[str, Any]) -> str:
    return (document["config"].get("ml-platform:cluster") or {}).get(
        "capacityEngine", "cluster-autoscaler"
    )


@dataclass(frozen=True)
class EngineComparison:
    stack: str
    engines: tuple[str, str]
    """(the stack's own engine, the other one)."""
    totals: tuple[dict[str, float], dict[str, float]]
    """Monthly USD per component under each engine."""
    edits: list[str]

    @property
    def monthly(self) -> tuple[float, float]:
        return sum(self.totals[0].values()), sum(self.totals[1].values())

    @property
    def monthly_delta(self) -> float:
        return self.monthly[1] - self.monthly[0]


def compare_engines(project_dir: Path, stack: str, engine: str, *, as_of=None) -> EngineComparison:
    """Price the stack as it is and under `engine`, the same workloads and cost assumptions."""
    from mlp.cost.stack import estimate_resources, stack_settings
    from mlp.plan import build_inventory

    document = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text())
    own = current_engine(document)
    settings = stack_settings(project_dir, stack)
    before = estimate_resources(
        build_inventory(stack, project_dir).resources, settings, stack, as_of=as_of
    )
    with tempfile.TemporaryDirectory(prefix="mlp-engine-") as scratch:
        switched = switched_project(project_dir, stack, engine, Path(scratch))
        other_settings = stack_settings(switched.directory, stack)
        after = estimate_resources(
            build_inventory(stack, switched.directory).resources, other_settings, stack, as_of=as_of
        )
    return EngineComparison(
        stack=stack,
        engines=(own, engine),
        totals=(before.estimate.by_component(), after.estimate.by_component()),
        edits=switched.edits,
    )


def render_comparison_markdown(comparison: EngineComparison) -> str:
    """The same comparison as a pull-request comment table."""
    own, other = comparison.engines
    components = sorted(set(comparison.totals[0]) | set(comparison.totals[1]))
    lines = [
        f"### `{comparison.stack}` under {own} and {other}",
        "",
        f"| component | {own} (as configured) | {other} | delta |",
        "|---|---:|---:|---:|",
    ]
    for component in components:
        a, b = comparison.totals[0].get(component, 0.0), comparison.totals[1].get(component, 0.0)
        lines.append(f"| {component} | {a:,.2f} | {b:,.2f} | {b - a:+,.2f} |")
    a, b = comparison.monthly
    lines.append(f"| **total** | **{a:,.2f}** | **{b:,.2f}** | **{b - a:+,.2f}** |")
    if comparison.edits:
        lines += ["", f"The switch to {other} also took: " + "; ".join(comparison.edits)]
    return "\n".join(lines)


def render_comparison(comparison: EngineComparison) -> str:
    own, other = comparison.engines
    components = sorted(set(comparison.totals[0]) | set(comparison.totals[1]))
    width = max([len(c) for c in components] + [9])
    lines = [f"{comparison.stack}: monthly USD under {own} (as configured) and {other}", ""]
    lines.append(f"{'component':<{width}}  {own:>18}  {other:>18}  {'delta':>10}")
    for component in components:
        a, b = comparison.totals[0].get(component, 0.0), comparison.totals[1].get(component, 0.0)
        lines.append(f"{component:<{width}}  {a:>18,.2f}  {b:>18,.2f}  {b - a:>+10,.2f}")
    a, b = comparison.monthly
    lines.append(f"{'TOTAL':<{width}}  {a:>18,.2f}  {b:>18,.2f}  {b - a:>+10,.2f}")
    if comparison.edits:
        lines += ["", f"the switch to {other} also took: " + "; ".join(comparison.edits)]
    return "\n".join(lines)
