"""The same stack under the other capacity engine (`cluster.capacityEngine`: the cluster
autoscaler or Karpenter): the stack file switched, planned by the same program from a scratch
copy of the project, and priced beside the stack as configured, per component, with the delta.
How Karpenter's NodePools are priced is `mlp.cost.karpenter_pools`.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlp.cost.stack import estimate_resources, stack_settings
from mlp.plan import build_inventory

ENGINES = ("cluster-autoscaler", "karpenter")


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
