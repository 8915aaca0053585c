"""Run the rules over a list of planned resources, the way the policy engine would.

Used by the tests (over `mlp plan` inventories and crafted resources) and usable on any
`mlp plan STACK --json FILE` output: `uv run python -m mlplatform_policy.evaluate FILE`
(with `policy/` on PYTHONPATH).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from mlp.wording import plural
from mlplatform_policy.resources import PlannedResource, StackContext, stack_of
from mlplatform_policy.rules import RULES, Rule


@dataclass(frozen=True)
class Finding:
    rule: str
    enforcement: str
    message: str
    urn: str | None

    def __str__(self) -> str:
        return f"[{self.enforcement}] {self.rule}: {self.urn or 'stack'}: {self.message}"


def from_inventory(records: Iterable[Mapping[str, Any]]) -> list[PlannedResource]:
    """Plan inventory records (`{"urn", "type", "name", "parent", "provider", "inputs"}`, as written by
    `mlp plan --json`) as planned resources, each with its provider's inputs attached. The
    provider reference may be a URN or the engine's `URN::ID` form."""
    records = list(records)
    by_urn = {record["urn"]: record for record in records}

    def provider_record(reference: str | None) -> Mapping[str, Any] | None:
        if not reference:
            return None
        return by_urn.get(reference) or by_urn.get(reference.rsplit("::", 1)[0])

    def provider_inputs(reference: str | None) -> Mapping[str, Any] | None:
        provider = provider_record(reference)
        return provider["inputs"] if provider else None

    def provider_urn(reference: str | None) -> str | None:
        provider = provider_record(reference)
        return provider["urn"] if provider else reference

    return [
        PlannedResource(
            type=record["type"],
            name=record["name"],
            urn=record["urn"],
            props=record.get("inputs") or {},
            provider_props=provider_inputs(record.get("provider")),
            parent=record.get("parent"),
            provider=provider_urn(record.get("provider")),
        )
        for record in records
    ]


def evaluate(
    resources: Sequence[PlannedResource],
    *,
    stack: str | None = None,
    rules: Sequence[Rule] = RULES,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    today: date | None = None,
) -> list[Finding]:
    """Every finding of `rules` over `resources`. The stack name defaults to the one in the URNs;
    `config` maps rule names to overrides of their defaults."""
    if stack is None:
        stack = stack_of(resources[0].urn) if resources else "unknown"
    findings: list[Finding] = []
    for rule in rules:
        context = StackContext(
            stack=stack,
            config={**rule.defaults(), **((config or {}).get(rule.name) or {})},
            today=today or date.today(),
        )
        if rule.scope == "resource":
            for resource in resources:
                for message in rule.check(resource, context):
                    findings.append(Finding(rule.name, rule.enforcement, message, resource.urn))
        else:
            for violation in rule.check(resources, context):
                findings.append(Finding(rule.name, rule.enforcement, violation.message, violation.urn))
    return findings


def report(findings: Sequence[Finding], resources: Sequence[PlannedResource], stack: str, rules: Sequence[Rule] = RULES) -> str:
    """What was checked (resources, stack, each rule by level) and how it came out: every
    finding, then which rules failed, or that all passed."""
    by_level = {level: [rule.name for rule in rules if rule.enforcement == level] for level in ("mandatory", "advisory")}
    lines = [f"checked {plural(len(resources), 'resource')} of stack {stack} against {plural(len(rules), 'rule')}:"]
    lines += [f"  {level} ({len(names)}): {', '.join(names)}" for level, names in by_level.items() if names]
    lines += [str(finding) for finding in findings]
    failed = {level: sorted({f.rule for f in findings if f.enforcement == level}) for level in by_level}
    if not findings:
        lines.append(f"all {plural(len(rules), 'rule')} passed")
    else:
        lines += [f"{level} rules with findings: {', '.join(names)}" for level, names in failed.items() if names]
        passed = len(rules) - sum(len(names) for names in failed.values())
        lines.append(f"{plural(len(findings), 'finding')}; {passed} of {plural(len(rules), 'rule')} passed")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m mlplatform_policy.evaluate INVENTORY.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        inventory = json.load(handle)
    resources = from_inventory(inventory["resources"])
    stack = inventory.get("stack") or (stack_of(resources[0].urn) if resources else "unknown")
    findings = evaluate(resources, stack=stack)
    print(report(findings, resources, stack))
    return 1 if any(f.enforcement == "mandatory" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
