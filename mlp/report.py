"""Human-readable views of an inventory: the resource tree by component, with counts."""

from __future__ import annotations

from collections import Counter

from mlp.declared import Inventory
from mlp.wording import plural


def component_tree(inventory: Inventory) -> str:
    """One block per top-level component: its type, the number of resources below it, and the
    count of each type below it (nested components among them, so the counts add up to the
    number). Top-level custom resources (providers) are listed first."""
    lines = [f"{inventory.project} / {inventory.stack}: {plural(len(inventory.resources), 'resource')}"]
    top_level = [resource for resource in inventory.resources if resource.parent is None]
    for resource in sorted(top_level, key=lambda r: (not r.type.startswith("pulumi:providers"), r.name)):
        below = inventory.children_of(resource.urn)
        lines.append(f"  {resource.name} ({resource.type}): {len(below)} below")
        counts = Counter(child.type for child in below)
        for type_, count in sorted(counts.items()):
            lines.append(f"      {count:>3} × {type_}")
    return "\n".join(lines)
