"""`mlp diff STACK --base REF`: what a change does to a stack, and what it costs.

The stack is planned twice, offline: at REF, in a temporary `git worktree`, by that revision's
own `mlp plan` in a subprocess (its code first on PYTHONPATH, so the old program and the old
harness run; when its `uv.lock` differs, in its own locked environment), and in the working tree. Both inventories are priced with the working tree's price
table, each with its own stack file's cost assumptions. No credentials, no network: it serves
pull requests from forks as well.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from infra.settings import NAMESPACE, PlatformSettings
from infra.settings.cost import CostSettings
from mlp.cost.floor import ratio
from mlp.cost.model import ComponentCost, Estimate
from mlp.cost.prices import PriceTable
from mlp.cost.stack import estimate_resources, stack_settings
from mlp.declared import DeclaredResource
from mlp.plan import build_inventory
from mlp.property_paths import with_ignored_changes
from mlp.stack_file import read_stack_config


class DiffError(RuntimeError):
    """The base revision could not be checked out or planned."""


@dataclass(frozen=True)
class Change:
    urn: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class StackDiff:
    stack: str
    base_ref: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[Change, ...]
    before: Estimate
    after: Estimate

    @property
    def monthly_delta(self) -> float:
        return self.after.monthly_total - self.before.monthly_total

    def per_component(self) -> dict[str, tuple[float, float]]:
        rows: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for component, total in self.before.by_component().items():
            rows[component][0] = total
        for component, total in self.after.by_component().items():
            rows[component][1] = total
        return {name: (b, a) for name, (b, a) in sorted(rows.items())}

    def per_resource(self) -> list[tuple[str, float, float]]:
        before = {i.urn: i.monthly_usd for i in self.before.items}
        after = {i.urn: i.monthly_usd for i in self.after.items}
        rows = [(urn, before.get(urn, 0.0), after.get(urn, 0.0)) for urn in sorted(set(before) | set(after))]
        return [row for row in rows if abs(row[2] - row[1]) >= 0.005]

    def to_json(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [{"urn": change.urn, "keys": list(change.keys)} for change in self.changed],
            "monthly_before_usd": round(self.before.monthly_total, 2),
            "monthly_after_usd": round(self.after.monthly_total, 2),
            "monthly_delta_usd": round(self.monthly_delta, 2),
            "floor_after_usd": round(self.after.floor_total, 2),
            "ratio_after": round(ratio(self.after.monthly_total, self.after.floor_total), 3),
        }

    def after_components(self) -> dict[str, ComponentCost]:
        return {row.component: row for row in self.after.components()}


def changed_keys(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the inputs that differ, descending into objects (not into lists)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys: list[str] = []
        for key in sorted(set(before) | set(after)):
            path = f"{prefix}{key}"
            if key not in before or key not in after:
                keys.append(path)
            else:
                keys += changed_keys(before[key], after[key], f"{path}.")
        return keys
    return [] if before == after else [prefix.rstrip(".")]


def compare(before: Sequence[DeclaredResource], after: Sequence[DeclaredResource]) -> tuple[list[str], list[str], list[Change]]:
    """Resources added, removed and changed from `before` to `after`. A change to a property the
    new declaration's `ignoreChanges` covers is no change: the engine sets those paths back to
    their old values before it diffs (`mlp.property_paths`), so `pulumi up` leaves them alone."""
    old = {r.urn: r for r in before}
    new = {r.urn: r for r in after}
    added = [urn for urn in new if urn not in old]
    removed = [urn for urn in old if urn not in new]
    changed = []
    for urn, resource in new.items():
        if urn in old:
            inputs = with_ignored_changes(resource.inputs, old[urn].inputs, resource.ignore_changes)
            keys = changed_keys(old[urn].inputs, inputs)
            # The engine diffs against the state, where a path the base ignored still holds the
            # value first deployed: once the head stops ignoring it, `up` sets it, whatever the
            # base program said. Offline that value is unknown, so the path is named.
            keys += [
                f"{path} (no longer ignored: up sets it; the deployed value is unknown offline)"
                for path in old[urn].ignore_changes
                if path not in resource.ignore_changes
            ]
            if keys:
                changed.append(Change(urn, tuple(keys)))
    return added, removed, changed


def resources_from_json(document: Mapping[str, Any]) -> list[DeclaredResource]:
    """The resources of an `mlp plan --json` inventory."""
    return [
        DeclaredResource(
            urn=r["urn"],
            type=r["type"],
            name=r["name"],
            parent=r.get("parent"),
            provider=r.get("provider"),
            custom=not r["type"].startswith(("mlplatform:", "eks:index:")),
            inputs=r.get("inputs") or {},
            ignore_changes=list(r.get("ignoreChanges") or []),
        )
        for r in document.get("resources", [])
    ]


def _git(project_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, check=False)


def _base_cost_settings(worktree: Path, stack: str, fallback: PlatformSettings) -> PlatformSettings:
    """The base revision's cost assumptions, read with today's schema; today's settings when the
    base has none (or ones today's schema refuses)."""
    try:
        raw = read_stack_config(worktree, stack).values.get(f"{NAMESPACE}:cost")
    except Exception:  # noqa: BLE001 - a base without the stack file is priced with today's assumptions
        return fallback
    if raw is None:
        return fallback
    try:
        cost = CostSettings.model_validate_json(raw if isinstance(raw, str) else json.dumps(raw))
    except ValueError:
        return fallback
    return fallback.model_copy(update={"cost": cost})


def _lock(directory: Path) -> bytes | None:
    path = directory / "uv.lock"
    return path.read_bytes() if path.is_file() else None


def base_plan_command(project_dir: Path, worktree: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The Python that plans the base revision, and its environment.

    With the working tree's `uv.lock` (the common case) the current interpreter does: its
    packages are the base's packages. When the base's lock differs, the base's own locked
    packages are installed into an environment inside its worktree by `uv run --frozen` (from
    uv's cache; without network, only packages already cached can be installed, otherwise uv
    says which one is missing), so a dependency bump is priced against the old dependencies.
    """
    if _lock(worktree) == _lock(project_dir):
        return [sys.executable], env
    uv = shutil.which("uv")
    runner = [uv] if uv else [sys.executable, "-m", "uv"]
    # The caller's virtual environment must not stand in for the base's.
    base_env = {key: value for key, value in env.items() if key not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    return [*runner, "run", "--frozen", "--no-dev", "--project", str(worktree), "python"], base_env


def plan_base(project_dir: Path, ref: str, stack: str, fallback: PlatformSettings) -> tuple[list[DeclaredResource], PlatformSettings]:
    """Plan `stack` at `ref` in a temporary worktree with that revision's own code."""
    with tempfile.TemporaryDirectory(prefix="mlp-diff-") as scratch:
        worktree = Path(scratch) / "base"
        added = _git(project_dir, "worktree", "add", "--detach", str(worktree), ref)
        if added.returncode != 0:
            raise DiffError(f"cannot check out {ref!r}: {added.stderr.strip()}")
        try:
            if not (worktree / f"Pulumi.{stack}.yaml").exists():
                return [], fallback  # the stack is new in this change
            out = Path(scratch) / "base.json"
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(worktree), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
            command, env = base_plan_command(project_dir, worktree, env)
            planned = subprocess.run(
                [*command, "-m", "mlp.cli", "--project-dir", str(worktree), "plan", stack, "--json", str(out)],
                cwd=worktree,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if planned.returncode != 0:
                raise DiffError(f"planning {stack} at {ref} failed:\n{planned.stderr.strip() or planned.stdout.strip()}")
            resources = resources_from_json(json.loads(out.read_text()))
            return resources, _base_cost_settings(worktree, stack, fallback)
        finally:
            _git(project_dir, "worktree", "remove", "--force", str(worktree))
            _git(project_dir, "worktree", "prune")


def diff_stack(project_dir: Path, stack: str, base_ref: str, *, as_of: date | None = None) -> StackDiff:
    settings = stack_settings(project_dir, stack)
    head = build_inventory(stack, project_dir).resources
    base, base_settings = plan_base(project_dir, base_ref, stack, settings)
    prices = PriceTable.load()
    day = as_of or date.today()
    before = estimate_resources(base, base_settings, stack, prices=prices, as_of=day).estimate
    after = estimate_resources(head, settings, stack, prices=prices, as_of=day).estimate
    added, removed, changed = compare(base, head)
    return StackDiff(stack, base_ref, tuple(added), tuple(removed), tuple(changed), before, after)


def _short(urn: str) -> str:
    return urn.split("::", 2)[-1]


def _times(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.2f}x"


def _signed(value: float) -> str:
    return f"{value:+,.2f}"


def render_table(diff: StackDiff) -> str:
    lines = [f"{diff.stack}: changes against {diff.base_ref}", ""]
    lines += [f"  + {_short(urn)}" for urn in diff.added]
    lines += [f"  - {_short(urn)}" for urn in diff.removed]
    lines += [f"  ~ {_short(change.urn)}: {', '.join(change.keys)}" for change in diff.changed]
    if not (diff.added or diff.removed or diff.changed):
        lines.append("  no resource changes")
    lines += ["", f"{'component':<20} {'before':>10} {'after':>10} {'delta':>10} {'floor':>10} {'after/floor':>11}"]
    floors = diff.after_components()
    for component, (before, after) in diff.per_component().items():
        row = floors.get(component)
        floor = f"{row.floor_usd:>10,.2f} {_times(row.ratio):>11}" if row else f"{'':>10} {'':>11}"
        why = f"  costs more: {'; '.join(row.reasons)}" if row and row.reasons else ""
        lines.append(f"{component:<20} {before:>10,.2f} {after:>10,.2f} {_signed(after - before):>10} {floor}{why}")
    lines.append(
        f"{'TOTAL USD/month':<20} {diff.before.monthly_total:>10,.2f} {diff.after.monthly_total:>10,.2f} "
        f"{_signed(diff.monthly_delta):>10} {diff.after.floor_total:>10,.2f} "
        f"{_times(ratio(diff.after.monthly_total, diff.after.floor_total)):>11}"
    )
    rows = diff.per_resource()
    if rows:
        lines += ["", "cost changes by resource:"]
        lines += [f"  {_signed(a - b):>10}  {_short(urn)} ({b:,.2f} -> {a:,.2f})" for urn, b, a in rows]
    return "\n".join(lines)


def render_markdown(diff: StackDiff) -> str:
    lines = [
        f"### `{diff.stack}`: {_signed(diff.monthly_delta)} USD/month",
        "",
        (
            f"Monthly estimate {diff.before.monthly_total:,.2f} → {diff.after.monthly_total:,.2f} USD "
            f"(against `{diff.base_ref}`; {len(diff.added)} added, {len(diff.removed)} removed, "
            f"{len(diff.changed)} changed)."
        ),
        "",
        "| component | before | after | delta | floor | after / floor | costs more because of |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    floors = diff.after_components()
    for component, (before, after) in diff.per_component().items():
        row = floors.get(component)
        floor = f"{row.floor_usd:,.2f} | {_times(row.ratio)} | {'<br>'.join(row.reasons)}" if row else " | | "
        lines.append(f"| {component} | {before:,.2f} | {after:,.2f} | {_signed(after - before)} | {floor} |")
    lines.append(
        f"| **total** | **{diff.before.monthly_total:,.2f}** | **{diff.after.monthly_total:,.2f}** | "
        f"**{_signed(diff.monthly_delta)}** | **{diff.after.floor_total:,.2f}** | "
        f"**{_times(ratio(diff.after.monthly_total, diff.after.floor_total))}** | |"
    )
    rows = diff.per_resource()
    if rows:
        lines += ["", "| resource | before | after | delta |", "|---|---:|---:|---:|"]
        lines += [f"| `{_short(urn)}` | {b:,.2f} | {a:,.2f} | {_signed(a - b)} |" for urn, b, a in rows]
    if diff.added or diff.removed or diff.changed:
        lines += ["", "<details><summary>resource changes</summary>", "", "```diff"]
        lines += [f"+ {_short(urn)}" for urn in diff.added]
        lines += [f"- {_short(urn)}" for urn in diff.removed]
        lines += [f"! {_short(c.urn)}: {', '.join(c.keys)}" for c in diff.changed]
        lines += ["```", "", "</details>"]
    return "\n".join(lines)
