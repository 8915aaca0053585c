"""The tree `mlp plan` prints: each component's count of what is below it and the listing agree."""

import re

from mlp.report import component_tree


def test_each_components_count_is_what_it_lists(stack_inventory):
    text = component_tree(stack_inventory)
    blocks = re.findall(r"^  (\S+) \(([^)]+)\): (\d+) below\n((?:      .*\n?)*)", text, flags=re.MULTILINE)
    assert len(blocks) == sum(1 for r in stack_inventory.resources if r.parent is None)
    for name, type_, below, listing in blocks:
        listed = sum(int(count) for count in re.findall(r"^\s+(\d+) × ", listing, flags=re.MULTILINE))
        assert listed == int(below), f"{name} ({type_}) says {below} below and lists {listed}"
    # A nested component is listed by its type (the autoscaler's workload role).
    assert re.search(r"^  autoscaler .*\n(?:      .*\n)*      +1 × mlplatform:\S+:WorkloadRole$", text, flags=re.MULTILINE)


def test_the_headline_counts_resources():
    from mlp.declared import Inventory

    assert component_tree(Inventory(project="p", stack="s", resources=[], outputs={})) == "p / s: 0 resources"
